{#- The interactions whose outcomes (mart_interaction_outcomes: the customer's next survey answers, NPS, renewal,
    cancellation and contact) may differ from the last complete build's (D43): the refresh scope of the incremental
    models (identity_interactions_changed: every interaction of a customer whose interactions, consent or identity
    changed), and every interaction, then or now, of a customer with a subscription event, survey invitation or
    survey response delivered at or after the watermark, usable or not. Every interaction when there is no recorded
    state (identity_interactions_changed holds them all then). -#}
with

changed_interactions as (

    select * from {{ ref('identity_interactions_changed') }}

),

interaction_customers as (

    select * from {{ ref('identity_interactions_resolved') }}

),

subscription_events as (

    select * from {{ ref('screened_subscription_events') }}

),

survey_invitations as (

    select * from {{ ref('screened_survey_invitations') }}

),

survey_responses as (

    select * from {{ ref('screened_survey_responses') }}

),

previous_interactions as (

    {{ previous_incremental_snapshot('interaction_snapshot', 'interaction_key') }}

),

delivered_customers as (

    select subscription_events.customer_key
    from subscription_events
    where subscription_events._loaded_at >= {{ incremental_watermark() }}

    union

    select survey_invitations.customer_key
    from survey_invitations
    where survey_invitations._loaded_at >= {{ incremental_watermark() }}

    union

    select survey_responses.customer_key
    from survey_responses
    where survey_responses._loaded_at >= {{ incremental_watermark() }}

),

scope as (

    select changed_interactions.interaction_key
    from changed_interactions

    union

    select interaction_customers.interaction_key
    from interaction_customers
    where {{ customer_key('interaction_customers.customer_id') }}
        in (select delivered_customers.customer_key from delivered_customers)

    union

    select previous_interactions.interaction_key
    from previous_interactions
    where previous_interactions.customer_key in (select delivered_customers.customer_key from delivered_customers)

),

final as (

    select scope.interaction_key
    from scope

)

select * from final
