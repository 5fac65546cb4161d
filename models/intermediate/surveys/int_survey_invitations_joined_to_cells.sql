{#- Every survey invitation of a consenting customer with what the weighting knows of it. For CSAT pulses: the
    interaction's channel, tough-moment category, period (month of the interaction) and acknowledgment group, and
    the customer's plan, segment, region and tenure band at the interaction. For relationship NPS: the period
    (quarter of sending), which is the wave; its frame covariates live in int_nps_frame_members_described.
    `has_responded` is true when a usable answer exists; responses excluded for consent (an invitation sent
    without survey-contact consent) count as nonresponse. -#}
with

invitations as (

    select * from {{ ref('consented_survey_invitations') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

empathy as (

    select * from {{ ref('int_interactions_scored') }}

),

responses as (

    select * from {{ ref('int_survey_responses_pivoted') }}

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}

),

final as (

    select
        invitations.invitation_id,
        invitations.survey_type,
        invitations.interaction_key,
        invitations.customer_key,
        invitations.sampling_stratum,
        invitations.selection_probability,
        invitations.sent_at,
        invitations.is_sent_without_consent,
        interactions.channel,
        interactions.tough_moment_category,
        case
            when invitations.survey_type = 'csat_pulse' then strftime(interactions.started_at, '%Y-%m')
            else strftime(invitations.sent_at, '%Y') || '-Q' || quarter(invitations.sent_at)::varchar
        end as period,
        case
            when invitations.survey_type = 'csat_pulse'
                then coalesce(empathy.exposure_group, 'transcript_not_usable')
        end as exposure_group,
        coalesce(customers.plan, 'unknown') as plan,
        coalesce(customers.segment, 'unknown') as segment,
        coalesce(customers.region, 'unknown') as region,
        {{ tenure_band('customers.signup_at', 'coalesce(interactions.started_at, invitations.sent_at)') }}
            as tenure_band,
        responses.invitation_id is not null
        and (responses.csat is not null or responses.nps is not null) as has_responded,
        responses.csat,
        responses.is_csat_top2,
        responses.felt_understood,
        responses.acknowledged_situation,
        responses.clear_next_steps,
        responses.nps,
        responses.nps_category
    from invitations
    left join interactions
        on invitations.interaction_key = interactions.interaction_key
    left join empathy
        on invitations.interaction_key = empathy.interaction_key
    left join responses
        on invitations.invitation_id = responses.invitation_id
    left join customers
        on invitations.customer_key = customers.customer_key

)

select * from final
