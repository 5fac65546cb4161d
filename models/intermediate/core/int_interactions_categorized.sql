{#- Consenting interactions with their tough-moment category and response and handle times. The entry point of
    interactions into the layers after staging: rows excluded for consent stop here. -#}
with

interactions as (

    select * from {{ ref('consented_interactions') }}

),

tough_moments as (

    select * from {{ ref('tough_moment_categories') }}

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
        coalesce(
            tough_moments.tough_moment_category,
            case when interactions.is_escalated then 'escalation' end,
            '{{ var("tough_moment_default_category") }}'
        ) as tough_moment_category,
        tough_moments.tough_moment_category is not null or coalesce(interactions.is_escalated, false)
            as is_tough_moment,
        interactions.is_escalated,
        interactions.started_at,
        interactions.first_agent_response_at,
        interactions.ended_at,
        {{ date_diff('second', 'interactions.started_at', 'interactions.first_agent_response_at') }}
            as seconds_to_first_response,
        {{ date_diff('second', 'interactions.started_at', 'interactions.ended_at') }} as handle_time_seconds,
        interactions.is_resolved,
        interactions.has_call_recording_consent
    from interactions
    left join tough_moments
        on interactions.contact_reason = tough_moments.contact_reason

)

select * from final
