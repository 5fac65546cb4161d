{#- Every answered survey item the source-conformed model kept, with its fate in the identity-and-consent step:
    `quarantined` when its invitation is unknown or was set aside as broken, `excluded_for_consent` when the
    invitation was excluded for consent or sent without survey-contact consent, `kept` otherwise.
    consented_survey_responses publishes the kept ones. -#}
with

responses as (

    select * from {{ ref('stg_surveys__survey_responses') }}
    where row_fate = 'kept'

),

delivered_invitations as (

    select * from {{ ref('stg_surveys__survey_invitations') }}

),

invitations as (

    select * from {{ ref('screened_survey_invitations') }}

),

with_parent as (

    {{ with_parent_status('responses', 'delivered_invitations', ['invitation_id'], 'is_invitation_kept') }}

),

judged as (

    select
        with_parent.*,
        invitations.survey_type,
        invitations.interaction_key,
        invitations.customer_key,
        case
            {{ parent_set_aside_reason('with_parent.is_invitation_kept', 'invitations', 'invitation') }}
            when invitations.is_sent_without_consent then 'no_survey_contact_consent'
        end as set_aside_reason
    from with_parent
    left join invitations
        on with_parent.invitation_id = invitations.invitation_id

),

final as (

    select
        judged.response_id,
        judged.invitation_id,
        judged.survey_type,
        judged.interaction_key,
        judged.customer_key,
        judged.item_code,
        judged.item_position,
        judged.answer_numeric,
        judged.answer_text_redacted,
        judged.responded_at,
        judged._loaded_at,
        {{ screened_row_fate('judged.set_aside_reason', 'invitation') }} as row_fate,
        judged.set_aside_reason
    from judged

)

select * from final
