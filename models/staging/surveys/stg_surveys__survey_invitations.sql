{%- set customer_identifiers = {'account_id': 'account_id', 'email': 'customer_email'} %}

with

consent_periods as (

    select * from {{ ref('stg_identity__consent_periods') }}

),

invitations as (

    select * from {{ ref('base_surveys__survey_invitations') }}
    where row_fate = 'kept'

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

identifiers as (

    select * from {{ ref('stg_identity__customer_identifiers') }}

),

customer_consent as (

    select * from {{ ref('stg_identity__customer_consent') }}

),

resolved as (

    select
        invitations.*,
        interactions.interaction_key,
        coalesce(interactions.customer_id, {{ customer_id_from(customer_identifiers) }}) as customer_id
    from invitations
    left join interactions
        on invitations.source_system = interactions.source_system
            and invitations.interaction_id = interactions.interaction_id
    {{ join_identifiers('invitations', customer_identifiers) }}

),

final as (

    select
        resolved.invitation_id,
        resolved.survey_type,
        resolved.interaction_key,
        resolved.source_system,
        resolved.interaction_id,
        resolved.customer_id,
        customer_consent.customer_key,
        resolved.account_id,
        resolved.sampling_stratum,
        resolved.selection_probability,
        resolved.sent_at,
        resolved._loaded_at,
        {{ consent_status_at('resolved.customer_id', 'survey_contact', 'resolved.sent_at') }} = 'revoked'
            as is_sent_without_consent,
        case when customer_consent.is_analytics_revoked then 'analytics_revoked' end as consent_exclusion_reason
    from resolved
    inner join customer_consent
        on resolved.customer_id = customer_consent.customer_id

)

select * from final
