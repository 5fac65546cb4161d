{#- Cohort retention, the table a BI tool draws as a heat map: cohort (month of signup or of the first contact
    after onboarding) x months since the first contact x exposure group; customers observable at that month,
    retained (no voluntary churn yet) and the retention rate. A customer is observable at month m when followed
    for at least m months or churned before. -#}
with

lifelines as (

    select * from {{ ref('int_lifelines_assembled') }}

),

cohorted as (

    select
        'signup_month' as cohort_type,
        lifelines.signup_month as cohort,
        lifelines.exposure_group,
        lifelines.duration_days,
        lifelines.is_voluntary_churn
    from lifelines

    union all

    select
        'first_contact_month' as cohort_type,
        lifelines.first_contact_month as cohort,
        lifelines.exposure_group,
        lifelines.duration_days,
        lifelines.is_voluntary_churn
    from lifelines

),

months as (

    select months_since.generate_series as months_since
    from generate_series(0, 24) as months_since

),

final as (

    select
        cohorted.cohort_type,
        cohorted.cohort,
        cohorted.exposure_group,
        months.months_since as months_since_cohort_start,
        count(*) as n_customers_in_cohort,
        count(*) filter (
            where cohorted.duration_days >= months.months_since * 30.4375 or cohorted.is_voluntary_churn
        ) as n_customers_observable,
        count(*) filter (
            where cohorted.duration_days >= months.months_since * 30.4375
            and not (cohorted.is_voluntary_churn and cohorted.duration_days < months.months_since * 30.4375)
        ) as n_customers_retained,
        count(*) filter (
            where cohorted.duration_days >= months.months_since * 30.4375
        )::double / nullif(count(*) filter (
            where cohorted.duration_days >= months.months_since * 30.4375 or cohorted.is_voluntary_churn
        ), 0) as retention_rate,
        case
            when count(*) filter (
                    where cohorted.duration_days >= months.months_since * 30.4375 or cohorted.is_voluntary_churn
                ) < 10 then 'few_customers'
            else 'ok'
        end as status
    from cohorted
    cross join months
    group by all
    having count(*) filter (
            where cohorted.duration_days >= months.months_since * 30.4375 or cohorted.is_voluntary_churn
        ) > 0

)

select * from final
