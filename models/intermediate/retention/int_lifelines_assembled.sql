{#- One row per consenting customer with a first contact after onboarding: the lifeline of voluntary churn.

    - origin: the first interaction at least var('onboarding_days') days after signup ("first experience after
      onboarding"); baseline covariates and the exposure are measured at that contact, so nothing after the
      origin leaks into them;
    - event: the first voluntary cancellation after the origin; involuntary churn (e.g. payment failure) is
      treated as censoring (a cause-specific hazard), as is the as-of date;
    - duration in whole days (the Cox model's batch algorithm is fast on tied times);
    - exposure: the first contact was acknowledged within 30 seconds (null when its transcript may not be used);
    - cohorts: quarter of the first contact, whether it fell in the var('renewal_window_days') before a renewal,
      and whether it fell during a major (sev1) incident of its product.
    Descriptive lifetime columns (dosage, named-emotion share, offers) count contacts between origin and end. -#}
with

as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

empathy as (

    select * from {{ ref('int_interactions_scored') }}

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}
    where signup_at is not null

),

subscription_events as (

    select * from {{ ref('consented_subscription_events') }}

),

offers as (

    select * from {{ ref('consented_retention_offers') }}

),

major_incidents as (

    select * from {{ ref('consented_incidents') }}
    where severity = 'sev1'

),

first_contacts as (

    select
        customers.customer_key,
        customers.signup_at,
        customers.plan,
        customers.segment,
        interactions.interaction_key as first_contact_key,
        interactions.started_at as origin_at,
        interactions.product as first_contact_product,
        interactions.is_tough_moment as first_contact_is_tough,
        interactions.tough_moment_category as first_contact_issue_type,
        coalesce(interactions.is_resolved, false) as first_contact_is_resolved,
        interactions.handle_time_seconds / 60.0 as first_contact_handle_minutes
    from customers
    inner join interactions
        on customers.customer_key = interactions.customer_key
    where interactions.started_at >= customers.signup_at + interval {{ var('onboarding_days') }} day
    qualify row_number() over (
            partition by customers.customer_key order by interactions.started_at, interactions.interaction_key
        ) = 1

),

ends as (

    select
        first_contacts.customer_key,
        min(subscription_events.event_at) filter (
            where subscription_events.event_type = 'cancelled' and subscription_events.is_voluntary
        ) as voluntary_churn_at,
        min(subscription_events.event_at) filter (
            where subscription_events.event_type = 'cancelled' and not coalesce(subscription_events.is_voluntary, false)
        ) as involuntary_churn_at
    from first_contacts
    left join subscription_events
        on first_contacts.customer_key = subscription_events.customer_key
            and first_contacts.origin_at < subscription_events.event_at
    group by first_contacts.customer_key

),

renewals as (

    select
        first_contacts.customer_key,
        bool_or(subscription_events.event_type = 'renewed') as is_in_renewal_window
    from first_contacts
    inner join subscription_events
        on first_contacts.customer_key = subscription_events.customer_key
            and first_contacts.origin_at <= subscription_events.event_at
            and subscription_events.event_at
            < first_contacts.origin_at + interval {{ var('renewal_window_days') }} day
    group by first_contacts.customer_key

),

incidents as (

    select
        first_contacts.customer_key,
        count(*) > 0 as is_during_major_incident
    from first_contacts
    inner join major_incidents
        on first_contacts.first_contact_product = major_incidents.product
            and first_contacts.origin_at >= major_incidents.started_at
            and first_contacts.origin_at < coalesce(major_incidents.ended_at, timestamp '9999-12-31')
    group by first_contacts.customer_key

),

lifelines as (

    select
        first_contacts.*,
        ends.voluntary_churn_at,
        ends.involuntary_churn_at,
        least(
            coalesce(ends.voluntary_churn_at, as_of.as_of),
            coalesce(ends.involuntary_churn_at, as_of.as_of),
            as_of.as_of
        ) as end_at,
        ends.voluntary_churn_at is not null
        and ends.voluntary_churn_at <= least(coalesce(ends.involuntary_churn_at, as_of.as_of), as_of.as_of)
            as is_voluntary_churn,
        coalesce(renewals.is_in_renewal_window, false) as is_in_renewal_window,
        coalesce(incidents.is_during_major_incident, false) as is_during_major_incident
    from first_contacts
    cross join as_of
    left join ends
        on first_contacts.customer_key = ends.customer_key
    left join renewals
        on first_contacts.customer_key = renewals.customer_key
    left join incidents
        on first_contacts.customer_key = incidents.customer_key

),

lifetime_contacts as (

    select
        lifelines.customer_key,
        count(*) as contacts_count,
        count(*) filter (where empathy.is_empathetic_contact) as empathetic_contacts_count,
        avg(case when empathy.has_name_emotion then 1.0 when empathy.has_name_emotion = false then 0.0 end)
            as named_emotion_share
    from lifelines
    inner join interactions
        on lifelines.customer_key = interactions.customer_key
            and lifelines.origin_at <= interactions.started_at
            and lifelines.end_at >= interactions.started_at
    left join empathy
        on interactions.interaction_key = empathy.interaction_key
    group by lifelines.customer_key

),

lifetime_offers as (

    select
        lifelines.customer_key,
        count(*) as offers_count,
        sum(offers.offer_amount) as money_conceded
    from lifelines
    inner join offers
        on lifelines.customer_key = offers.customer_key
            and lifelines.origin_at <= offers.offered_at
            and lifelines.end_at >= offers.offered_at
    group by lifelines.customer_key

),

final as (

    select
        lifelines.customer_key,
        lifelines.first_contact_key,
        lifelines.origin_at,
        lifelines.end_at,
        date_diff('day', lifelines.origin_at, lifelines.end_at) as duration_days,
        lifelines.is_voluntary_churn,
        lifelines.voluntary_churn_at,
        lifelines.involuntary_churn_at,
        coalesce(empathy.exposure_group, 'transcript_not_usable') as exposure_group,
        empathy.is_exposed as is_first_contact_exposed,
        lifelines.plan,
        lifelines.segment,
        date_diff('day', lifelines.signup_at, lifelines.origin_at) as tenure_at_first_contact_days,
        lifelines.first_contact_is_tough,
        lifelines.first_contact_issue_type,
        lifelines.first_contact_is_resolved,
        lifelines.first_contact_handle_minutes,
        strftime(lifelines.signup_at, '%Y-%m') as signup_month,
        strftime(lifelines.origin_at, '%Y-%m') as first_contact_month,
        strftime(lifelines.origin_at, '%Y') || '-Q' || quarter(lifelines.origin_at)::varchar as first_contact_quarter,
        case when lifelines.is_in_renewal_window then 'in_renewal_window' else 'outside_renewal_window' end
            as renewal_window,
        case when lifelines.is_during_major_incident then 'during_major_incident' else 'no_major_incident' end
            as major_incident,
        coalesce(lifetime_contacts.contacts_count, 0) as lifetime_contacts_count,
        coalesce(lifetime_contacts.empathetic_contacts_count, 0) as lifetime_empathetic_contacts_count,
        lifetime_contacts.named_emotion_share as lifetime_named_emotion_share,
        coalesce(lifetime_offers.offers_count, 0) as lifetime_offers_count,
        coalesce(lifetime_offers.money_conceded, 0) as lifetime_money_conceded
    from lifelines
    left join empathy
        on lifelines.first_contact_key = empathy.interaction_key
    left join lifetime_contacts
        on lifelines.customer_key = lifetime_contacts.customer_key
    left join lifetime_offers
        on lifelines.customer_key = lifetime_offers.customer_key

)

select * from final
