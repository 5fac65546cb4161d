with

source as (

    select * from {{ source('surveys', 'survey_responses') }}

),

items as (

    select * from {{ ref('survey_items') }}

),

typed as (

    select
        {{ normalize_id('source.response_id') }} as response_id,
        {{ normalize_id('source.invitation_id') }} as invitation_id,
        lower({{ normalize_id('source.item_code') }}) as item_code,
        cast(source.item_position as integer) as item_position,
        cast(source.answer_numeric as double) as answer_numeric,
        {{ redact_pii('source.answer_text') }} as answer_text_redacted,
        {{ to_utc('source.responded_at') }} as responded_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

with_items as (

    select
        typed.*,
        items.item_code is not null as _is_known_item,
        items.response_type as _response_type,
        items.scale_min as _scale_min,
        items.scale_max as _scale_max
    from typed
    left join items
        on typed.item_code = items.item_code

),

classified as (

    {{ classify_rows(
        relation='with_items',
        key_columns=['response_id'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['not typed._is_known_item', 'unknown_item_code'],
            ["typed._response_type = 'numeric' and typed.answer_numeric is null", 'missing_answer'],
            ["typed._response_type = 'numeric' and (typed.answer_numeric not between typed._scale_min and typed._scale_max"
                ~ " or typed.answer_numeric != round(typed.answer_numeric))", 'answer_out_of_scale'],
            ["typed._response_type = 'text' and typed.answer_text_redacted is null", 'missing_answer'],
            ['typed.responded_at is null', 'invalid_responded_at'],
        ]
    ) }}

),

final as (

    select {{ star_exclude(['_is_known_item', '_response_type', '_scale_min', '_scale_max']) }}
    from classified

)

select * from final
