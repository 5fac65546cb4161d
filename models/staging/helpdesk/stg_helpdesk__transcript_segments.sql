with

segments as (

    select * from {{ ref('base_helpdesk__transcript_segments') }}
    where row_fate = 'kept'

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

final as (

    select
        interactions.interaction_key,
        segments.source_system,
        segments.interaction_id,
        segments.segment_index,
        interactions.customer_key,
        segments.speaker,
        segments.speaker_label,
        segments.offset_ms,
        segments.text_redacted,
        segments.sentiment,
        segments._loaded_at,
        case
            when interactions.consent_exclusion_reason is not null then interactions.consent_exclusion_reason
            when not interactions.has_call_recording_consent then 'no_call_recording_consent'
        end as consent_exclusion_reason
    from segments
    inner join interactions
        on segments.source_system = interactions.source_system
            and segments.interaction_id = interactions.interaction_id

)

select * from final
