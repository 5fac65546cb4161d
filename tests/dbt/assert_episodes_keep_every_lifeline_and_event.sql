{#- The start/stop episodes cover every lifeline exactly: same customers, same voluntary churns, and the last
    episode stops where the lifeline ends. -#}
with

lifelines as (

    select * from {{ ref('int_lifelines_assembled') }}

),

episodes as (

    select
        episodes.customer_key,
        max(episodes.stop_day) as last_stop_day,
        bool_or(episodes.is_voluntary_churn) as has_event,
        count(*) filter (where episodes.is_voluntary_churn) as events
    from {{ ref('int_exposure_episodes_accumulated') }} as episodes
    group by episodes.customer_key

)

select
    lifelines.customer_key,
    lifelines.duration_days,
    episodes.last_stop_day,
    lifelines.is_voluntary_churn,
    episodes.events
from lifelines
left join episodes
    on lifelines.customer_key = episodes.customer_key
where
    episodes.customer_key is null
    or episodes.last_stop_day != greatest(lifelines.duration_days, 0.5)
    or episodes.has_event != lifelines.is_voluntary_churn
    or episodes.events > 1
