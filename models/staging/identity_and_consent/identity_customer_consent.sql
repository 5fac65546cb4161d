{#- One row per resolved customer: analytics consent judged as of the build (default from var
    consent_default_analytics when the customer has no event). A revoked customer leaves every model after
    staging; this model is how the staging models know who. -#}
with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

customers as (

    select distinct
        identifiers.customer_id,
        identifiers.customer_key
    from {{ ref('identity_customer_identifiers') }} as identifiers

),

analytics_periods as (

    select periods.*
    from {{ ref('identity_consent_periods') }} as periods
    where periods.purpose = 'analytics'
        and periods.valid_from <= {{ as_of('build_as_of') }}
        and (periods.valid_to is null or periods.valid_to > {{ as_of('build_as_of') }})

),

final as (

    select
        customers.customer_id,
        customers.customer_key,
        coalesce(
            analytics_periods.status,
            '{{ "granted" if var("consent_default_analytics") == "granted" else "revoked" }}'
        ) as analytics_consent,
        case when analytics_periods.status is null then 'default' else 'event' end as analytics_consent_basis,
        coalesce(
            analytics_periods.status,
            '{{ "granted" if var("consent_default_analytics") == "granted" else "revoked" }}'
        ) = 'revoked' as is_analytics_revoked
    from customers
    left join analytics_periods
        on customers.customer_id = analytics_periods.customer_id

)

select * from final
