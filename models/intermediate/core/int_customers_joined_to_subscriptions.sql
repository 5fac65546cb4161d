{#- One row per resolved, consenting customer: attributes of their primary account (the earliest signup; a
    customer can hold several accounts linked by a shared e-mail or phone) and their subscription state as of
    the build. Customers known only from interactions or surveys, with no CRM account, are kept with null
    account attributes. -#}
with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

accounts as (

    select * from {{ ref('consented_customers') }}

),

subscription_events as (

    select * from {{ ref('consented_subscription_events') }}
    where event_at <= {{ as_of('build_as_of') }}

),

interactions as (

    select * from {{ ref('consented_interactions') }}

),

invitations as (

    select * from {{ ref('consented_survey_invitations') }}

),

known_customers as (

    select accounts.customer_key from accounts
    union
    select interactions.customer_key from interactions
    union
    select invitations.customer_key from invitations

),

primary_accounts as (

    select
        accounts.customer_key,
        accounts.account_id,
        accounts.signup_at,
        accounts.plan,
        accounts.segment,
        accounts.region,
        count(*) over (partition by accounts.customer_key) as accounts_count
    from accounts
    qualify row_number() over (
            partition by accounts.customer_key order by accounts.signup_at, accounts.account_id
        ) = 1

),

latest_subscription_events as (

    select
        subscription_events.customer_key,
        subscription_events.event_type,
        subscription_events.event_at,
        subscription_events.is_voluntary,
        subscription_events.mrr
    from subscription_events
    qualify row_number() over (
            partition by subscription_events.customer_key
            order by {{ subscription_state_order('subscription_events') }}
        ) = 1

),

final as (

    select
        known_customers.customer_key,
        primary_accounts.signup_at,
        primary_accounts.plan,
        primary_accounts.segment,
        primary_accounts.region,
        coalesce(primary_accounts.accounts_count, 0) as accounts_count,
        case
            when latest_subscription_events.event_type is null then 'no_subscription'
            when latest_subscription_events.event_type = 'cancelled' then 'churned'
            else 'active'
        end as subscription_status,
        latest_subscription_events.mrr as current_mrr,
        case
            when latest_subscription_events.event_type = 'cancelled' then latest_subscription_events.event_at
        end as churned_at,
        case
            when latest_subscription_events.event_type = 'cancelled' then latest_subscription_events.is_voluntary
        end as is_voluntary_churn
    from known_customers
    left join primary_accounts
        on known_customers.customer_key = primary_accounts.customer_key
    left join latest_subscription_events
        on known_customers.customer_key = latest_subscription_events.customer_key

)

select * from final
