{#- One row per answered survey invitation with the contacts its answer speaks for: a CSAT pulse answers for its own
    interaction; a relationship NPS answer for the customer's contacts started in the contact window before the
    invitation was sent (var nps_drivers.contact_window_days). Behaviour shares are over the contacts whose
    behaviours were observed (transcript or QA); they are null when none was. The drivers marts read this. -#}
{%- set window_days = var('nps_drivers')['contact_window_days'] | int -%}
with

answers as (

    select * from {{ ref('int_survey_responses_pivoted') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

scored as (

    select * from {{ ref('int_interactions_scored') }}

),

contacts as (

    select
        interactions.interaction_key,
        interactions.customer_key,
        interactions.started_at,
        interactions.channel,
        interactions.is_tough_moment,
        interactions.is_resolved,
        interactions.handle_time_seconds,
        coalesce(scored.observation_basis != 'none', false) as is_observed,
        scored.has_acknowledge,
        scored.has_name_emotion,
        scored.has_clarify_need,
        scored.has_offer_options,
        scored.has_close_loop,
        scored.is_acknowledged_within_30s,
        scored.is_empathetic_contact
    from interactions
    left join scored
        on interactions.interaction_key = scored.interaction_key

),

pulse_contacts as (

    select
        answers.invitation_id,
        contacts.*
    from answers
    inner join contacts
        on answers.interaction_key = contacts.interaction_key
    where answers.survey_type = 'csat_pulse'

),

nps_contacts as (

    select
        answers.invitation_id,
        contacts.*
    from answers
    inner join contacts
        on
            answers.customer_key = contacts.customer_key
            and answers.sent_at - to_days({{ window_days }}) <= contacts.started_at
            and answers.sent_at > contacts.started_at
    where answers.survey_type = 'relationship_nps'

),

answered_contacts as (

    select * from pulse_contacts
    union all
    select * from nps_contacts

),

contact_summary as (

    -- shares of 0/1 integers: exact averages, so every build gives the same bits
    select
        answered_contacts.invitation_id,
        count(*) as n_contacts,
        count(*) filter (where answered_contacts.is_observed) as n_observed_contacts,
        avg(cast(answered_contacts.has_acknowledge as integer)) as acknowledge_share,
        avg(cast(answered_contacts.has_name_emotion as integer)) as name_emotion_share,
        avg(cast(answered_contacts.has_clarify_need as integer)) as clarify_need_share,
        avg(cast(answered_contacts.has_offer_options as integer)) as offer_options_share,
        avg(cast(answered_contacts.has_close_loop as integer)) as close_loop_share,
        avg(cast(answered_contacts.is_acknowledged_within_30s as integer)) as acknowledged_within_30s_share,
        avg(cast(answered_contacts.is_empathetic_contact as integer)) as empathetic_contact_share,
        bool_or(answered_contacts.is_tough_moment) as had_tough_moment,
        avg(cast(answered_contacts.is_resolved as integer)) as resolved_share,
        avg(answered_contacts.handle_time_seconds) as handle_time_seconds_mean,
        min(answered_contacts.started_at) as first_contact_at,
        max(answered_contacts.started_at) as last_contact_at,
        arg_max(
            answered_contacts.channel,
            { 'started_at': answered_contacts.started_at, 'interaction_key': answered_contacts.interaction_key }
        ) as last_contact_channel
    from answered_contacts
    group by answered_contacts.invitation_id

),

final as (

    select
        answers.invitation_id,
        answers.survey_type,
        answers.customer_key,
        answers.interaction_key,
        answers.sent_at,
        answers.responded_at,
        answers.csat,
        answers.is_csat_top2,
        answers.felt_understood,
        answers.acknowledged_situation,
        answers.clear_next_steps,
        answers.nps,
        answers.nps_category,
        case when answers.nps_category is not null then answers.nps_category = 'promoter' end as is_promoter,
        coalesce(contact_summary.n_contacts, 0) as n_contacts,
        coalesce(contact_summary.n_observed_contacts, 0) as n_observed_contacts,
        contact_summary.acknowledge_share,
        contact_summary.name_emotion_share,
        contact_summary.clarify_need_share,
        contact_summary.offer_options_share,
        contact_summary.close_loop_share,
        contact_summary.acknowledged_within_30s_share,
        contact_summary.empathetic_contact_share,
        coalesce(contact_summary.had_tough_moment, false) as had_tough_moment,
        contact_summary.resolved_share,
        contact_summary.handle_time_seconds_mean,
        contact_summary.first_contact_at,
        contact_summary.last_contact_at,
        contact_summary.last_contact_channel
    from answers
    left join contact_summary
        on answers.invitation_id = contact_summary.invitation_id

)

select * from final
