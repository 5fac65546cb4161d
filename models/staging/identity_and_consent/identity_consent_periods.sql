{#-
    Consent history per resolved customer and purpose as periods [valid_from, valid_to) (raw contract, "Consent
    rules"). An event applies to the customer its identifier resolves to; the latest event wins and, at the same
    instant, `revoked` wins. Before a customer's first event for a purpose the project default applies (vars
    consent_default_*); that default is applied where the periods are looked up.
-#}
with

events as (

    select * from {{ ref('stg_consent__consent_events') }}
    where row_fate = 'kept'

),

identifiers as (

    select * from {{ ref('identity_customer_identifiers') }}

),

resolved as (

    select
        identifiers.customer_id,
        identifiers.customer_key,
        events.purpose,
        events.status,
        events.event_at
    from events
    inner join identifiers
        on {{ identity_node('events.identifier_type', 'events.identifier_value') }} = identifiers.identity_node

),

per_instant as (

    select
        resolved.customer_id,
        resolved.customer_key,
        resolved.purpose,
        resolved.event_at,
        case when bool_or(resolved.status = 'revoked') then 'revoked' else 'granted' end as status,
        count(*) as events_at_instant
    from resolved
    group by all

),

final as (

    select
        per_instant.customer_id,
        per_instant.customer_key,
        per_instant.purpose,
        per_instant.status,
        per_instant.event_at as valid_from,
        lead(per_instant.event_at) over (
            partition by per_instant.customer_id, per_instant.purpose order by per_instant.event_at
        ) as valid_to,
        per_instant.events_at_instant
    from per_instant

)

select * from final
