{#- Every roster version of the published agents: the kept row and the older versions it superseded, one per
    agent and updated_at (an identical re-delivery of a version counts once: the latest _loaded_at). The history
    of team and supervisor that consented_agents, one row per agent, cannot show. Agents whose latest version was
    quarantined are not published, so neither is their history. Staff, not customers; no consent applies. -#}
with

delivered as (

    select * from {{ ref('stg_hr__agents') }}

),

published_agents as (

    select * from {{ ref('consented_agents') }}

),

versions as (

    select {{ star_exclude(
        ['delivered.row_fate', 'delivered.quarantine_reason', 'delivered.quarantine_value'], 'delivered'
    ) }}
    from delivered
    where
        delivered.row_fate in ('kept', 'superseded')
        and delivered.updated_at is not null
        and delivered.agent_id in (select published_agents.agent_id from published_agents)

),

deduplicated as (

    select versions.*
    from versions
    qualify row_number() over (
            partition by versions.agent_id, versions.updated_at
            order by versions._loaded_at desc nulls last, versions.supervisor_id asc, versions.team asc
        ) = 1

),

final as (

    select
        deduplicated.agent_id,
        deduplicated.updated_at,
        deduplicated.team,
        deduplicated.site,
        deduplicated.supervisor_id,
        deduplicated.hired_at,
        deduplicated._loaded_at,
        row_number() over (
            partition by deduplicated.agent_id order by deduplicated.updated_at
        ) as version_index
    from deduplicated

)

select * from final
