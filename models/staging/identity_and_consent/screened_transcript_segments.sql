{#- Every transcript segment the source-conformed model kept, with its fate in the identity-and-consent step:
    `quarantined` when its interaction is unknown or was set aside as broken, `excluded_for_consent` when its
    interaction was (analytics revoked) or the customer had not granted call recording at the interaction's start,
    `kept` otherwise. consented_transcript_segments publishes the kept ones. -#}
{#- Incremental (D33): an incremental run recomputes the segments of the interactions in
    identity_interactions_changed (by the segment's own natural key, so segments of an unknown interaction too). -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(changed_interactions_scope(ref('identity_interactions_changed'), interaction_key('source_system', 'interaction_id'))) }}",
) }}
with

segments as (

    select * from {{ ref('stg_helpdesk__transcript_segments') }}
    where row_fate = 'kept'
        and {{ changed_interactions_scope(
            ref('identity_interactions_changed'), interaction_key('source_system', 'interaction_id')
        ) }}

),

delivered_interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

interactions as (

    select * from {{ ref('screened_interactions') }}

),

with_parent as (

    {{ with_parent_status('segments', 'delivered_interactions', ['source_system', 'interaction_id'],
        'is_interaction_kept') }}

),

judged as (

    select
        with_parent.*,
        interactions.interaction_key,
        interactions.customer_key,
        case
            {{ parent_set_aside_reason('with_parent.is_interaction_kept', 'interactions', 'interaction') }}
            when not interactions.has_call_recording_consent then 'no_call_recording_consent'
        end as set_aside_reason
    from with_parent
    left join interactions
        on with_parent.source_system = interactions.source_system
            and with_parent.interaction_id = interactions.interaction_id

),

final as (

    select
        judged.interaction_key,
        judged.source_system,
        judged.interaction_id,
        judged.segment_index,
        judged.customer_key,
        judged.speaker,
        judged.speaker_label,
        judged.offset_ms,
        judged.text_redacted,
        judged.sentiment,
        judged._loaded_at,
        {{ screened_row_fate('judged.set_aside_reason', 'interaction') }} as row_fate,
        judged.set_aside_reason
    from judged

)

select * from final
