{#- The MetricFlow time spine (`time_spine:` in _semantic__models.yml): one row per day, from the first day of the
    month of the earliest date a semantic model aggregates on (a signup, an interaction's start, a survey answer)
    through the build's as-of date, quiet days included. One day when the marts are empty. -#}
with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

survey_responses as (

    select * from {{ ref('fct_survey_responses') }}

),

first_dates as (

    select min(customers.signup_at) as first_at from customers
    union all
    select min(interactions.started_at) as first_at from interactions
    union all
    select min(survey_responses.responded_at) as first_at from survey_responses

),

bounds as (

    select
        cast(
            date_trunc('month', coalesce(min(first_dates.first_at), {{ as_of('build_as_of') }})) as date
        ) as first_day,
        cast({{ as_of('build_as_of') }} as date) as last_day
    from first_dates

),

final as (

    select
        {{ day_series('cast(bounds.first_day as timestamp)', 'cast(bounds.last_day as timestamp)') }} as date_day
    from bounds

)

select * from final
