{#- Churn after each consenting interaction, one row per interaction and declared window
    (var churn_windows_days, any list of days): churned (any cancellation) and voluntarily churned within the
    window after the contact; null while the window is still open at the as-of date (unknown, not false).
    Long format, so that changing the windows adds rows, never columns. -#}
{#- Incremental (D43): the pre-hook deletes every window of the interactions of identity_outcomes_changed and of
    those with a window still open at the last build (the as-of moved: the window is revisited); the model computes
    the interactions without a stored row. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(changed_interactions_scope(ref('identity_outcomes_changed'), 'interaction_key', 'interaction_key in (select open_windows.interaction_key from ' ~ this ~ ' as open_windows where open_windows.is_churned is null)')) }}",
) }}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where {{ not_yet_stored('interaction_key') }}

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
