with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('billing', 'subscription_events') }}

),

typed as (

    select
        {{ normalize_id('source.event_id') }} as event_id,
        {{ normalize_id('source.account_id') }} as account_id,
        cast(source.event_type as {{ varchar_type() }}) as event_type_label,
        {{ canonical_label('subscription_event_type', 'source.event_type') }} as event_type,
        cast(source.is_voluntary as boolean) as is_voluntary,
        lower({{ normalize_id('source.cancel_reason') }}) as cancel_reason,
        cast(source.mrr as double) as mrr,
        {{ to_utc('source.event_at') }} as event_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['event_id'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['typed.account_id is null', 'missing_account_id'],
            ['typed.event_type is null', 'unmapped_event_type', 'typed.event_type_label'],
            ['typed.event_at is null', 'invalid_event_at'],
            ['typed.mrr < 0', 'negative_mrr'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
