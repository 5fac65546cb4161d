{#- One row per answered invitation of a consenting customer, items pivoted (the item bank is the survey_items
    seed). Responses excluded for consent (analytics revoked, or invitations sent without survey-contact
    consent) are not here. -#}
with

responses as (

    select * from {{ ref('consented_survey_responses') }}

),

invitations as (

    select * from {{ ref('consented_survey_invitations') }}

),

items as (

    select * from {{ ref('survey_items') }}

),

answers as (

    select
        responses.invitation_id,
        min(responses.responded_at) as responded_at,
        count(*) as items_answered,
        max(responses.answer_numeric) filter (where responses.item_code = 'csat') as csat,
        max(responses.answer_numeric) filter (where responses.item_code = 'felt_understood') as felt_understood,
        max(responses.answer_numeric) filter (
            where responses.item_code = 'acknowledged_situation'
        ) as acknowledged_situation,
        max(responses.answer_numeric) filter (where responses.item_code = 'clear_next_steps') as clear_next_steps,
        max(responses.answer_numeric) filter (where responses.item_code = 'nps') as nps,
        bool_or(responses.item_code = 'open_text' and responses.answer_text_redacted is not null) as has_open_text
    from responses
    group by responses.invitation_id

),

thresholds as (

    select
        max(items.top_box_min) filter (where items.item_code = 'csat') as csat_top_box_min,
        max(items.top_box_min) filter (where items.item_code = 'nps') as nps_promoter_min,
        max(items.bottom_box_max) filter (where items.item_code = 'nps') as nps_detractor_max
    from items

),

final as (

    select
        invitations.invitation_id,
        invitations.survey_type,
        invitations.interaction_key,
        invitations.customer_key,
        invitations.sampling_stratum,
        invitations.selection_probability,
        invitations.sent_at,
        answers.responded_at,
        answers.items_answered,
        answers.csat,
        answers.csat >= thresholds.csat_top_box_min as is_csat_top2,
        answers.felt_understood,
        answers.acknowledged_situation,
        answers.clear_next_steps,
        answers.nps,
        case
            when answers.nps >= thresholds.nps_promoter_min then 'promoter'
            when answers.nps > thresholds.nps_detractor_max then 'passive'
            when answers.nps is not null then 'detractor'
        end as nps_category,
        coalesce(answers.has_open_text, false) as has_open_text
    from invitations
    inner join answers
        on invitations.invitation_id = answers.invitation_id
    cross join thresholds

)

select * from final
