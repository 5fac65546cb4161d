{#- One row per experiment and registered metric, with its role (primary, secondary, guardrail) and, when the
    metric catalogue (experiment_metrics seed) knows it, how it is read. A metric the catalogue does not know keeps
    its row (is_in_catalogue false) so that the results say so instead of dropping it. -#}
with

registrations as (

    select * from {{ ref('int_experiment_registrations_hashed') }}

),

metrics as (

    select * from {{ ref('experiment_metrics') }}

),

roles as (

    select
        registrations.experiment_id,
        'primary' as metric_role,
        1 as metric_position,
        registrations.primary_metric as metric_code
    from registrations
    union all
    select
        registrations.experiment_id,
        'secondary' as metric_role,
        {{ list_elements('registrations.secondary_metrics', 1, 'metric_position', 'metric_code') }}
    from registrations
    union all
    select
        registrations.experiment_id,
        'guardrail' as metric_role,
        {{ list_elements('registrations.guardrail_metrics', 1000, 'metric_position', 'metric_code') }}
    from registrations

),

final as (

    select
        roles.experiment_id,
        roles.metric_code,
        roles.metric_role,
        roles.metric_position,
        metrics.metric_code is not null as is_in_catalogue,
        metrics.observation_level,
        metrics.value_column,
        nullif(metrics.weight_column, '') as weight_column,
        metrics.higher_is_better::boolean as higher_is_better,
        metrics.value_unit
    from roles
    left join metrics
        on roles.metric_code = metrics.metric_code
    where roles.metric_code is not null and roles.metric_code != ''

)

select * from final
