{#- One row per spell of an agent under one supervisor: consecutive roster versions with the same supervisor
    are one spell (a team change under the same supervisor is not a rotation). A spell starts at the updated_at of
    its first version (the first spell at the hire, or at the first version if that is earlier) and ends where the
    next spell starts. The roster's updated_at is when HR recorded the change; a change recorded late shifts the
    spell boundary by the delay. Versions with no supervisor are their own spells with a null supervisor_id. -#}
with

versions as (

    select * from {{ ref('consented_agent_roster_versions') }}

),

changes_marked as (

    select
        versions.*,
        case
            when versions.version_index > 1
                and coalesce(lag(versions.supervisor_id) over by_agent, '<none>')
                = coalesce(versions.supervisor_id, '<none>') then 0
            else 1
        end as starts_spell
    from versions
    window by_agent as (partition by versions.agent_id order by versions.updated_at)

),

spells_numbered as (

    select
        changes_marked.*,
        sum(changes_marked.starts_spell) over (
            partition by changes_marked.agent_id order by changes_marked.updated_at
            rows between unbounded preceding and current row
        ) as spell_index
    from changes_marked

),

spells as (

    select
        spells_numbered.agent_id,
        spells_numbered.spell_index,
        any_value(spells_numbered.supervisor_id) as supervisor_id,
        min(spells_numbered.updated_at) as first_version_at,
        min(spells_numbered.hired_at) as hired_at,
        count(*) as n_roster_versions
    from spells_numbered
    group by spells_numbered.agent_id, spells_numbered.spell_index

),

final as (

    select
        spells.agent_id,
        spells.spell_index,
        spells.supervisor_id,
        case
            when spells.spell_index = 1 then least(spells.hired_at, spells.first_version_at)
            else spells.first_version_at
        end as valid_from,
        lead(spells.first_version_at) over (
            partition by spells.agent_id order by spells.spell_index
        ) as valid_to,
        spells.spell_index > 1 as is_after_rotation,
        lead(spells.first_version_at) over (
            partition by spells.agent_id order by spells.spell_index
        ) is null as is_current,
        spells.n_roster_versions
    from spells

)

select * from final
