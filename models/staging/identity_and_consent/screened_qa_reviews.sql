{#- Every QA review the source-conformed model kept, with its fate in the identity-and-consent step: `quarantined`
    when the reviewed interaction is unknown or was set aside as broken, `excluded_for_consent` when the interaction
    was excluded for consent, `kept` otherwise. consented_qa_reviews publishes the kept ones. -#}
with

reviews as (

    select * from {{ ref('stg_qa__qa_reviews') }}
    where row_fate = 'kept'

),

delivered_interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

interactions as (

    select * from {{ ref('screened_interactions') }}

),

with_parent as (

    {{ with_parent_status('reviews', 'delivered_interactions', ['source_system', 'interaction_id'],
        'is_interaction_kept') }}

),

judged as (

    select
        with_parent.*,
        interactions.interaction_key,
        interactions.customer_key,
        case
            {{ parent_set_aside_reason('with_parent.is_interaction_kept', 'interactions', 'interaction') }}
        end as set_aside_reason
    from with_parent
    left join interactions
        on with_parent.source_system = interactions.source_system
            and with_parent.interaction_id = interactions.interaction_id

),

final as (

    select
        judged.review_id,
        judged.interaction_key,
        judged.source_system,
        judged.interaction_id,
        judged.customer_key,
        judged.reviewer_id,
        judged.behavior_code,
        judged.score,
        judged.is_calibration,
        judged.reviewed_at,
        judged.comment_redacted,
        judged._loaded_at,
        {{ screened_row_fate('judged.set_aside_reason', 'interaction') }} as row_fate,
        judged.set_aside_reason
    from judged

)

select * from final
