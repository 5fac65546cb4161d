{#- One row per experiment and assigned unit: its intention-to-treat arm, switches, and the unit's pre-period
    profile (the balance covariates and the CUPED covariates' source) and window counts. Exposure (the share of the
    unit's window interactions handled by an agent who had completed the intervention's training module) is filled
    for experiments whose registry names an intervention_module_code; null otherwise. -#}
with

units as (

    select * from {{ ref('int_experiment_units_assigned') }}

),

registrations as (

    select * from {{ ref('int_experiment_registrations_hashed') }}

),

experiment_interactions as (

    select * from {{ ref('fct_experiment_interactions') }}
    where is_in_assigned_unit

),

completions as (

    select * from {{ ref('consented_training_completions') }}

),

exposed as (

    select
        experiment_interactions.experiment_id,
        experiment_interactions.interaction_key,
        bool_or(completions.completed_at <= experiment_interactions.started_at) as is_exposed
    from experiment_interactions
    inner join registrations
        on experiment_interactions.experiment_id = registrations.experiment_id
    left join completions
        on experiment_interactions.agent_id = completions.agent_id
            and registrations.intervention_module_code = completions.module_code
    where registrations.intervention_module_code is not null and experiment_interactions.period = 'window'
    group by experiment_interactions.experiment_id, experiment_interactions.interaction_key

),

pre_profiles as (

    select
        experiment_interactions.experiment_id,
        experiment_interactions.unit_id,
        count(*) as n_interactions_pre,
        avg((experiment_interactions.subgroup_tough_moment = 'tough_moment')::double) as tough_moment_share_pre,
        avg((experiment_interactions.subgroup_agent_tenure = 'new_agent')::double) as new_agent_share_pre,
        {%- for channel in ['voice', 'chat', 'email', 'in_product'] %}
            avg((experiment_interactions.channel = '{{ channel }}')::double) as {{ channel }}_share_pre,
        {%- endfor %}
        avg(experiment_interactions.is_acknowledged_within_30s::double) as acknowledged_within_30s_share_pre,
        avg(experiment_interactions.is_csat_top2::double) as csat_top2_share_pre,
        avg(experiment_interactions.handle_time_seconds) as handle_time_seconds_mean_pre
    from experiment_interactions
    where experiment_interactions.period = 'pre'
    group by experiment_interactions.experiment_id, experiment_interactions.unit_id

),

window_counts as (

    select
        experiment_interactions.experiment_id,
        experiment_interactions.unit_id,
        count(*) as n_interactions_window,
        count(experiment_interactions.is_csat_top2) as n_respondents_window
    from experiment_interactions
    where experiment_interactions.period = 'window'
    group by experiment_interactions.experiment_id, experiment_interactions.unit_id

),

exposure as (

    select
        experiment_interactions.experiment_id,
        experiment_interactions.unit_id,
        avg(coalesce(exposed.is_exposed, false)::double) as exposure_share
    from experiment_interactions
    inner join exposed
        on experiment_interactions.experiment_id = exposed.experiment_id
            and experiment_interactions.interaction_key = exposed.interaction_key
    group by experiment_interactions.experiment_id, experiment_interactions.unit_id

),

final as (

    select
        units.experiment_id,
        units.unit_type,
        units.unit_id,
        units.itt_arm,
        units.latest_arm,
        units.first_assigned_at,
        units.last_assigned_at,
        units.n_assignments,
        units.has_switched_arm,
        units.switched_at,
        coalesce(pre_profiles.n_interactions_pre, 0) as n_interactions_pre,
        coalesce(window_counts.n_interactions_window, 0) as n_interactions_window,
        coalesce(window_counts.n_respondents_window, 0) as n_respondents_window,
        coalesce(pre_profiles.n_interactions_pre, 0) / nullif(registrations.pre_period_days, 0)
            as interactions_per_day_pre,
        pre_profiles.tough_moment_share_pre,
        pre_profiles.new_agent_share_pre,
        {%- for channel in ['voice', 'chat', 'email', 'in_product'] %}
            pre_profiles.{{ channel }}_share_pre,
        {%- endfor %}
        pre_profiles.acknowledged_within_30s_share_pre,
        pre_profiles.csat_top2_share_pre,
        pre_profiles.handle_time_seconds_mean_pre,
        exposure.exposure_share
    from units
    inner join registrations
        on units.experiment_id = registrations.experiment_id
    left join pre_profiles
        on units.experiment_id = pre_profiles.experiment_id and units.unit_id = pre_profiles.unit_id
    left join window_counts
        on units.experiment_id = window_counts.experiment_id and units.unit_id = window_counts.unit_id
    left join exposure
        on units.experiment_id = exposure.experiment_id and units.unit_id = exposure.unit_id

)

select * from final
