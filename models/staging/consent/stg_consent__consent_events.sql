{#- Consent events with their resolved customer; the identifier value itself stays in the base model. Consent
    events are control data: they are never excluded, and only counts of them leave staging. -#}
with

events as (

    select * from {{ ref('base_consent__consent_events') }}
    where row_fate = 'kept'

),

identifiers as (

    select * from {{ ref('stg_identity__customer_identifiers') }}

),

final as (

    select
        events.event_id,
        identifiers.customer_id,
        identifiers.customer_key,
        events.identifier_type,
        events.purpose,
        events.status,
        events.event_at,
        events.capture_source,
        events._loaded_at,
        cast(null as varchar) as consent_exclusion_reason
    from events
    inner join identifiers
        on {{ identity_node('events.identifier_type', 'events.identifier_value') }} = identifiers.identity_node

)

select * from final
