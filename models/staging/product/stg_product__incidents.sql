with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('product', 'incidents') }}

),

typed as (

    select
        {{ normalize_id('source.incident_id') }} as incident_id,
        lower({{ normalize_id('source.product') }}) as product,
        cast(source.severity as {{ varchar_type() }}) as severity_label,
        {{ canonical_label('severity', 'source.severity') }} as severity,
        {{ to_utc('source.started_at') }} as started_at,
        {{ to_utc('source.ended_at') }} as ended_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at,
        source.ended_at is not null and {{ to_utc('source.ended_at') }} is null as _bad_ended_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['incident_id'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['typed.severity is null', 'unmapped_severity', 'typed.severity_label'],
            ['typed.started_at is null', 'invalid_started_at'],
            ['typed._bad_ended_at', 'invalid_ended_at'],
            ['typed.ended_at < typed.started_at', 'ended_before_started'],
        ]
    ) }}

),

final as (

    select {{ star_exclude(['_bad_ended_at']) }} from classified

)

select * from final
