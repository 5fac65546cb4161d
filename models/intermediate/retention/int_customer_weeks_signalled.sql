{#- One row per customer and week at risk (Monday to Sunday, UTC): what was known at the week's start — usage
    against the customer's own trailing baseline, recent contacts, tough moments, contacts without empathy,
    customer sentiment (the vendor's, else a lexicon's), open incidents on the customer's products, recurring revenue — and whether the customer
    churned during the week. Every signal reads only data from before week_start, so a model trained on these
    rows cannot see the future (D28). Weeks run from the first full week after signup to the week of churn, or to
    the week holding the as-of date. -#}
{%- set signals = var('risk_signals') -%}
{%- set baseline = signals['usage_baseline_weeks'] | int -%}
with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}

),

usage as (

    select * from {{ ref('consented_product_usage_weekly') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

scored as (

    select * from {{ ref('int_interactions_scored') }}

),

segment_sentiment as (

    select * from {{ ref('int_customer_segments_sentiment_filled') }}

),

incidents as (

    select * from {{ ref('consented_incidents') }}

),

subscription_events as (

    select * from {{ ref('consented_subscription_events') }}

),

contact_consent as (

    select * from {{ ref('consented_contact_consent_periods') }}

),

spine as (

    select
        customers.customer_key,
        customers.plan,
        customers.segment,
        customers.signup_at,
        customers.churned_at,
        customers.is_voluntary_churn,
        cast(unnest(generate_series(
            cast(date_trunc('week', customers.signup_at) as date) + 7,
            cast(date_trunc('week', least(
                coalesce(customers.churned_at, {{ as_of('build_as_of') }}), {{ as_of('build_as_of') }}
            )) as date),
            interval 7 day
        )) as date) as week_start
    from customers
    cross join build_as_of

),

usage_weekly as (

    select
        usage.customer_key,
        usage.week_start,
        least(max(usage.active_days), 7) as active_days,
        sum(usage.key_actions) as key_actions
    from usage
    group by usage.customer_key, usage.week_start

),

customer_sentiment as (

    select
        segment_sentiment.interaction_key,
        -- decimal arithmetic is exact, so a parallel scan sums in any order to the same bits
        cast(avg(cast(segment_sentiment.sentiment as decimal(18, 9))) as decimal(18, 9)) as customer_sentiment
    from segment_sentiment
    where segment_sentiment.sentiment is not null
    group by segment_sentiment.interaction_key

),

contacts as (

    select
        interactions.interaction_key,
        interactions.customer_key,
        interactions.product,
        interactions.started_at,
        cast(date_trunc('week', interactions.started_at) as date) as contact_week,
        interactions.is_tough_moment,
        interactions.is_resolved,
        scored.behaviors_count,
        customer_sentiment.customer_sentiment
    from interactions
    left join scored
        on interactions.interaction_key = scored.interaction_key
    left join customer_sentiment
        on interactions.interaction_key = customer_sentiment.interaction_key
    where interactions.customer_key is not null

),

contacts_weekly as (

    select
        contacts.customer_key,
        contacts.contact_week,
        count(*) as n_contacts,
        count(*) filter (where contacts.is_tough_moment) as n_tough_moments,
        count(*) filter (where not contacts.is_resolved) as n_unresolved,
        count(contacts.behaviors_count) as n_observed,
        count(*) filter (
            where contacts.behaviors_count <= {{ signals['empathy_absent_max_behaviors'] }}
        ) as n_empathy_absent,
        count(contacts.customer_sentiment) as n_with_sentiment,
        sum(contacts.customer_sentiment) as sentiment_sum,
        max(contacts.started_at) as last_contact_at,
        max(contacts.started_at) filter (where not coalesce(contacts.is_resolved, false)) as last_unresolved_at
    from contacts
    group by contacts.customer_key, contacts.contact_week

),

incident_weeks as (

    select
        incidents.incident_id,
        incidents.product,
        incidents.started_at,
        incidents.ended_at,
        cast(unnest(generate_series(
            cast(date_trunc('week', incidents.started_at) as date) + 7,
            cast(date_trunc('week', coalesce(incidents.ended_at, {{ as_of('build_as_of') }})) as date) + 7,
            interval 7 day
        )) as date) as week_start
    from incidents
    cross join build_as_of
    where incidents.product is not null

),

customer_product_weeks as (

    -- the weeks whose start falls within the lookback after a contact about the product: started_at < week_start
    -- <= started_at + lookback (one row per customer, product and week, so the join below is an equi-join that
    -- grows with the customers, not with customers times incidents)
    select distinct
        contacts.customer_key,
        contacts.product,
        cast(unnest(generate_series(
            cast(date_trunc('week', contacts.started_at) as date) + 7,
            cast(date_trunc(
                'week', contacts.started_at + to_days({{ signals['incident_product_lookback_days'] }})
            ) as date),
            interval 7 day
        )) as date) as week_start
    from contacts
    where contacts.product is not null

),

product_week_incidents as (

    -- an incident belongs to one product, so a customer's distinct open incidents are the sum over their products
    select
        incident_weeks.product,
        incident_weeks.week_start,
        count(distinct incident_weeks.incident_id) as n_open_incidents
    from incident_weeks
    where
        incident_weeks.started_at < incident_weeks.week_start
        and (incident_weeks.ended_at is null or incident_weeks.ended_at >= incident_weeks.week_start)
    group by incident_weeks.product, incident_weeks.week_start

),

open_incidents as (

    select
        customer_product_weeks.customer_key,
        customer_product_weeks.week_start,
        cast(sum(product_week_incidents.n_open_incidents) as bigint) as n_open_incidents
    from customer_product_weeks
    inner join product_week_incidents
        on
            customer_product_weeks.product = product_week_incidents.product
            and customer_product_weeks.week_start = product_week_incidents.week_start
    group by customer_product_weeks.customer_key, customer_product_weeks.week_start

),

revenue_periods as (

    select
        subscription_events.customer_key,
        subscription_events.mrr,
        subscription_events.event_at as valid_from,
        lead(subscription_events.event_at) over (
            partition by subscription_events.customer_key
            order by subscription_events.event_at, subscription_events.event_id
        ) as valid_to
    from subscription_events
    where subscription_events.customer_key is not null

),

joined as (

    select
        spine.*,
        usage_weekly.active_days,
        usage_weekly.key_actions,
        coalesce(contacts_weekly.n_contacts, 0) as n_contacts,
        coalesce(contacts_weekly.n_tough_moments, 0) as n_tough_moments,
        coalesce(contacts_weekly.n_unresolved, 0) as n_unresolved,
        coalesce(contacts_weekly.n_observed, 0) as n_observed,
        coalesce(contacts_weekly.n_empathy_absent, 0) as n_empathy_absent,
        coalesce(contacts_weekly.n_with_sentiment, 0) as n_with_sentiment,
        contacts_weekly.sentiment_sum,
        contacts_weekly.last_contact_at,
        contacts_weekly.last_unresolved_at,
        coalesce(open_incidents.n_open_incidents, 0) as open_incidents_on_recent_products
    from spine
    left join usage_weekly
        on spine.customer_key = usage_weekly.customer_key and spine.week_start = usage_weekly.week_start
    left join contacts_weekly
        on spine.customer_key = contacts_weekly.customer_key and spine.week_start = contacts_weekly.contact_week
    left join open_incidents
        on spine.customer_key = open_incidents.customer_key and spine.week_start = open_incidents.week_start

),

windowed as (

    select
        joined.customer_key,
        joined.week_start,
        joined.plan,
        joined.segment,
        date_diff('day', joined.signup_at, joined.week_start) // 7 as tenure_weeks,
        lag(joined.active_days) over by_customer as active_days_last_week,
        lag(joined.key_actions) over by_customer as key_actions_last_week,
        avg(joined.active_days) over baseline_weeks as baseline_active_days,
        avg(joined.key_actions) over baseline_weeks as baseline_key_actions,
        count(joined.active_days) over baseline_weeks as n_baseline_usage_weeks,
        sum(joined.n_contacts) over last_2_weeks as contacts_last_14_days,
        sum(joined.n_contacts) over last_4_weeks as contacts_last_28_days,
        sum(joined.n_tough_moments) over last_4_weeks as tough_moments_last_28_days,
        sum(joined.n_unresolved) over last_4_weeks as unresolved_contacts_last_28_days,
        sum(joined.n_observed) over last_4_weeks as observed_contacts_last_28_days,
        sum(joined.n_empathy_absent) over last_4_weeks as empathy_absent_contacts_last_28_days,
        sum(joined.n_with_sentiment) over last_4_weeks as contacts_with_sentiment_last_28_days,
        sum(joined.sentiment_sum) over last_4_weeks as sentiment_sum_last_28_days,
        max(joined.last_contact_at) over all_before as last_contact_at,
        max(joined.last_unresolved_at) over all_before as last_unresolved_contact_at,
        joined.open_incidents_on_recent_products,
        joined.n_contacts as contacts_during_week,
        joined.n_unresolved as unresolved_contacts_during_week,
        joined.churned_at,
        joined.is_voluntary_churn
    from joined
    window
        by_customer as (partition by joined.customer_key order by joined.week_start),
        baseline_weeks as (
            partition by joined.customer_key order by joined.week_start
            rows between {{ baseline + 1 }} preceding and 2 preceding
        ),
        last_2_weeks as (
            partition by joined.customer_key order by joined.week_start rows between 2 preceding and 1 preceding
        ),
        last_4_weeks as (
            partition by joined.customer_key order by joined.week_start rows between 4 preceding and 1 preceding
        ),
        all_before as (
            partition by joined.customer_key order by joined.week_start
            rows between unbounded preceding and 1 preceding
        )

),

with_revenue as (

    select
        windowed.*,
        revenue_periods.mrr as mrr_at_week_start
    from windowed
    left join revenue_periods
        on
            windowed.customer_key = revenue_periods.customer_key
            and windowed.week_start >= revenue_periods.valid_from
            -- an open end as 'infinity', not an "or ... is null": a disjunction hides the range from the join
            -- planner, which then compared every customer-week with every revenue period (hours at 100,000)
            and windowed.week_start < coalesce(revenue_periods.valid_to, cast('infinity' as timestamp))

),

with_consent as (

    select
        with_revenue.*,
        coalesce(contact_consent.status = 'revoked', false) as is_contact_opted_out
    from with_revenue
    left join contact_consent
        on
            with_revenue.customer_key = contact_consent.customer_key
            and with_revenue.week_start >= coalesce(contact_consent.valid_from, cast('-infinity' as timestamp))
            and with_revenue.week_start < coalesce(contact_consent.valid_to, cast('infinity' as timestamp))

),

final as (

    select
        with_consent.customer_key,
        with_consent.week_start,
        with_consent.plan,
        with_consent.segment,
        with_consent.tenure_weeks,
        with_consent.mrr_at_week_start,
        with_consent.active_days_last_week,
        with_consent.key_actions_last_week,
        with_consent.baseline_active_days,
        with_consent.baseline_key_actions,
        coalesce(with_consent.n_baseline_usage_weeks, 0) as n_baseline_usage_weeks,
        case
            when with_consent.n_baseline_usage_weeks >= {{ signals['usage_baseline_min_weeks'] }}
                and with_consent.baseline_active_days > 0
                then with_consent.active_days_last_week / with_consent.baseline_active_days
        end as active_days_ratio,
        case
            when with_consent.n_baseline_usage_weeks >= {{ signals['usage_baseline_min_weeks'] }}
                and with_consent.baseline_key_actions > 0
                then with_consent.key_actions_last_week / with_consent.baseline_key_actions
        end as key_actions_ratio,
        coalesce(
            with_consent.n_baseline_usage_weeks >= {{ signals['usage_baseline_min_weeks'] }}
            and with_consent.baseline_active_days > 0
            and with_consent.active_days_last_week
            < {{ signals['usage_dip_ratio'] }} * with_consent.baseline_active_days,
            false
        ) as has_usage_dip,
        coalesce(with_consent.contacts_last_14_days, 0) as contacts_last_14_days,
        coalesce(with_consent.contacts_last_28_days, 0) as contacts_last_28_days,
        coalesce(with_consent.tough_moments_last_28_days, 0) as tough_moments_last_28_days,
        coalesce(with_consent.unresolved_contacts_last_28_days, 0) as unresolved_contacts_last_28_days,
        coalesce(with_consent.observed_contacts_last_28_days, 0) as observed_contacts_last_28_days,
        coalesce(with_consent.empathy_absent_contacts_last_28_days, 0) as empathy_absent_contacts_last_28_days,
        coalesce(with_consent.contacts_with_sentiment_last_28_days, 0) as contacts_with_sentiment_last_28_days,
        with_consent.sentiment_sum_last_28_days
        / nullif(with_consent.contacts_with_sentiment_last_28_days, 0) as customer_sentiment_last_28_days,
        date_diff('day', with_consent.last_contact_at, with_consent.week_start) as days_since_last_contact,
        coalesce(
            with_consent.last_unresolved_contact_at >= with_consent.week_start
            - to_days({{ signals['open_contact_days'] }}),
            false
        ) as has_open_contact,
        with_consent.open_incidents_on_recent_products,
        with_consent.is_contact_opted_out,
        with_consent.contacts_during_week,
        with_consent.unresolved_contacts_during_week,
        with_consent.week_start + 7 <= cast({{ as_of('build_as_of') }} as date) as is_week_complete,
        coalesce(
            with_consent.churned_at >= with_consent.week_start
            and with_consent.churned_at < with_consent.week_start + 7
            and with_consent.is_voluntary_churn,
            false
        ) as is_voluntary_churn_in_week,
        coalesce(
            with_consent.churned_at >= with_consent.week_start
            and with_consent.churned_at < with_consent.week_start + 7
            and not with_consent.is_voluntary_churn,
            false
        ) as is_involuntary_churn_in_week
    from with_consent
    cross join build_as_of

)

select * from final
