{#- One row per consenting interaction and rubric behaviour: what the transcript shows (where it may be used),
    what QA reviewers scored, whether the behaviour occurred, and the evidence that traces it back to the words.

    Rules (documented in the rubric seeds and the decision log):
    - detected in the transcript when the weights of its matched patterns sum to at least
      var('behavior_detection_min_weight'); null when the transcript may not be used or does not exist;
    - present in QA when the mean reviewer score is at least var('qa_behavior_present_min_score'); null when the
      interaction was not reviewed for that behaviour;
    - occurred when either source says so; null when neither source observed the interaction. -#}
with

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

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
    group by segments.interaction_key

),

phrase_matches as (

    select * from {{ ref('int_transcript_phrases_matched') }}

),

qa_reviews as (

    select * from {{ ref('consented_qa_reviews') }}

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

),

judged as (

    select
        combined.*,
        case
            when combined.is_transcript_usable
                then coalesce(combined.matched_weight, 0) >= {{ var('behavior_detection_min_weight') }}
        end as is_detected_in_transcript,
        case
            when combined.qa_reviews_count > 0
                then combined.qa_mean_score >= {{ var('qa_behavior_present_min_score') }}
        end as is_present_in_qa
    from combined

),

final as (

    select
        judged.interaction_key,
        judged.behavior_code,
        judged.display_order,
        judged.is_transcript_usable,
        judged.agent_segments_count,
        judged.is_detected_in_transcript,
        judged.matches_count,
        judged.first_segment_index,
        judged.first_offset_ms,
        judged.first_pattern_id,
        judged.first_matched_text,
        judged.qa_reviews_count,
        judged.qa_reviewers_count,
        judged.qa_mean_score,
        judged.is_present_in_qa,
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
