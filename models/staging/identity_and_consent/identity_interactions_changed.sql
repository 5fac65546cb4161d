{#- The interactions whose rows in the incremental models after the identity-and-consent step are recomputed in this
    build (D33): every interaction delivered (or with a transcript segment delivered) at or after the watermark,
    whether or not it is usable, and every interaction whose customer, then or now, is in
    identity_customers_changed. Every interaction when there is no recorded state. -#}
with

interaction_customers as (

    select * from {{ ref('identity_interactions_resolved') }}

),

delivered_interaction_keys as (

    select * from {{ ref('identity_interactions_delivered') }}

),

changed_customers as (

    select * from {{ ref('identity_customers_changed') }}

),

previous_interactions as (

    {{ previous_incremental_snapshot('interaction_snapshot', 'interaction_key') }}

),

scope as (

    select delivered_interaction_keys.interaction_key
    from delivered_interaction_keys

    union

    select interaction_customers.interaction_key
    from interaction_customers
    where interaction_customers.customer_id in (select changed_customers.customer_id from changed_customers)

    union

    select previous_interactions.interaction_key
    from previous_interactions
    where previous_interactions.customer_id in (select changed_customers.customer_id from changed_customers)

),

final as (

    select scope.interaction_key
    from scope

)

select * from final
