{#- One row per registered experiment and interaction started in its pre-period or analysis window: the unit the
    interaction belongs to, that unit's intention-to-treat arm, the subgroup labels and every outcome the metric
    catalogue (experiment_metrics seed) can read, traceable by interaction_key to fct_interactions and the survey
    marts. Interactions outside any assigned unit stay (is_in_assigned_unit false): the health checks count them. -#}
with

mapped as (

    select * from {{ ref('int_interactions_mapped_to_experiment_units') }}

),

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

pulse_weights as (

    select * from {{ ref('fct_csat_pulse_weights') }}

),

costed as (

    select
        interactions.interaction_key,
        interactions.handle_time_seconds,
        case
            {%- set cost = var('experiment_cost_to_serve') %}
            {%- for channel, per_minute in cost['per_handled_minute'].items() %}
                when interactions.channel = '{{ channel }}'
                    then interactions.handle_time_seconds / 60.0 * {{ per_minute }}
                        + {{ cost['per_contact'].get(channel, 0) }}
            {%- endfor %}
        end as cost_to_serve
    from interactions

),

final as (

    select
        mapped.experiment_id,
        mapped.interaction_key,
        mapped.customer_key,
        mapped.agent_id,
        mapped.period,
        mapped.started_at,
        mapped.unit_type,
        mapped.unit_id,
        mapped.itt_arm,
        mapped.is_in_assigned_unit,
        mapped.is_unit_switched,
        mapped.channel,
        mapped.subgroup_tough_moment,
        mapped.subgroup_agent_tenure,
        mapped.subgroup_channel,
        outcomes.observation_basis,
        outcomes.has_acknowledge,
        outcomes.has_name_emotion,
        outcomes.has_clarify_need,
        outcomes.has_offer_options,
        outcomes.has_close_loop,
        outcomes.is_acknowledged_within_30s,
        outcomes.has_pulse_response,
        outcomes.is_csat_top2,
        pulse_weights.final_weight as csat_pulse_weight,
        outcomes.has_repeat_contact,
        costed.handle_time_seconds,
        costed.cost_to_serve
    from mapped
    inner join outcomes
        on mapped.interaction_key = outcomes.interaction_key
    inner join costed
        on mapped.interaction_key = costed.interaction_key
    left join pulse_weights
        on mapped.interaction_key = pulse_weights.interaction_key

)

select * from final
