{#- Population margins for weighting CSAT pulses back to the interaction mix: counts of eligible interactions
    (consenting, ended) per category of each raking margin (var survey_weighting.margins: any of channel,
    tough-moment category, period, and the customer's plan, segment, region and tenure band at the interaction),
    over the periods in which pulses were sent. Long format: one row per margin and category. -#}
with

interactions as (

    select * from {{ ref('int_interactions_categorized') }}
    where ended_at is not null

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}

),

pulse_periods as (

    select distinct cells.period
    from {{ ref('int_survey_invitations_joined_to_cells') }} as cells
    where cells.survey_type = 'csat_pulse'

),

eligible as (

    select
        interactions.channel,
        interactions.tough_moment_category,
        strftime(interactions.started_at, '%Y-%m') as period,
        coalesce(customers.plan, 'unknown') as plan,
        coalesce(customers.segment, 'unknown') as segment,
        coalesce(customers.region, 'unknown') as region,
        {{ tenure_band('customers.signup_at', 'interactions.started_at') }} as tenure_band
    from interactions
    left join customers
        on interactions.customer_key = customers.customer_key
    where strftime(interactions.started_at, '%Y-%m') in (select pulse_periods.period from pulse_periods)

),

final as (

    {% for margin in var('survey_weighting')['margins'] %}
        select
            '{{ margin }}' as margin,
            eligible.{{ margin }}::varchar as category,
            count(*) as population_count
        from eligible
        group by eligible.{{ margin }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
