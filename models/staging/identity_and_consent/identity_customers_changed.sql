{#- The customers whose rows in the incremental models may differ from the last complete build's (D33), with why:
    every customer (`no_previous_build`) when there is no recorded state; otherwise the customers an identity
    change touched (both the customer an identifier belonged to and the one it belongs to now), the customers
    (then and now) of interactions and transcript segments delivered at or after the watermark, and the customers
    whose consent events were delivered at or after it or take effect after the last build's as-of. A model that
    becomes incremental and reads another customer-linked table adds that table's deliveries here. -#}
{%- set has_state = incremental_state_exists() %}

with

identifiers as (

    select * from {{ ref('identity_customer_identifiers') }}

),

interaction_customers as (

    select * from {{ ref('identity_interactions_resolved') }}

),

delivered_interaction_keys as (

    select * from {{ ref('identity_interactions_delivered') }}

),

consent_events as (

    select * from {{ ref('stg_consent__consent_events') }}
    where row_fate = 'kept'

),

previous_identifiers as (

    {#- the previous complete build's maps; none before the first one -#}

    {{ previous_incremental_snapshot('identity_snapshot', 'identity_node') }}

),

previous_interactions as (

    {{ previous_incremental_snapshot('interaction_snapshot', 'interaction_key') }}

),

customers as (

    select distinct
        identifiers.customer_id,
        identifiers.customer_key
    from identifiers

),

changes as (

    select
        coalesce(current_ids.customer_id, previous_ids.customer_id) as customer_id,
        'identity_changed' as change_reason
    from identifiers as current_ids
    full outer join previous_identifiers as previous_ids
        on current_ids.identity_node = previous_ids.identity_node
    where current_ids.identity_node is null
        or previous_ids.identity_node is null
        or current_ids.customer_id != previous_ids.customer_id

    union all

    select
        previous_ids.customer_id,
        'identity_changed' as change_reason
    from identifiers as current_ids
    inner join previous_identifiers as previous_ids
        on current_ids.identity_node = previous_ids.identity_node
    where current_ids.customer_id != previous_ids.customer_id

    union all

    select
        interaction_customers.customer_id,
        'interaction_delivered' as change_reason
    from interaction_customers
    inner join delivered_interaction_keys
        on interaction_customers.interaction_key = delivered_interaction_keys.interaction_key

    union all

    select
        previous_interactions.customer_id,
        'interaction_delivered' as change_reason
    from previous_interactions
    inner join delivered_interaction_keys
        on previous_interactions.interaction_key = delivered_interaction_keys.interaction_key

    union all

    select
        identifiers.customer_id,
        'consent_changed' as change_reason
    from consent_events
    inner join identifiers
        on {{ identity_node('consent_events.identifier_type', 'consent_events.identifier_value') }}
            = identifiers.identity_node
    where consent_events._loaded_at >= {{ incremental_watermark() }}
        or consent_events.event_at >= {{ incremental_watermark('as_of') }}

    union all

    select
        customers.customer_id,
        'no_previous_build' as change_reason
    from customers
    where {{ 'false' if has_state else 'true' }}

),

final as (

    select
        changes.customer_id,
        {{ customer_key('changes.customer_id') }} as customer_key,
        {#- the first reason in this order -#}
        case min(
            case changes.change_reason
                when 'no_previous_build' then 1
                when 'consent_changed' then 2
                when 'identity_changed' then 3
                else 4
            end
        )
            when 1 then 'no_previous_build'
            when 2 then 'consent_changed'
            when 3 then 'identity_changed'
            else 'interaction_delivered'
        end as change_reason
    from changes
    where changes.customer_id is not null
    group by changes.customer_id

)

select * from final
