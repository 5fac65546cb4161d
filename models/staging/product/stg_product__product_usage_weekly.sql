with

usage as (

    select * from {{ ref('base_product__product_usage_weekly') }}
    where row_fate = 'kept'

),

accounts as (

    select * from {{ ref('stg_crm__customers') }}

),

final as (

    select
        usage.account_id,
        accounts.customer_key,
        usage.week_start,
        usage.active_days,
        usage.key_actions,
        usage._loaded_at,
        accounts.consent_exclusion_reason
    from usage
    inner join accounts
        on usage.account_id = accounts.account_id

)

select * from final
