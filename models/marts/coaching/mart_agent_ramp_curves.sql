{#- Ramp curves of new agents: per week since hire (0 .. var coaching.ramp_weeks - 1) and metric, the pooled rate
    over the contacts of agents hired inside the data (their whole ramp is observed), with a standard error
    clustered by agent (the linearised variance of a ratio of sums over agents, G / (G - 1) corrected), beside one
    `established` row per metric: contacts of agents past ramp_weeks of tenure, the level a new agent ramps toward.
    A week with fewer agents than var coaching.ramp_min_agents keeps its estimate without an interval. -#}
{%- set settings = var('coaching') -%}
{%- set ramp_weeks = settings['ramp_weeks'] | int -%}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where agent_id is not null

),

agents as (

    select * from {{ ref('dim_agents') }}

),

data_start as (

    select min(outcomes.started_at) as first_contact_at
    from outcomes

),

contacts as (

    select
        outcomes.agent_id,
        outcomes.is_empathetic_contact,
        outcomes.is_acknowledged_within_30s,
        outcomes.is_csat_top2,
        outcomes.has_repeat_contact,
        floor(date_diff('day', agents.hired_at, outcomes.started_at) / 7)::integer as weeks_since_hire,
        agents.hired_at >= data_start.first_contact_at as is_hired_inside_data
    from outcomes
    inner join agents
        on outcomes.agent_id = agents.agent_id
    cross join data_start
    where agents.hired_at is not null

),

grouped as (

    select
        contacts.*,
        case
            when contacts.weeks_since_hire >= {{ ramp_weeks }} then 'established'
            when contacts.is_hired_inside_data and contacts.weeks_since_hire >= 0 then 'new'
        end as agent_group
    from contacts

),

long as (

    {%- set metrics = coaching_metric_flags(
        ['empathetic_contact_rate', 'acknowledged_within_30s_rate', 'csat_top2_rate', 'repeat_contact_rate'],
        alias='grouped',
    ) %}
    {%- for name, flag in metrics.items() %}
        select
            grouped.agent_id,
            grouped.agent_group,
            case when grouped.agent_group = 'new' then grouped.weeks_since_hire end as weeks_since_hire,
            '{{ name }}' as metric,
            ({{ flag }})::integer as outcome
        from grouped
        where grouped.agent_group is not null and ({{ flag }}) is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

per_agent as (

    select
        long.agent_group,
        long.weeks_since_hire,
        long.metric,
        long.agent_id,
        count(*) as n_observations,
        sum(long.outcome) as n_successes
    from long
    group by long.agent_group, long.weeks_since_hire, long.metric, long.agent_id

),

pooled as (

    select
        per_agent.agent_group,
        per_agent.weeks_since_hire,
        per_agent.metric,
        count(*) as n_agents,
        sum(per_agent.n_observations) as n_observations,
        sum(per_agent.n_successes) as n_successes,
        sum(per_agent.n_successes) / sum(per_agent.n_observations) as estimate
    from per_agent
    group by per_agent.agent_group, per_agent.weeks_since_hire, per_agent.metric

),

variance as (

    select
        pooled.agent_group,
        pooled.weeks_since_hire,
        pooled.metric,
        case when pooled.n_agents > 1 then
                sqrt(
                    pooled.n_agents / (pooled.n_agents - 1.0)
                    -- summed in decimal: exact, so the same in any order a parallel scan adds them
                    * sum(
                        power(per_agent.n_successes - pooled.estimate * per_agent.n_observations, 2)::decimal(38, 10)
                    )::double
                ) / pooled.n_observations
        end as std_error
    from pooled
    inner join per_agent
        on
            pooled.agent_group = per_agent.agent_group
            and pooled.metric = per_agent.metric
            and coalesce(pooled.weeks_since_hire, -1) = coalesce(per_agent.weeks_since_hire, -1)
    group by
        pooled.agent_group, pooled.weeks_since_hire, pooled.metric, pooled.n_agents, pooled.estimate,
        pooled.n_observations

),

final as (

    select
        pooled.agent_group,
        pooled.weeks_since_hire,
        pooled.metric,
        pooled.n_agents,
        pooled.n_observations::bigint as n_observations,
        pooled.n_successes::bigint as n_successes,
        pooled.estimate,
        case when pooled.n_agents >= {{ settings['ramp_min_agents'] }} then variance.std_error end as std_error,
        case when pooled.n_agents >= {{ settings['ramp_min_agents'] }}
                then greatest(0.0, pooled.estimate - 1.959963984540054 * variance.std_error)
        end as ci_lower,
        case when pooled.n_agents >= {{ settings['ramp_min_agents'] }}
                then least(1.0, pooled.estimate + 1.959963984540054 * variance.std_error)
        end as ci_upper,
        case when pooled.n_agents >= {{ settings['ramp_min_agents'] }} then 'ok' else 'too_few_agents' end as status
    from pooled
    inner join variance
        on
            pooled.agent_group = variance.agent_group
            and pooled.metric = variance.metric
            and coalesce(pooled.weeks_since_hire, -1) = coalesce(variance.weeks_since_hire, -1)

)

select * from final
