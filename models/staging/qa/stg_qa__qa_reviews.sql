with

reviews as (

    select * from {{ ref('base_qa__qa_reviews') }}
    where row_fate = 'kept'

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

final as (

    select
        reviews.review_id,
        interactions.interaction_key,
        reviews.source_system,
        reviews.interaction_id,
        interactions.customer_key,
        reviews.reviewer_id,
        reviews.behavior_code,
        reviews.score,
        reviews.is_calibration,
        reviews.reviewed_at,
        reviews.comment_redacted,
        reviews._loaded_at,
        interactions.consent_exclusion_reason
    from reviews
    inner join interactions
        on reviews.source_system = interactions.source_system
            and reviews.interaction_id = interactions.interaction_id

)

select * from final
