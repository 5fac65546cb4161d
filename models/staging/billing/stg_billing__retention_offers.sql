with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('billing', 'retention_offers') }}

),

typed as (

    select
        {{ normalize_id('source.offer_id') }} as offer_id,
        lower({{ normalize_id('source.source_system') }}) as source_system,
        {{ normalize_id('source.interaction_id') }} as interaction_id,
        {{ normalize_id('source.account_id') }} as account_id,
        lower({{ normalize_id('source.save_script') }}) as save_script,
        cast(source.offer_type as {{ varchar_type() }}) as offer_type_label,
        {{ canonical_label('offer_type', 'source.offer_type') }} as offer_type,
        cast(source.offer_amount as double) as offer_amount,
        cast(source.is_accepted as boolean) as is_accepted,
        {{ to_utc('source.offered_at') }} as offered_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['offer_id'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['typed.offer_type is null', 'unmapped_offer_type', 'typed.offer_type_label'],
            ["typed.offer_amount is null or typed.offer_amount < 0 or (typed.offer_type = 'none' and typed.offer_amount != 0)",
                'invalid_offer_amount'],
            ['typed.offered_at is null', 'invalid_offered_at'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
