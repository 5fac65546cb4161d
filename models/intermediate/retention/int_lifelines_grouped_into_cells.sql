{#- Lifelines collapsed to (cohort definition, cohort, exposure group, time, event) cells with customer counts,
    for every cohort definition of var('survival_cohort_definitions') plus `all` (every customer one cohort):
    Kaplan-Meier and log-rank run on these few rows instead of one row per customer. -#}
with

lifelines as (

    select * from {{ ref('int_lifelines_assembled') }}

),

final as (

    select
        'all' as cohort_definition,
        'all' as cohort,
        lifelines.exposure_group,
        lifelines.duration_days,
        lifelines.is_voluntary_churn,
        count(*) as n
    from lifelines
    group by all
    {% for definition in var('survival_cohort_definitions') %}
        union all
        select
            '{{ definition }}' as cohort_definition,
            lifelines.{{ definition }} as cohort,
            lifelines.exposure_group,
            lifelines.duration_days,
            lifelines.is_voluntary_churn,
            count(*) as n
        from lifelines
        group by all
    {% endfor %}

)

select * from final
