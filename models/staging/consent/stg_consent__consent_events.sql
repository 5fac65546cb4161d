with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('consent', 'consent_events') }}

),

typed as (

    select
        {{ normalize_id('source.event_id') }} as event_id,
        cast(source.identifier_type as {{ varchar_type() }}) as identifier_type_label,
        {{ canonical_label('identifier_type', 'source.identifier_type') }} as identifier_type,
        cast(source.purpose as {{ varchar_type() }}) as purpose_label,
        {{ canonical_label('consent_purpose', 'source.purpose') }} as purpose,
        cast(source.status as {{ varchar_type() }}) as status_label,
        {{ canonical_label('consent_status', 'source.status') }} as status,
        {{ to_utc('source.event_at') }} as event_at,
        lower({{ normalize_id('source.source') }}) as capture_source,
        {{ to_utc('source._loaded_at') }} as _loaded_at,
        source.identifier_value as _identifier_value
    from source

),

normalised as (

    select
        {{ star_exclude(['typed._identifier_value'], 'typed') }},
        case typed.identifier_type
            when 'account_id' then {{ normalize_id('typed._identifier_value') }}
            when 'email' then {{ normalize_email('typed._identifier_value') }}
            when 'phone' then {{ normalize_phone('typed._identifier_value') }}
        end as identifier_value
    from typed

),

classified as (

    {{ classify_rows(
        relation='normalised',
        key_columns=['event_id'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['typed.identifier_type is null', 'unmapped_identifier_type', 'typed.identifier_type_label'],
            ['typed.identifier_value is null', 'invalid_identifier_value'],
            ['typed.purpose is null', 'unmapped_purpose', 'typed.purpose_label'],
            ['typed.status is null', 'unmapped_status', 'typed.status_label'],
            ['typed.event_at is null', 'invalid_event_at'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
