{#- Lagged outcomes of every consenting interaction whose acknowledgment timing is known, in long format, one row
    per interaction and outcome (lag windows declared once, var lag_windows_days):
    - next_month_nps: the customer's first relationship-NPS category answered within the window after the contact;
    - next_quarter_renewal_rate: whether the customer's first renewal decision (renewed or cancelled) within the
      window after the contact was a renewal.
    Interactions whose window is still open at the as-of date, or without an outcome in the window, have no row. -#}
with

interactions as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where is_exposed is not null

),

nps_answers as (

    select * from {{ ref('int_survey_responses_pivoted') }}
    where survey_type = 'relationship_nps' and nps_category is not null

),

renewal_events as (

    select * from {{ ref('consented_subscription_events') }}
    where event_type in ('renewed', 'cancelled')

),

as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

next_nps as (

    select
        interactions.interaction_key,
        interactions.customer_key,
        interactions.exposure_group,
        arg_min(nps_answers.nps_category, nps_answers.responded_at) as nps_category
    from interactions
    cross join as_of
    inner join nps_answers
        on interactions.customer_key = nps_answers.customer_key
            and interactions.started_at < nps_answers.responded_at
            and interactions.started_at + interval {{ var('lag_windows_days')['next_month_nps'] }} day
            >= nps_answers.responded_at
    where as_of.as_of >= interactions.started_at + interval {{ var('lag_windows_days')['next_month_nps'] }} day
    group by interactions.interaction_key, interactions.customer_key, interactions.exposure_group

),

next_renewal as (

    select
        interactions.interaction_key,
        interactions.customer_key,
        interactions.exposure_group,
        arg_min(renewal_events.event_type, renewal_events.event_at) as renewal_event
    from interactions
    cross join as_of
    inner join renewal_events
        on interactions.customer_key = renewal_events.customer_key
            and interactions.started_at < renewal_events.event_at
            and interactions.started_at + interval {{ var('lag_windows_days')['next_quarter_renewal'] }} day
            >= renewal_events.event_at
    where
        as_of.as_of >= interactions.started_at + interval {{ var('lag_windows_days')['next_quarter_renewal'] }} day
    group by interactions.interaction_key, interactions.customer_key, interactions.exposure_group

),

final as (

    select
        next_nps.interaction_key,
        next_nps.customer_key,
        'next_month_nps' as outcome,
        {{ var('lag_windows_days')['next_month_nps'] }} as lag_window_days,
        next_nps.exposure_group,
        next_nps.nps_category,
        cast(null as boolean) as is_renewed
    from next_nps

    union all

    select
        next_renewal.interaction_key,
        next_renewal.customer_key,
        'next_quarter_renewal_rate' as outcome,
        {{ var('lag_windows_days')['next_quarter_renewal'] }} as lag_window_days,
        next_renewal.exposure_group,
        cast(null as varchar) as nps_category,
        next_renewal.renewal_event = 'renewed' as is_renewed
    from next_renewal

)

select * from final
