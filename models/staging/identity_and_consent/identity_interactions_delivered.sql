{#- Every interaction key delivered, or with a transcript segment delivered, at or after the watermark (D33), whether
    or not the delivery is usable: read once here by identity_customers_changed and identity_interactions_changed. -#}
with

interaction_customers as (

    select * from {{ ref('identity_interactions_resolved') }}

),

segments as (

    select * from {{ ref('stg_helpdesk__transcript_segments') }}

),

delivered as (

    select interaction_customers.interaction_key
    from interaction_customers
    where interaction_customers.last_loaded_at >= {{ incremental_watermark() }}

    union

    select {{ interaction_key('segments.source_system', 'segments.interaction_id') }} as interaction_key
    from segments
    where segments._loaded_at >= {{ incremental_watermark() }}
        and segments.source_system is not null
        and segments.interaction_id is not null

),

final as (

    select delivered.interaction_key
    from delivered

)

select * from final
