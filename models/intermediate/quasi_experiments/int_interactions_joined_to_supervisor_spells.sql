{#- One row per interaction handled by an agent: the agent's supervisor spell when the contact started. Spells of
    an agent do not overlap, so the join cannot fan out (a row-count test guards it); a contact before the agent's
    first spell, or by an agent missing from the roster, keeps a null supervisor. -#}
with

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

spells as (

    select * from {{ ref('int_agent_supervisor_spells_dated') }}

),

joined as (

    select
        interactions.interaction_key,
        interactions.agent_id,
        interactions.started_at,
        spells.supervisor_id,
        spells.spell_index as supervisor_spell_index
    from interactions
    left join spells
        on
            interactions.agent_id = spells.agent_id
            and interactions.started_at >= spells.valid_from
            and interactions.started_at < coalesce(spells.valid_to, {{ timestamp_infinity() }})
    where interactions.agent_id is not null

),

final as (

    select * from joined

)

select * from final
