{#- The lifelines split into (start, stop] episodes in days since the first contact after onboarding, one per
    day on which a contact or a save offer happened, so covariates can vary with time: the cumulative dosage of
    empathetic contacts (anchored empathy score of 4 or 5), contacts so far, contacts with a named emotion, and
    offers and money conceded so far. Every value counts only what happened up to the episode's start, and the
    episodes stop at the lifeline's end, so exposure after churn never enters a model. The event flag sits on the
    last episode of a customer who churned voluntarily. -#}
with

lifelines as (

    select * from {{ ref('int_lifelines_assembled') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

empathy as (

    select * from {{ ref('int_interactions_scored') }}

),

offers as (

    select * from {{ ref('consented_retention_offers') }}

),

contact_days as (

    select
        lifelines.customer_key,
        date_diff('day', lifelines.origin_at, interactions.started_at) as day_index,
        count(*) as contacts,
        count(*) filter (where empathy.is_empathetic_contact) as empathetic_contacts,
        count(*) filter (where empathy.has_name_emotion) as named_emotion_contacts,
        0 as offers,
        0.0 as money_conceded
    from lifelines
    inner join interactions
        on lifelines.customer_key = interactions.customer_key
            and lifelines.origin_at <= interactions.started_at
            and lifelines.end_at > interactions.started_at
    left join empathy
        on interactions.interaction_key = empathy.interaction_key
    group by all

),

offer_days as (

    select
        lifelines.customer_key,
        date_diff('day', lifelines.origin_at, offers.offered_at) as day_index,
        0 as contacts,
        0 as empathetic_contacts,
        0 as named_emotion_contacts,
        count(*) as offers,
        sum(offers.offer_amount) as money_conceded
    from lifelines
    inner join offers
        on lifelines.customer_key = offers.customer_key
            and lifelines.origin_at <= offers.offered_at
            and lifelines.end_at > offers.offered_at
    group by all

),

daily as (

    select
        changes.customer_key,
        changes.day_index,
        sum(changes.contacts) as contacts,
        sum(changes.empathetic_contacts) as empathetic_contacts,
        sum(changes.named_emotion_contacts) as named_emotion_contacts,
        sum(changes.offers) as offers,
        sum(changes.money_conceded) as money_conceded
    from (
        select * from contact_days
        union all
        select * from offer_days
    ) as changes
    group by changes.customer_key, changes.day_index

),

before_end as (

    {#- a change on the day the lifeline ends (a save offer on the churn day) cannot have preceded the event -#}
    select daily.*
    from daily
    inner join lifelines
        on daily.customer_key = lifelines.customer_key
    where daily.day_index = 0 or daily.day_index < lifelines.duration_days

),

cumulative as (

    select
        daily.customer_key,
        daily.day_index as start_day,
        lead(daily.day_index) over (partition by daily.customer_key order by daily.day_index) as next_change_day,
        sum(daily.contacts) over cumulative_window as contacts_so_far,
        sum(daily.empathetic_contacts) over cumulative_window as empathetic_contacts_so_far,
        sum(daily.named_emotion_contacts) over cumulative_window as named_emotion_contacts_so_far,
        sum(daily.offers) over cumulative_window as offers_so_far,
        sum(daily.money_conceded) over cumulative_window as money_conceded_so_far
    from before_end as daily
    window cumulative_window as (
        partition by daily.customer_key order by daily.day_index rows between unbounded preceding and current row
    )

),

final as (

    select
        cumulative.customer_key,
        cumulative.start_day::double as start_day,
        coalesce(cumulative.next_change_day, greatest(lifelines.duration_days, 0.5)) as stop_day,
        cumulative.next_change_day is null and lifelines.is_voluntary_churn as is_voluntary_churn,
        cumulative.contacts_so_far,
        cumulative.empathetic_contacts_so_far,
        cumulative.named_emotion_contacts_so_far,
        cumulative.offers_so_far,
        cumulative.money_conceded_so_far,
        lifelines.plan,
        lifelines.segment,
        lifelines.tenure_at_first_contact_days
    from cumulative
    inner join lifelines
        on cumulative.customer_key = lifelines.customer_key

)

select * from final
