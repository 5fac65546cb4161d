{#- One row per registered experiment: the registration as typed, its content hash against the hash recorded at
    registration, when its units were first assigned, and whether it was registered before the first assignment
    and before its window. `status` says whether the experiment's analysis can be trusted as pre-registered. -#}
with

registrations as (

    select * from {{ ref('int_experiment_registrations_hashed') }}

),

units as (

    select * from {{ ref('int_experiment_units_assigned') }}

),

metrics as (

    select * from {{ ref('int_experiment_metrics_listed') }}

),

assignment_summary as (

    select
        units.experiment_id,
        min(units.first_assigned_at) as first_assigned_at,
        count(*) as n_units_assigned,
        count(*) filter (where units.has_switched_arm) as n_units_switched
    from units
    group by units.experiment_id

),

metric_summary as (

    select
        metrics.experiment_id,
        count(*) as n_metrics_registered,
        {{ list_agg_ordered('metrics.metric_code', 'metrics.metric_position', 'not metrics.is_in_catalogue') }}
            as metrics_not_in_catalogue
    from metrics
    group by metrics.experiment_id

),

judged as (

    select
        registrations.*,
        assignment_summary.first_assigned_at,
        coalesce(assignment_summary.n_units_assigned, 0) as n_units_assigned,
        coalesce(assignment_summary.n_units_switched, 0) as n_units_switched,
        coalesce(metric_summary.n_metrics_registered, 0) as n_metrics_registered,
        coalesce(metric_summary.metrics_not_in_catalogue, {{ list_open() ~ list_close() }})
            as metrics_not_in_catalogue,
        registrations.registration_hash_recorded = registrations.registration_hash_computed
            as is_registration_unchanged,
        registrations.registered_at < assignment_summary.first_assigned_at as is_registered_before_first_assignment,
        registrations.registered_at < registrations.analysis_window_start as is_registered_before_window
    from registrations
    left join assignment_summary
        on registrations.experiment_id = assignment_summary.experiment_id
    left join metric_summary
        on registrations.experiment_id = metric_summary.experiment_id

),

final as (

    select
        judged.experiment_id,
        judged.hypothesis,
        judged.unit_type,
        {{ list_function('array_to_string') }}(judged.arms, '|') as arms,
        {{ list_function('array_to_string') }}(judged.allocation, '|') as allocation,
        judged.primary_metric,
        {{ list_function('array_to_string') }}(judged.secondary_metrics, '|') as secondary_metrics,
        {{ list_function('array_to_string') }}(judged.guardrail_metrics, '|') as guardrail_metrics,
        {{ list_function('array_to_string') }}(judged.subgroups, '|') as subgroups,
        judged.estimator,
        {{ list_function('array_to_string') }}(judged.covariates, '|') as covariates,
        judged.minimum_detectable_effect,
        judged.analysis_window_start,
        judged.analysis_window_end,
        judged.pre_period_days,
        judged.intervention_module_code,
        judged.registered_at,
        judged.registration_hash_recorded,
        judged.registration_hash_computed,
        judged.is_registration_unchanged,
        judged.first_assigned_at,
        judged.is_registered_before_first_assignment,
        judged.is_registered_before_window,
        judged.n_units_assigned,
        judged.n_units_switched,
        judged.n_metrics_registered,
        {{ list_function('array_to_string') }}(judged.metrics_not_in_catalogue, '|') as metrics_not_in_catalogue,
        {{ list_function('array_to_string') }}(judged.registration_problems, '|') as registration_problems,
        case
            when judged.registration_hash_recorded is null then 'hash_not_recorded'
            when not judged.is_registration_unchanged then 'registration_changed'
            when {{ list_function('len') }}(judged.registration_problems) > 0 then 'invalid_registration'
            when judged.n_units_assigned = 0 then 'no_assignments'
            when not judged.is_registered_before_first_assignment or not judged.is_registered_before_window
                then 'registered_late'
            else 'valid'
        end as status
    from judged

)

select * from final
