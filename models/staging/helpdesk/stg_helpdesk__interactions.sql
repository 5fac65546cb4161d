{%- set customer_identifiers = {'account_id': 'account_id', 'email': 'customer_email', 'phone': 'customer_phone'} %}

with

consent_periods as (

    select * from {{ ref('stg_identity__consent_periods') }}

),

interactions as (

    select * from {{ ref('base_helpdesk__interactions') }}
    where row_fate = 'kept'

),

identifiers as (

    select * from {{ ref('stg_identity__customer_identifiers') }}

),

customer_consent as (

    select * from {{ ref('stg_identity__customer_consent') }}

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
        case when customer_consent.is_analytics_revoked then 'analytics_revoked' end as consent_exclusion_reason
    from resolved
    inner join customer_consent
        on resolved.customer_id = customer_consent.customer_id

)

select * from final
