{#- Interactions whose behaviours were judged both by the transcript lexicon and by QA reviewers: the pairs the
    transcript-vs-QA agreement is computed on (a few rows per reviewed interaction, not one per interaction). -#}
with

behaviors as (

    select * from {{ ref('int_interaction_behaviors_observed') }}
    where is_detected_in_transcript is not null
        and is_present_in_qa is not null

),

final as (

    select
        behaviors.interaction_key,
        behaviors.behavior_code,
        behaviors.is_detected_in_transcript,
        behaviors.is_present_in_qa
    from behaviors

)

select * from final
