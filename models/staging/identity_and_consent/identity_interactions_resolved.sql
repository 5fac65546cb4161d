{#- Every delivered interaction with a usable key (one row per key, whatever its deliveries' fates), resolved to its
    customer the way screened_interactions resolves it (from the kept delivery, else the latest), with its latest
    load: the map the incremental refresh scope is decided on (D33). -#}
{%- set customer_identifiers = {'account_id': 'account_id', 'email': 'customer_email', 'phone': 'customer_phone'} %}

with

identifiers as (

    select * from {{ ref('identity_customer_identifiers') }}

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}
    where source_system is not null and interaction_id is not null

),

resolved as (

    select
        {{ interaction_key('interactions.source_system', 'interactions.interaction_id') }} as interaction_key,
        interactions.row_fate,
        interactions._loaded_at,
        {{ customer_id_from(customer_identifiers) }} as customer_id
    from interactions
    {{ join_identifiers('interactions', customer_identifiers) }}

),

final as (

    select
        resolved.interaction_key,
        max(resolved._loaded_at) as last_loaded_at,
        coalesce(
            max(case when resolved.row_fate = 'kept' then resolved.customer_id end),
            max_by(resolved.customer_id, resolved._loaded_at)
        ) as customer_id
    from resolved
    group by resolved.interaction_key

)

select * from final
