with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}

),

final as (

    select
        customers.customer_key,
        customers.signup_at,
        customers.plan,
        customers.segment,
        customers.region,
        customers.accounts_count,
        {{ date_diff('day', 'customers.signup_at', 'coalesce(customers.churned_at, ' ~ as_of('build_as_of') ~ ')') }}
            as tenure_days,
        customers.subscription_status,
        customers.current_mrr,
        customers.churned_at,
        customers.is_voluntary_churn
    from customers

)

select * from final
