with

source as (

    select * from {{ source('hr', 'training_completions') }}

),

agents as (

    {{ parent_keys('base_hr__agents', ['agent_id']) }}

),

typed as (

    select
        {{ normalize_id('source.agent_id') }} as agent_id,
        lower({{ normalize_id('source.module_code') }}) as module_code,
        {{ to_utc('source.completed_at') }} as completed_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

with_parent as (

    select
        typed.*,
        agents.is_kept as _agent_is_kept
    from typed
    left join agents
        on typed.agent_id = agents.agent_id

),

classified as (

    {{ classify_rows(
        relation='with_parent',
        key_columns=['agent_id', 'module_code', 'completed_at'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['typed._agent_is_kept is null', 'unknown_agent'],
            ['not typed._agent_is_kept', 'agent_quarantined'],
        ]
    ) }}

),

final as (

    select * exclude (_agent_is_kept) from classified

)

select * from final
