{#- Kaplan-Meier survival never increases with time within a curve, and its interval brackets it. -#}
with

curves as (

    select
        curves.*,
        lag(curves.estimate) over (
            partition by curves.cohort_definition, curves.cohort, curves.exposure_group order by curves.time_days
        ) as previous_survival
    from {{ ref('mart_survival_curves') }} as curves

)

select *
from curves
where
    estimate > previous_survival + 1e-12
    or estimate < ci_lower - 1e-12
    or estimate > ci_upper + 1e-12
