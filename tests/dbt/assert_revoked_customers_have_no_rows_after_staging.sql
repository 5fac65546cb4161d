{#- Every customer counted as excluded in the consent audit is absent from the customer dimension and the
    interaction fact, and the audit's count equals the revoked customers of the identity model. -#}
with

revoked as (

    select consent.customer_key
    from {{ ref('identity_customer_consent') }} as consent
    where consent.is_analytics_revoked

),

leaks as (

    select
        'dim_customers' as model_name,
        revoked.customer_key
    from revoked
    inner join {{ ref('dim_customers') }} as customers on revoked.customer_key = customers.customer_key

    union all

    select
        'fct_interactions' as model_name,
        revoked.customer_key
    from revoked
    inner join {{ ref('fct_interactions') }} as interactions on revoked.customer_key = interactions.customer_key

    union all

    select
        'audit_consent' as model_name,
        null as customer_key
    from {{ ref('audit_consent') }} as consent_audit
    where consent_audit.metric = 'customers_excluded_analytics_revoked'
        and consent_audit.metric_value != (select count(*) as revoked_customers from revoked)

)

select * from leaks
