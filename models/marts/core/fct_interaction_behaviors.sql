{#- One row per interaction and rubric behaviour, with the evidence that traces it to the words said.
    Incremental (D43): the refresh scope of the behaviour evidence, over this table's rows. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(behavior_evidence_scope(ref('identity_interactions_changed'), ref('consented_qa_reviews'), ref('int_behaviors_scored_out_of_fold'), ref('int_detector_training_set_fingerprinted'))) }}",
) }}
with

behaviors as (

    select * from {{ ref('int_interaction_behaviors_observed') }}
    where {{ not_yet_stored('interaction_key') }}

),

final as (

    select
        behaviors.interaction_key,
        behaviors.behavior_code,
        behaviors.has_occurred,
        behaviors.evidence_source,
        behaviors.observation_basis,
        behaviors.is_transcript_usable,
        behaviors.is_detected_in_transcript,
        behaviors.is_detected_by_lexicon,
        behaviors.is_detected_by_model,
        behaviors.model_probability,
        behaviors.is_detected_by_model_out_of_fold,
        behaviors.first_evidence_detector,
        behaviors.matches_count,
        behaviors.first_segment_index,
        behaviors.first_offset_ms,
        behaviors.first_pattern_id,
        behaviors.first_matched_text,
        behaviors.is_timely,
        behaviors.qa_reviews_count,
        behaviors.qa_reviewers_count,
        behaviors.qa_mean_score,
        behaviors.is_present_in_qa,
        behaviors.qa_mean_score_adjusted,
        behaviors.is_present_in_qa_adjusted,
        behaviors.training_set_fingerprint
    from behaviors

)

select * from final
