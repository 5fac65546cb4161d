{#- Every week of product usage the source-conformed model kept, with its fate in the identity-and-consent step:
    `quarantined` when its account is unknown to the CRM or was set aside as broken, `excluded_for_consent` when the
    account's customer revoked analytics consent, `kept` otherwise. consented_product_usage_weekly publishes the
    kept ones. -#}
with

usage as (

    select * from {{ ref('stg_product__product_usage_weekly') }}
    where row_fate = 'kept'

),

delivered_accounts as (

    select * from {{ ref('stg_crm__customers') }}

),

accounts as (

    select * from {{ ref('screened_customers') }}

),

with_parent as (

    {{ with_parent_status('usage', 'delivered_accounts', ['account_id'], 'is_account_kept') }}

),

judged as (

    select
        with_parent.*,
        accounts.customer_key,
        case
            {{ parent_set_aside_reason('with_parent.is_account_kept', 'accounts', 'account') }}
        end as set_aside_reason
    from with_parent
    left join accounts
        on with_parent.account_id = accounts.account_id

),

final as (

    select
        judged.account_id,
        judged.customer_key,
        judged.week_start,
        judged.active_days,
        judged.key_actions,
        judged._loaded_at,
        {{ screened_row_fate('judged.set_aside_reason', 'account') }} as row_fate,
        judged.set_aside_reason
    from judged

)

select * from final
