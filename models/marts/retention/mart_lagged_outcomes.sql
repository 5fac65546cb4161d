{#- Lagged outcomes of empathy exposure, with the lag windows declared once (var lag_windows_days): for every
    interaction whose acknowledgment timing is known, the customer's relationship NPS answered within the next
    `next_month_nps` days and the renewal decision (renewed or cancelled) within the next `next_quarter_renewal`
    days, by exposure group. Windows still open at the as-of date are left out. NPS with its multinomial standard
    error; renewal rate with its binomial one; both unweighted and at interaction level (a customer can count
    more than once). -#}
with

interactions as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where is_acknowledged_within_30s is not null

),

nps_answers as (

    select * from {{ ref('int_survey_responses_pivoted') }}
    where survey_type = 'relationship_nps' and nps is not null

),

renewal_events as (

    select * from {{ ref('stg_billing__subscription_events') }}
    where consent_exclusion_reason is null
        and event_type in ('renewed', 'cancelled')

),

as_of as (

    select {{ as_of() }} as as_of

),

next_nps as (

    select
        interactions.interaction_key,
        interactions.is_acknowledged_within_30s,
        arg_min(nps_answers.nps_category, nps_answers.responded_at) as nps_category
    from interactions
    cross join as_of
    inner join nps_answers
        on interactions.customer_key = nps_answers.customer_key
            and interactions.started_at < nps_answers.responded_at
            and interactions.started_at + interval {{ var('lag_windows_days')['next_month_nps'] }} day
            >= nps_answers.responded_at
    where as_of.as_of >= interactions.started_at + interval {{ var('lag_windows_days')['next_month_nps'] }} day
    group by interactions.interaction_key, interactions.is_acknowledged_within_30s

),

next_renewal as (

    select
        interactions.interaction_key,
        interactions.is_acknowledged_within_30s,
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
    group by interactions.interaction_key, interactions.is_acknowledged_within_30s

),

nps_by_exposure as (

    select
        'next_month_nps' as outcome,
        {{ var('lag_windows_days')['next_month_nps'] }} as lag_window_days,
        case when next_nps.is_acknowledged_within_30s then 'acknowledged_within_30s'
            else 'not_acknowledged_within_30s'
        end as exposure_group,
        count(*) as interactions_count,
        100.0 * (avg((next_nps.nps_category = 'promoter')::int) - avg((next_nps.nps_category = 'detractor')::int))
            as estimate,
        100.0 * sqrt(
            (
                avg((next_nps.nps_category = 'promoter')::int) + avg((next_nps.nps_category = 'detractor')::int)
                - power(
                    avg((next_nps.nps_category = 'promoter')::int) - avg((next_nps.nps_category = 'detractor')::int),
                    2
                )
            ) / count(*)
        ) as standard_error
    from next_nps
    group by all

),

renewal_by_exposure as (

    select
        'next_quarter_renewal_rate' as outcome,
        {{ var('lag_windows_days')['next_quarter_renewal'] }} as lag_window_days,
        case when next_renewal.is_acknowledged_within_30s then 'acknowledged_within_30s'
            else 'not_acknowledged_within_30s'
        end as exposure_group,
        count(*) as interactions_count,
        avg((next_renewal.renewal_event = 'renewed')::int) as estimate,
        sqrt(
            avg((next_renewal.renewal_event = 'renewed')::int)
            * (1 - avg((next_renewal.renewal_event = 'renewed')::int)) / count(*)
        ) as standard_error
    from next_renewal
    group by all

),

final as (

    select
        combined.outcome,
        combined.lag_window_days,
        combined.exposure_group,
        combined.interactions_count,
        combined.estimate,
        combined.standard_error,
        combined.estimate - 1.959964 * combined.standard_error as ci_lower,
        combined.estimate + 1.959964 * combined.standard_error as ci_upper
    from (
        select * from nps_by_exposure
        union all
        select * from renewal_by_exposure
    ) as combined

)

select * from final
