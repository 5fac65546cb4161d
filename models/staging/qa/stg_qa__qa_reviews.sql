with

source as (

    select * from {{ source('qa', 'qa_reviews') }}

),

behaviors as (

    select behaviors.behavior_code from {{ ref('empathy_behaviors') }} as behaviors

),

typed as (

    select
        {{ normalize_id('source.review_id') }} as review_id,
        lower({{ normalize_id('source.source_system') }}) as source_system,
        {{ normalize_id('source.interaction_id') }} as interaction_id,
        {{ normalize_id('source.reviewer_id') }} as reviewer_id,
        lower({{ normalize_id('source.behavior_code') }}) as behavior_code,
        try_cast(source.score as double) as score_raw,
        cast(source.is_calibration as boolean) as is_calibration,
        {{ to_utc('source.reviewed_at') }} as reviewed_at,
        {{ redact_pii('source.comment') }} as comment_redacted,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

with_behavior_codes as (

    select
        typed.*,
        behaviors.behavior_code is not null as _is_known_behavior
    from typed
    left join behaviors
        on typed.behavior_code = behaviors.behavior_code

),

classified as (

    {{ classify_rows(
        relation='with_behavior_codes',
        key_columns=['review_id'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['not typed._is_known_behavior', 'unknown_behavior_code'],
            ['typed.score_raw is null or typed.score_raw not between 1 and 5 or typed.score_raw != round(typed.score_raw)',
                'score_out_of_scale'],
            ['typed.reviewer_id is null', 'missing_reviewer_id'],
            ['typed.reviewed_at is null', 'invalid_reviewed_at'],
        ]
    ) }}

),

final as (

    select
        {{ star_exclude(['classified.score_raw', 'classified._is_known_behavior'], 'classified') }},
        cast(classified.score_raw as integer) as score
    from classified

)

select * from final
