{#- Incremental (D33): an incremental run re-classifies every delivery of the keys delivered since the watermark. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(redelivered_scope(source('helpdesk', 'transcript_segments'),
        'transcript_segments', ['source_system', 'interaction_id', 'segment_index'], '_loaded_at')) }}",
) }}

with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('helpdesk', 'transcript_segments') }}
    where {{ redelivered_scope(source('helpdesk', 'transcript_segments'), 'transcript_segments') }}

),

typed as (

    select
        lower({{ normalize_id('source.source_system') }}) as source_system,
        {{ normalize_id('source.interaction_id') }} as interaction_id,
        cast(source.segment_index as integer) as segment_index,
        cast(source.speaker as {{ varchar_type() }}) as speaker_label,
        {{ canonical_label('speaker', 'source.speaker') }} as speaker,
        cast(source.offset_ms as bigint) as offset_ms,
        {{ redact_pii('source.text') }} as text_redacted,
        cast(source.sentiment as double) as sentiment,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['source_system', 'interaction_id', 'segment_index'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['typed.speaker is null', 'unmapped_speaker', 'typed.speaker_label'],
            ['typed.offset_ms is null or typed.offset_ms < 0', 'invalid_offset_ms'],
            ['typed.text_redacted is null', 'missing_text'],
            ['typed.sentiment not between -1 and 1', 'sentiment_out_of_range'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
