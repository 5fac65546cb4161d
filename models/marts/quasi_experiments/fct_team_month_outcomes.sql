{#- The team-month panel of the quasi-experiments: one row per roster team and calendar month from the first to the
    last month with interactions (balanced: a month without interactions keeps its row, with null outcomes), with
    the team's training adoption month and the outcomes the difference-in-differences and synthetic-control marts
    read. Interactions belong to the handling agent's current team. `tough_moment_share` (why customers call) is
    the negative-control outcome: training cannot change it. `period_index` counts months (year x 12 + month). -#}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}

),

interactions as (

    select * from {{ ref('fct_interactions') }}

),

agents as (

    select * from {{ ref('dim_agents') }}

),

adoptions as (

    select * from {{ ref('int_team_training_adoptions_dated') }}

),

measured as (

    select
        agents.team,
        date_trunc('month', outcomes.started_at)::date as month_start,
        count(*) as n_interactions,
        count(outcomes.is_csat_top2) as n_respondents,
        avg(outcomes.has_acknowledge::double) as acknowledged_share,
        avg(outcomes.is_acknowledged_within_30s::double) as acknowledged_within_30s_share,
        avg(outcomes.has_name_emotion::double) as named_emotion_share,
        avg(outcomes.has_clarify_need::double) as clarified_need_share,
        avg(outcomes.has_offer_options::double) as offered_options_share,
        avg(outcomes.has_close_loop::double) as closed_loop_share,
        avg(outcomes.is_csat_top2::double) as csat_top2_share,
        avg(outcomes.has_repeat_contact::double) as repeat_contact_share,
        avg(interactions.handle_time_seconds) as handle_time_seconds_mean,
        avg(outcomes.is_tough_moment::double) as tough_moment_share
    from outcomes
    inner join interactions
        on outcomes.interaction_key = interactions.interaction_key
    inner join agents
        on outcomes.agent_id = agents.agent_id
    group by agents.team, date_trunc('month', outcomes.started_at)::date

),

months as (

    select
        unnest(generate_series(min(measured.month_start), max(measured.month_start), interval 1 month))::date
            as month_start
    from measured

),

grid as (

    select
        adoptions.team,
        adoptions.adoption_month,
        months.month_start
    from adoptions
    cross join months

),

final as (

    select
        grid.team,
        grid.month_start,
        year(grid.month_start) * 12 + month(grid.month_start) as period_index,
        grid.adoption_month,
        year(grid.adoption_month) * 12 + month(grid.adoption_month) as adoption_period_index,
        grid.adoption_month is not null and grid.month_start >= grid.adoption_month as is_adopted,
        coalesce(measured.n_interactions, 0) as n_interactions,
        coalesce(measured.n_respondents, 0) as n_respondents,
        measured.acknowledged_share,
        measured.acknowledged_within_30s_share,
        measured.named_emotion_share,
        measured.clarified_need_share,
        measured.offered_options_share,
        measured.closed_loop_share,
        measured.csat_top2_share,
        measured.repeat_contact_share,
        measured.handle_time_seconds_mean,
        measured.tough_moment_share
    from grid
    left join measured
        on grid.team = measured.team and grid.month_start = measured.month_start

)

select * from final
