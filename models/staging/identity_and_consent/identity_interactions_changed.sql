{#- The interactions whose rows in the incremental models after the identity-and-consent step are recomputed in this
    build (D33): every interaction delivered (or with a transcript segment delivered) at or after the watermark,
    whether or not it is usable, and every interaction whose customer, then or now, is in
    identity_customers_changed. Every interaction when there is no recorded state. -#}
{%- set has_state = incremental_state_exists() %}

with

interaction_customers as (

    select * from {{ ref('identity_interactions_resolved') }}

),

segments as (

    select * from {{ ref('stg_helpdesk__transcript_segments') }}

),

changed_customers as (

    select * from {{ ref('identity_customers_changed') }}

),

previous_interactions as (

    {% if has_state -%}
        select * from {{ incremental_state_relation('interaction_snapshot') }}
    {%- else -%}
        select
            cast(null as {{ varchar_type() }}) as interaction_key,
            cast(null as {{ varchar_type() }}) as customer_id,
            cast(null as {{ varchar_type() }}) as customer_key
        where false
    {%- endif %}

),


scope as (

    select interaction_customers.interaction_key
    from interaction_customers
    where interaction_customers.last_loaded_at >= {{ incremental_watermark() }}
        or interaction_customers.customer_id in (select changed_customers.customer_id from changed_customers)

    union

    select {{ interaction_key('segments.source_system', 'segments.interaction_id') }} as interaction_key
    from segments
    where segments._loaded_at >= {{ incremental_watermark() }}
        and segments.source_system is not null
        and segments.interaction_id is not null

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
