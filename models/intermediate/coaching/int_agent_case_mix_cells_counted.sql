{#- One row per agent, case-mix cell (channel x tough moment or not) and recognition metric over the last
    var coaching.recognition_months calendar months of contacts: the units the rate is a share of and the
    successes. Feeds mart_agent_recognition, which compares each agent with what the organisation achieves on the
    same mix of contacts. The outcomes: CSAT top-2 of the contact's pulse, a repeat contact, the customer's next
    relationship NPS answer a promoter, and voluntary churn within 90 days (null while the window is open). -#}
{%- set settings = var('coaching') -%}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where agent_id is not null

),

churn_windows as (

    select * from {{ ref('mart_interaction_churn_windows') }}
    where churn_window_days = 90

),

agents as (

    select * from {{ ref('dim_agents') }}

),

window_start as (

    {{ last_months_window_start('outcomes', 'outcomes.started_at', settings['recognition_months']) }}

),

in_window as (

    select
        outcomes.*,
        churn_windows.is_voluntarily_churned as is_voluntarily_churned_within_90_days
    from outcomes
    cross join window_start
    left join churn_windows
        on outcomes.interaction_key = churn_windows.interaction_key
    where outcomes.started_at >= window_start.starts_at

),

long as (

    {%- set metrics = coaching_metric_flags([
        'empathetic_contact_rate', 'csat_top2_rate', 'repeat_contact_rate', 'next_nps_promoter_rate',
        'churn_90_days_rate',
    ], alias='in_window') %}
    {%- for name, flag in metrics.items() %}
        select
            in_window.agent_id,
            in_window.channel,
            coalesce(in_window.is_tough_moment, false) as is_tough_moment,
            '{{ name }}' as metric,
            ({{ flag }})::integer as outcome
        from in_window
        where ({{ flag }}) is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

cells as (

    select
        long.agent_id,
        long.channel,
        long.is_tough_moment,
        long.metric,
        count(*) as n_observations,
        sum(long.outcome)::bigint as n_successes
    from long
    group by long.agent_id, long.channel, long.is_tough_moment, long.metric

),

final as (

    select
        cells.agent_id,
        agents.team,
        cells.channel,
        cells.is_tough_moment,
        cells.metric,
        cells.n_observations,
        cells.n_successes,
        window_start.starts_at as window_starts_at
    from cells
    cross join window_start
    left join agents
        on cells.agent_id = agents.agent_id

)

select * from final
