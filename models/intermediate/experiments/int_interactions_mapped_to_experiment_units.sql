{#- One row per registered experiment and interaction started in its pre-period or analysis window, with the
    randomisation unit the interaction belongs to (macro experiment_unit_id: one home for the mapping), that unit's
    intention-to-treat arm (null when no assignment covers the unit) and the subgroup labels the registry can name.
    Experiments with an invalid window are left out here and reported by mart_experiment_registry. -#}
with

registrations as (

    select * from {{ ref('int_experiment_registrations_hashed') }}
    where not {{ list_function('list_contains') }}(registration_problems, 'invalid_analysis_window')

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

agents as (

    select * from {{ ref('consented_agents') }}

),

units as (

    select * from {{ ref('int_experiment_units_assigned') }}

),

in_periods as (

    select
        registrations.experiment_id,
        registrations.unit_type,
        case when interactions.started_at < registrations.analysis_window_start then 'pre' else 'window' end
            as period,
        interactions.interaction_key,
        interactions.customer_key,
        interactions.agent_id,
        interactions.channel,
        interactions.started_at,
        interactions.is_tough_moment,
        agents.hired_at as agent_hired_at,
        {{ experiment_unit_id('registrations.unit_type', 'interactions.queue', 'agents.team',
                              'interactions.started_at') }} as unit_id
    from registrations
    inner join interactions
        on registrations.pre_period_start <= interactions.started_at
            and registrations.analysis_window_end_exclusive > interactions.started_at
    left join agents
        on interactions.agent_id = agents.agent_id

),

final as (

    select
        in_periods.experiment_id,
        in_periods.interaction_key,
        in_periods.customer_key,
        in_periods.agent_id,
        in_periods.period,
        in_periods.started_at,
        in_periods.unit_type,
        in_periods.unit_id,
        units.itt_arm,
        units.itt_arm is not null as is_in_assigned_unit,
        coalesce(units.has_switched_arm, false) as is_unit_switched,
        in_periods.channel,
        case when in_periods.is_tough_moment then 'tough_moment' else 'routine' end as subgroup_tough_moment,
        case
            when in_periods.agent_hired_at is null then 'unknown'
            when {{ is_new_agent('in_periods.agent_hired_at', 'in_periods.started_at') }} then 'new_agent'
            else 'tenured_agent'
        end as subgroup_agent_tenure,
        in_periods.channel as subgroup_channel
    from in_periods
    left join units
        on in_periods.experiment_id = units.experiment_id and in_periods.unit_id = units.unit_id

)

select * from final
