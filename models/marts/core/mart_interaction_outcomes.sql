{#- One row per consenting interaction: the behaviours and empathy score beside what followed — that
    interaction's pulse survey, the customer's next relationship NPS, the next cancellation (churn per declared
    window: mart_interaction_churn_windows),
    the next renewal and a repeat contact. Every column traces back through keys, never personal data.
    Windows not yet elapsed at the as-of date give null (unknown), not false. -#}
{#- Incremental (D43): the pre-hook deletes the interactions of identity_outcomes_changed (their customer's
    interactions, events or answers changed), those whose repeat-contact window was still open (the as-of moved),
    and the behaviour evidence's refresh scope (behavior_evidence_scope); the model computes the interactions without
    a stored row, each from its customer's whole history. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(behavior_evidence_scope(ref('identity_outcomes_changed'), ref('consented_qa_reviews'), ref('int_behaviors_scored_out_of_fold'), ref('int_detector_training_set_fingerprinted')) ~ ' or has_repeat_contact is null') }}",
) }}
{%- set behavior_codes = rubric_behavior_codes() %}
with

as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

all_interactions as (

    select * from {{ ref('fct_interactions') }}

),

empathy as (

    select * from {{ ref('int_interactions_scored') }}
    where {{ not_yet_stored('interaction_key') }}

),

pulses as (

    select * from {{ ref('int_survey_responses_pivoted') }}
    where survey_type = 'csat_pulse' and {{ not_yet_stored('interaction_key') }}
    qualify row_number() over (partition by interaction_key order by responded_at, invitation_id) = 1

),

relationship_nps as (

    select * from {{ ref('int_survey_responses_pivoted') }}
    where survey_type = 'relationship_nps' and nps is not null

),

subscription_events as (

    select * from {{ ref('consented_subscription_events') }}
    where event_type in ('renewed', 'cancelled')

),

to_compute as (

    {#- the interactions without a stored row (all of them on a full build) -#}

    select
        all_interactions.interaction_key,
        all_interactions.customer_key
    from all_interactions
    where {{ not_yet_stored('all_interactions.interaction_key') }}

),

interactions as (

    {#- the whole history of their customers: the next contact is another interaction's -#}

    select all_interactions.*
    from all_interactions
    where all_interactions.customer_key in (select to_compute.customer_key from to_compute)

),

cancellations as (

    select * from subscription_events
    where event_type = 'cancelled'

),

sequenced as (

    select
        interactions.*,
        lead(interactions.started_at) over (
            partition by interactions.customer_key order by interactions.started_at, interactions.interaction_key
        ) as next_contact_at
    from interactions

),

with_next_nps as (

    select
        sequenced.interaction_key,
        relationship_nps.nps as next_nps,
        relationship_nps.nps_category as next_nps_category,
        date_diff('day', sequenced.started_at, relationship_nps.responded_at) as days_to_next_nps
    from sequenced
    asof left join relationship_nps
        on sequenced.customer_key = relationship_nps.customer_key
            and sequenced.started_at < relationship_nps.responded_at

),

with_next_renewal as (

    select
        sequenced.interaction_key,
        subscription_events.event_type as next_renewal_event,
        subscription_events.event_at as next_renewal_event_at
    from sequenced
    asof left join subscription_events
        on sequenced.customer_key = subscription_events.customer_key
            and sequenced.started_at < subscription_events.event_at

),

with_next_cancellation as (

    select
        sequenced.interaction_key,
        cancellations.event_at as next_cancelled_at,
        cancellations.is_voluntary as is_next_cancellation_voluntary
    from sequenced
    asof left join cancellations
        on sequenced.customer_key = cancellations.customer_key
            and sequenced.started_at < cancellations.event_at

),

final as (

    select
        sequenced.interaction_key,
        sequenced.source_system,
        sequenced.interaction_id,
        sequenced.customer_key,
        sequenced.agent_id,
        sequenced.channel,
        sequenced.queue,
        sequenced.product,
        sequenced.contact_reason,
        sequenced.tough_moment_category,
        sequenced.is_tough_moment,
        sequenced.is_escalated,
        sequenced.started_at,
        sequenced.is_resolved,
        empathy.observation_basis,
        {%- for code in behavior_codes %}
            empathy.has_{{ code }},
        {%- endfor %}
        empathy.behaviors_count,
        empathy.seconds_to_first_acknowledgment,
        empathy.is_acknowledged_within_30s,
        empathy.is_exposed,
        coalesce(empathy.exposure_group, 'transcript_not_usable') as exposure_group,
        empathy.empathy_score,
        empathy.is_empathetic_contact,
        empathy.empathy_score_label,
        empathy.qa_mean_score,
        empathy.training_set_fingerprint,
        pulses.invitation_id is not null as has_pulse_response,
        pulses.invitation_id as pulse_invitation_id,
        pulses.sampling_stratum as pulse_sampling_stratum,
        pulses.selection_probability as pulse_selection_probability,
        pulses.csat,
        pulses.is_csat_top2,
        pulses.felt_understood,
        pulses.acknowledged_situation,
        pulses.clear_next_steps,
        pulses.has_open_text,
        with_next_nps.next_nps,
        with_next_nps.next_nps_category,
        with_next_nps.days_to_next_nps,
        date_diff('second', sequenced.started_at, with_next_cancellation.next_cancelled_at) / 86400.0
            as days_to_next_cancellation,
        with_next_cancellation.is_next_cancellation_voluntary,
        case
            when with_next_renewal.next_renewal_event = 'renewed' then true
            when with_next_renewal.next_renewal_event = 'cancelled' then false
        end as is_renewed_at_next_renewal,
        case
            when sequenced.next_contact_at
                <= sequenced.started_at + interval {{ var('repeat_contact_window_days') }} day then true
            when as_of.as_of >= sequenced.started_at + interval {{ var('repeat_contact_window_days') }} day then false
        end as has_repeat_contact
    from sequenced
    cross join as_of
    left join empathy
        on sequenced.interaction_key = empathy.interaction_key
    left join pulses
        on sequenced.interaction_key = pulses.interaction_key
    left join with_next_nps
        on sequenced.interaction_key = with_next_nps.interaction_key
    left join with_next_renewal
        on sequenced.interaction_key = with_next_renewal.interaction_key
    left join with_next_cancellation
        on sequenced.interaction_key = with_next_cancellation.interaction_key
    where sequenced.interaction_key in (select to_compute.interaction_key from to_compute)

)

select * from final
