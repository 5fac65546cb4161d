{#- The calibration sample: scores given independently by two or more reviewers to the same interaction and
    behaviour (qa_reviews.is_calibration), consenting customers only. -#}
with

reviews as (

    select * from {{ ref('consented_qa_reviews') }}
    where is_calibration

),

final as (

    select
        reviews.review_id,
        reviews.interaction_key,
        reviews.behavior_code,
        reviews.reviewer_id,
        reviews.score,
        reviews.reviewed_at
    from reviews

)

select * from final
