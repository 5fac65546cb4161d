{#- Every survey invitation of a consenting customer with the cells the weighting needs: for CSAT pulses the
    interaction's channel, tough-moment category, period (month of the interaction) and acknowledgment group;
    for relationship NPS the customer's segment, period (quarter of sending) and prior exposure to acknowledgment
    (an acknowledged-within-30s contact in the var relationship_nps_exposure_window_days before sending).
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

exposed_contacts as (

    select
        interactions.customer_key,
        interactions.started_at
    from interactions
    inner join empathy
        on interactions.interaction_key = empathy.interaction_key
    where empathy.is_exposed

),

prior_exposure as (

    select
        invitations.invitation_id,
        count(exposed_contacts.customer_key) > 0 as had_exposed_contact
    from invitations
    left join exposed_contacts
        on invitations.customer_key = exposed_contacts.customer_key
            and invitations.sent_at > exposed_contacts.started_at
            and invitations.sent_at - interval {{ var('relationship_nps_exposure_window_days') }} day
            <= exposed_contacts.started_at
    where invitations.survey_type = 'relationship_nps'
    group by invitations.invitation_id

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
            when prior_exposure.had_exposed_contact then '{{ var("exposure")["name"] }}'
            else 'not_{{ var("exposure")["name"] }}'
        end as exposure_group,
        coalesce(customers.segment, 'unknown') as segment,
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
    left join prior_exposure
        on invitations.invitation_id = prior_exposure.invitation_id

)

select * from final
