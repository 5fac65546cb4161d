{#- Every CRM account the source-conformed model kept, with its resolved customer and its fate in the
    identity-and-consent step: `excluded_for_consent` when the customer's analytics consent is revoked as of the
    build, `kept` otherwise. E-mail and phone stay in stg_crm__customers: identity resolution has used them and
    nothing later needs them. consented_customers publishes the kept ones. -#}
with

customers as (

    select * from {{ ref('stg_crm__customers') }}
    where row_fate = 'kept'

),

identifiers as (

    select * from {{ ref('identity_customer_identifiers') }}

),

customer_consent as (

    select * from {{ ref('identity_customer_consent') }}

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
        case when customer_consent.is_analytics_revoked then 'excluded_for_consent' else 'kept' end as row_fate,
        case when customer_consent.is_analytics_revoked then 'analytics_revoked' end as set_aside_reason
    from customers
    inner join identifiers
        on {{ identity_node("'account_id'", 'customers.account_id') }} = identifiers.identity_node
    inner join customer_consent
        on identifiers.customer_id = customer_consent.customer_id

)

select * from final
