with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

agents as (

    select * from {{ ref('consented_agents') }}

),

final as (

    select
        agents.agent_id,
        agents.team,
        agents.site,
        agents.supervisor_id,
        agents.hired_at,
        {{ date_diff('day', 'agents.hired_at', as_of('build_as_of')) }} as tenure_days,
        {{ is_new_agent('agents.hired_at', as_of('build_as_of')) }} as is_new_agent
    from agents

)

select * from final
