{#- One row per consenting interaction and rubric behaviour: what the transcript shows (where it may be used),
    what QA reviewers scored, whether the behaviour occurred, and the evidence that traces it back to the words.

    Rules (documented in the rubric seeds and the decision log):
    - detected by the lexicon when the weights of its matched patterns sum to at least
      var('behavior_detection_min_weight'); by the learned detector when an agent segment reaches
      var('behavior_detector').min_probability (int_model_detections_joined_to_verdicts, where its status is ok);
    - detected in the transcript by the rule var('behavior_detector').rule: `combined` (lexicon or detector) or
      `lexicon`; null when the transcript may not be used or does not exist; the evidence's time is the first
      segment either detector found;
    - present in QA when the mean reviewer score is at least var('qa_behavior_present_min_score'); null when the
      interaction was not reviewed for that behaviour;
    - occurred when either source says so; null when neither source observed the interaction. -#}
{#- Incremental (D43): the pre-hook deletes behavior_evidence_scope (the changed interactions, every reviewed or
    trained-on interaction, every row of another detector training set) and the model computes the interactions
    without a stored row. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(behavior_evidence_scope(ref('identity_interactions_changed'), ref('consented_qa_reviews'), ref('int_behaviors_scored_out_of_fold'), ref('int_detector_training_set_fingerprinted'))) }}",
) }}
with

interactions as (

    select * from {{ ref('int_interactions_categorized') }}
    where {{ not_yet_stored('interaction_key') }}

),

behavior_time_limits as (

    select
        patterns.behavior_code,
        min(patterns.timed_within_ms) as timed_within_ms
    from {{ ref('empathy_phrase_patterns') }} as patterns
    group by patterns.behavior_code

),

behaviors as (

    select
        rubric.behavior_code,
        rubric.display_order,
        behavior_time_limits.timed_within_ms
    from {{ ref('empathy_behaviors') }} as rubric
    left join behavior_time_limits
        on rubric.behavior_code = behavior_time_limits.behavior_code

),

transcripts as (

    select
        segments.interaction_key,
        count(*) as segments_count,
        count(*) filter (where segments.speaker = 'agent') as agent_segments_count
    from {{ ref('consented_transcript_segments') }} as segments
    where {{ not_yet_stored('segments.interaction_key') }}
    group by segments.interaction_key

),

phrase_matches as (

    select * from {{ ref('int_transcript_phrases_matched') }}
    where {{ not_yet_stored('interaction_key') }}

),

qa_reviews as (

    select * from {{ ref('consented_qa_reviews') }}
    where {{ not_yet_stored('interaction_key') }}

),

model_detections as (

    select * from {{ ref('int_model_detections_joined_to_verdicts') }}
    where {{ not_yet_stored('interaction_key') }}

),

transcript_evidence as (

    select
        phrase_matches.interaction_key,
        phrase_matches.behavior_code,
        sum(phrase_matches.weight) as matched_weight,
        count(*) as matches_count,
        arg_min(phrase_matches.segment_index, phrase_matches.offset_ms) as first_segment_index,
        min(phrase_matches.offset_ms) as first_offset_ms,
        arg_min(phrase_matches.pattern_id, phrase_matches.offset_ms) as first_pattern_id,
        arg_min(phrase_matches.matched_text, phrase_matches.offset_ms) as first_matched_text
    from phrase_matches
    group by phrase_matches.interaction_key, phrase_matches.behavior_code

),

qa_evidence as (

    select
        qa_reviews.interaction_key,
        qa_reviews.behavior_code,
        avg(qa_reviews.score) as qa_mean_score,
        count(*) as qa_reviews_count,
        count(distinct qa_reviews.reviewer_id) as qa_reviewers_count
    from qa_reviews
    group by qa_reviews.interaction_key, qa_reviews.behavior_code

),

combined as (

    select
        interactions.interaction_key,
        behaviors.behavior_code,
        behaviors.display_order,
        interactions.has_call_recording_consent and transcripts.interaction_key is not null as is_transcript_usable,
        coalesce(transcripts.agent_segments_count, 0) as agent_segments_count,
        transcript_evidence.matched_weight,
        transcript_evidence.matches_count,
        transcript_evidence.first_segment_index,
        transcript_evidence.first_offset_ms,
        transcript_evidence.first_pattern_id,
        transcript_evidence.first_matched_text,
        model_detections.model_probability,
        model_detections.model_first_segment_index,
        model_detections.model_first_offset_ms,
        model_detections.is_detected_by_model,
        model_detections.model_probability_out_of_fold,
        model_detections.is_detected_by_model_out_of_fold,
        model_detections.detector_status,
        model_detections.training_set_fingerprint,
        model_detections.qa_mean_score_adjusted,
        model_detections.is_present_in_qa_adjusted,
        behaviors.timed_within_ms,
        qa_evidence.qa_mean_score,
        coalesce(qa_evidence.qa_reviews_count, 0) as qa_reviews_count,
        coalesce(qa_evidence.qa_reviewers_count, 0) as qa_reviewers_count
    from interactions
    cross join behaviors
    left join transcripts
        on interactions.interaction_key = transcripts.interaction_key
    left join transcript_evidence
        on interactions.interaction_key = transcript_evidence.interaction_key
            and behaviors.behavior_code = transcript_evidence.behavior_code
    left join qa_evidence
        on interactions.interaction_key = qa_evidence.interaction_key
            and behaviors.behavior_code = qa_evidence.behavior_code
    left join model_detections
        on interactions.interaction_key = model_detections.interaction_key
            and behaviors.behavior_code = model_detections.behavior_code

),

