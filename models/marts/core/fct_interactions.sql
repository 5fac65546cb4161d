with

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

final as (

    select
        interactions.interaction_key,
        interactions.source_system,
        interactions.interaction_id,
        interactions.customer_key,
        interactions.agent_id,
        interactions.channel,
        interactions.queue,
        interactions.product,
        interactions.contact_reason,
        interactions.tough_moment_category,
        interactions.is_tough_moment,
        interactions.is_escalated,
        interactions.started_at,
        interactions.first_agent_response_at,
        interactions.ended_at,
        interactions.seconds_to_first_response,
        interactions.handle_time_seconds,
        interactions.is_resolved,
        interactions.has_call_recording_consent as is_transcript_usable
    from interactions

)

select * from final
