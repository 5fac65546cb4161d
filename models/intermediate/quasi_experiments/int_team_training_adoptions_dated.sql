{#- One row per team of the roster: when it adopted the training, i.e. the first completion by any of its agents of a
    module that counts (var did.adoption_modules), and the month of adoption; null for teams that never adopted.
    Teams are the roster's current teams (the roster keeps one version per agent, docs/decisions.md D25). -#}
with

agents as (

    select * from {{ ref('consented_agents') }}

),

completions as (

    select * from {{ ref('consented_training_completions') }}
    where module_code in ('{{ var("did")["adoption_modules"] | join("', '") }}')

),

teams as (

    select
        agents.team,
        count(*) as n_agents
    from agents
    group by agents.team

),

first_completions as (

    select
        agents.team,
        min(completions.completed_at) as adopted_at
    from completions
    inner join agents
        on completions.agent_id = agents.agent_id
    group by agents.team

),

final as (

    select
        teams.team,
        teams.n_agents,
        first_completions.adopted_at,
        date_trunc('month', first_completions.adopted_at)::date as adoption_month
    from teams
    left join first_completions
        on teams.team = first_completions.team

)

select * from final
