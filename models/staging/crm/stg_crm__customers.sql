{#- CRM accounts with their resolved customer. E-mail and phone stay in the base model: identity resolution has
    used them and nothing downstream needs them. -#}
with

customers as (

    select * from {{ ref('base_crm__customers') }}
    where row_fate = 'kept'

),

identifiers as (

    select * from {{ ref('stg_identity__customer_identifiers') }}

),

customer_consent as (

    select * from {{ ref('stg_identity__customer_consent') }}

),

final as (

    select
        customers.account_id,
        identifiers.customer_id,
        customer_consent.customer_key,
        customers.signup_at,
        customers.plan,
        customers.segment,
        customers.region,
        customers.updated_at,
        customers._loaded_at,
        case when customer_consent.is_analytics_revoked then 'analytics_revoked' end as consent_exclusion_reason
    from customers
    inner join identifiers
        on {{ identity_node("'account_id'", 'customers.account_id') }} = identifiers.identity_node
    inner join customer_consent
        on identifiers.customer_id = customer_consent.customer_id

)

select * from final
