with

responses as (

    select * from {{ ref('int_survey_responses_pivoted') }}

),

final as (

    select
        responses.invitation_id,
        responses.survey_type,
        responses.interaction_key,
        responses.customer_key,
        responses.sampling_stratum,
        responses.selection_probability,
        responses.sent_at,
        responses.responded_at,
        responses.items_answered,
        responses.csat,
        responses.is_csat_top2,
        responses.felt_understood,
        responses.acknowledged_situation,
        responses.clear_next_steps,
        responses.nps,
        responses.nps_category,
        responses.has_open_text
    from responses

)

select * from final