lexicon_judged as (

    select
        combined.*,
        case
            when combined.is_transcript_usable
                then coalesce(combined.matched_weight, 0) >= {{ var('behavior_detection_min_weight') }}
        end as is_detected_by_lexicon,
        {% if var('behavior_detector')['rule'] == 'combined' -%}
            combined.detector_status = 'ok' as is_model_used
        {%- else -%}
            false as is_model_used
        {%- endif %}
    from combined

),

evidence_ordered as (

    select
        lexicon_judged.*,
        coalesce(
            lexicon_judged.is_model_used
            and lexicon_judged.is_detected_by_model
            and (
                lexicon_judged.first_offset_ms is null
                or lexicon_judged.model_first_offset_ms < lexicon_judged.first_offset_ms
            ),
            false
        ) as is_model_evidence_first
    from lexicon_judged

),

judged as (

    select
        evidence_ordered.* exclude (evidence_ordered.first_segment_index, evidence_ordered.first_offset_ms),
        case
            when evidence_ordered.is_model_used
                then evidence_ordered.is_detected_by_lexicon or coalesce(evidence_ordered.is_detected_by_model, false)
            else evidence_ordered.is_detected_by_lexicon
        end as is_detected_in_transcript,
        case
            when evidence_ordered.is_model_evidence_first then evidence_ordered.model_first_offset_ms
            else evidence_ordered.first_offset_ms
        end as first_offset_ms,
        case
            when evidence_ordered.is_model_evidence_first then evidence_ordered.model_first_segment_index
            else evidence_ordered.first_segment_index
        end as first_segment_index,
        case
            when evidence_ordered.is_model_evidence_first then 'model'
            when evidence_ordered.first_offset_ms is not null then 'lexicon'
        end as first_evidence_detector,
        case
            when evidence_ordered.qa_reviews_count > 0
                then evidence_ordered.qa_mean_score >= {{ var('qa_behavior_present_min_score') }}
        end as is_present_in_qa
    from evidence_ordered

),

final as (

    select
        judged.interaction_key,
        judged.behavior_code,
        judged.display_order,
        judged.is_transcript_usable,
        judged.agent_segments_count,
        judged.is_detected_in_transcript,
        judged.is_detected_by_lexicon,
        judged.is_detected_by_model,
        judged.model_probability,
        judged.is_detected_by_model_out_of_fold,
        judged.model_probability_out_of_fold,
        judged.detector_status,
        judged.training_set_fingerprint,
        judged.first_evidence_detector,
        judged.matches_count,
        judged.first_segment_index,
        judged.first_offset_ms,
        judged.first_pattern_id,
        judged.first_matched_text,
        judged.qa_reviews_count,
        judged.qa_reviewers_count,
        judged.qa_mean_score,
        judged.is_present_in_qa,
        judged.qa_mean_score_adjusted,
        judged.is_present_in_qa_adjusted,
        case
            when judged.is_detected_in_transcript is null and judged.is_present_in_qa is null then null
            else coalesce(judged.is_detected_in_transcript, false) or coalesce(judged.is_present_in_qa, false)
        end as has_occurred,
        case
            when judged.is_detected_in_transcript and judged.is_present_in_qa then 'transcript_and_qa'
            when judged.is_detected_in_transcript then 'transcript'
            when judged.is_present_in_qa then 'qa_review'
            when judged.is_detected_in_transcript is null and judged.is_present_in_qa is null then 'not_observed'
            else 'absent'
        end as evidence_source,
        case
            when judged.is_transcript_usable and judged.qa_reviews_count > 0 then 'transcript_and_qa'
            when judged.is_transcript_usable then 'transcript_only'
            when judged.qa_reviews_count > 0 then 'qa_only'
            else 'none'
        end as observation_basis,
        case
            when judged.is_transcript_usable and judged.timed_within_ms is not null
                then coalesce(judged.first_offset_ms <= judged.timed_within_ms, false)
        end as is_timely
    from judged

)

select * from final
