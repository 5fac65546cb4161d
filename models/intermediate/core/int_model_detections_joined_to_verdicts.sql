{#- The learned detector's scores beside what it is judged against (D37): per interaction it scored and behaviour,
    the stored detector's probability, the out-of-fold probability where it trained on the interaction, and the
    leniency-adjusted QA verdict where the interaction was reviewed. A view: it only joins three tables. -#}
{{ config(materialized='view') }}
with

model_detections as (

    select * from {{ ref('int_behaviors_detected_by_model') }}

),

out_of_fold as (

    select * from {{ ref('int_behaviors_scored_out_of_fold') }}

),

qa_verdicts as (

    select * from {{ ref('int_qa_verdicts_adjusted') }}

),

final as (

    select
        model_detections.interaction_key,
        model_detections.behavior_code,
        model_detections.model_probability,
        model_detections.model_first_segment_index,
        model_detections.model_first_offset_ms,
        model_detections.is_detected_by_model,
        out_of_fold.model_probability_out_of_fold,
        out_of_fold.model_probability_out_of_fold >= {{ var('behavior_detector')['min_probability'] }}
            as is_detected_by_model_out_of_fold,
        model_detections.detector_status,
        model_detections.training_set_fingerprint,
        qa_verdicts.qa_mean_score_adjusted,
        qa_verdicts.is_present_in_qa_adjusted
    from model_detections
    left join out_of_fold
        on model_detections.interaction_key = out_of_fold.interaction_key
            and model_detections.behavior_code = out_of_fold.behavior_code
    left join qa_verdicts
        on model_detections.interaction_key = qa_verdicts.interaction_key
            and model_detections.behavior_code = qa_verdicts.behavior_code

)

select * from final
