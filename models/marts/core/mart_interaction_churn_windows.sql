{#- Churn after each consenting interaction, one row per interaction and declared window
    (var churn_windows_days, any list of days): churned (any cancellation) and voluntarily churned within the
    window after the contact; null while the window is still open at the as-of date (unknown, not false).
    Long format, so that changing the windows adds rows, never columns. -#}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}

),

as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

windows as (

    select unnest({{ var('churn_windows_days') | list }}) as churn_window_days

),

final as (

    select
        outcomes.interaction_key,
        outcomes.customer_key,
        windows.churn_window_days::integer as churn_window_days,
        case
            when outcomes.days_to_next_cancellation <= windows.churn_window_days then true
            when as_of.as_of >= outcomes.started_at + to_days(windows.churn_window_days::integer) then false
        end as is_churned,
        case
            when outcomes.days_to_next_cancellation <= windows.churn_window_days
                then outcomes.is_next_cancellation_voluntary
            when as_of.as_of >= outcomes.started_at + to_days(windows.churn_window_days::integer) then false
        end as is_voluntarily_churned
    from outcomes
    cross join windows
    cross join as_of

)

select * from final
