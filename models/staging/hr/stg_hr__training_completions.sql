with

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

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['agent_id', 'module_code', 'completed_at'],
        version_order='typed._loaded_at desc nulls last'
    ) }}

),

final as (

    select * from classified

)

select * from final
