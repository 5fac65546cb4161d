{#- Open-text answers, redacted (e-mails, phone and card numbers removed in staging), kept for later verbatim
    clustering. Restricted: redacted free text can still name people, so it lives in its own schema, outside the
    marts that BI tools read. -#}
with

responses as (

    select * from {{ ref('consented_survey_responses') }}
    where item_code = 'open_text'
        and answer_text_redacted is not null

),

final as (

    select
        responses.response_id,
        responses.invitation_id,
        responses.survey_type,
        responses.interaction_key,
        responses.customer_key,
        responses.answer_text_redacted,
        responses.responded_at
    from responses

)

select * from final
