with

source as (

    select * from {{ source('hr', 'agents') }}

),

typed as (

    select
        {{ normalize_id('source.agent_id') }} as agent_id,
        lower({{ normalize_id('source.team') }}) as team,
        lower({{ normalize_id('source.site') }}) as site,
        {{ normalize_id('source.supervisor_id') }} as supervisor_id,
        {{ to_utc('source.hired_at') }} as hired_at,
        {{ to_utc('source.updated_at') }} as updated_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['agent_id'],
        version_order='typed.updated_at desc nulls last, typed._loaded_at desc nulls last',
        checks=[
            ['typed.hired_at is null', 'invalid_hired_at'],
            ['typed.team is null', 'missing_team'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
