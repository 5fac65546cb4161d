with

responses as (

    select * from {{ ref('base_surveys__survey_responses') }}
    where row_fate = 'kept'

),

invitations as (

    select * from {{ ref('stg_surveys__survey_invitations') }}

),

final as (

    select
        responses.response_id,
        responses.invitation_id,
        invitations.survey_type,
        invitations.interaction_key,
        invitations.customer_key,
        responses.item_code,
        responses.item_position,
        responses.answer_numeric,
        responses.answer_text_redacted,
        responses.responded_at,
        responses._loaded_at,
        case
            when invitations.consent_exclusion_reason is not null then invitations.consent_exclusion_reason
            when invitations.is_sent_without_consent then 'no_survey_contact_consent'
        end as consent_exclusion_reason
    from responses
    inner join invitations
        on responses.invitation_id = invitations.invitation_id

)

select * from final
