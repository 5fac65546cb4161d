with

events as (

    select * from {{ ref('base_billing__subscription_events') }}
    where row_fate = 'kept'

),

accounts as (

    select * from {{ ref('stg_crm__customers') }}

),

final as (

    select
        events.event_id,
        events.account_id,
        accounts.customer_id,
        accounts.customer_key,
        events.event_type,
        events.is_voluntary,
        events.cancel_reason,
        events.mrr,
        events.event_at,
        events._loaded_at,
        accounts.consent_exclusion_reason
    from events
    inner join accounts
        on events.account_id = accounts.account_id

)

select * from final
