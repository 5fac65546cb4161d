with

base_hr__agents as (

    select * from {{ ref('base_hr__agents') }}

),

source as (

    select * from {{ source('hr', 'training_completions') }}

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

    {{ with_parent_status('typed', 'base_hr__agents', ['agent_id'], '_agent_is_kept') }}

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
