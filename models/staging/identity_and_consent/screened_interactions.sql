{#- Every interaction the source-conformed model kept, with its resolved customer, its consent facts and its fate in
    the identity-and-consent step: `excluded_for_consent` when the customer's analytics consent is revoked as of the
    build, `kept` otherwise. consented_interactions publishes the kept ones. -#}
{#- Incremental (D33): an incremental run recomputes the interactions in identity_interactions_changed. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(changed_interactions_scope(ref('identity_interactions_changed'), 'interaction_key')) }}",
) }}
{%- set customer_identifiers = {'account_id': 'account_id', 'email': 'customer_email', 'phone': 'customer_phone'} %}

with

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}
    where row_fate = 'kept'
        and {{ changed_interactions_scope(
            ref('identity_interactions_changed'), interaction_key('source_system', 'interaction_id')
        ) }}

),

identifiers as (

    select * from {{ ref('identity_customer_identifiers') }}

),

consent_periods as (

    select * from {{ ref('identity_consent_periods') }}

),

customer_consent as (

    select * from {{ ref('identity_customer_consent') }}

),

resolved as (

    select
        interactions.*,
        {{ customer_id_from(customer_identifiers) }} as customer_id
    from interactions
    {{ join_identifiers('interactions', customer_identifiers) }}

),

final as (

    select
        {{ interaction_key('resolved.source_system', 'resolved.interaction_id') }} as interaction_key,
        resolved.source_system,
        resolved.interaction_id,
        resolved.customer_id,
        customer_consent.customer_key,
        resolved.account_id,
        resolved.channel,
        resolved.channel_label,
        resolved.agent_id,
        resolved.queue,
        resolved.product,
        resolved.contact_reason,
        resolved.is_escalated,
        resolved.started_at,
        resolved.first_agent_response_at,
        resolved.ended_at,
        resolved.is_resolved,
        resolved.updated_at,
        resolved._loaded_at,
        {{ consent_status_at('resolved.customer_id', 'call_recording', 'resolved.started_at') }} = 'granted'
            as has_call_recording_consent,
        case when customer_consent.is_analytics_revoked then 'excluded_for_consent' else 'kept' end as row_fate,
        case when customer_consent.is_analytics_revoked then 'analytics_revoked' end as set_aside_reason
    from resolved
    inner join customer_consent
        on resolved.customer_id = customer_consent.customer_id

)

select * from final
