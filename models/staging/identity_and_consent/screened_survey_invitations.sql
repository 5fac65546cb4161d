{#- Every survey invitation the source-conformed model kept, with its resolved customer (a pulse's is the customer
    of its interaction; a relationship survey's comes from its own identifiers), whether it was sent without
    survey-contact consent (a reported violation; its answers are excluded) and its fate in the identity-and-consent
    step: `quarantined` when a pulse's interaction is unknown or was set aside as broken, `excluded_for_consent` when
    the customer's analytics consent is revoked, `kept` otherwise. consented_survey_invitations publishes the kept
    ones. -#}
{%- set customer_identifiers = {'account_id': 'account_id', 'email': 'customer_email'} %}

with

invitations as (

    select * from {{ ref('stg_surveys__survey_invitations') }}
    where row_fate = 'kept'

),

delivered_interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

interactions as (

    select * from {{ ref('screened_interactions') }}

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

with_parent as (

    {{ with_parent_status('invitations', 'delivered_interactions', ['source_system', 'interaction_id'],
        'is_interaction_kept') }}

),

resolved as (

    select
        with_parent.*,
        interactions.interaction_key,
        coalesce(interactions.customer_id, {{ customer_id_from(customer_identifiers) }}) as customer_id
    from with_parent
    left join interactions
        on with_parent.source_system = interactions.source_system
            and with_parent.interaction_id = interactions.interaction_id
    {{ join_identifiers('with_parent', customer_identifiers) }}

),

judged as (

    select
        resolved.*,
        customer_consent.customer_key,
        {{ consent_status_at('resolved.customer_id', 'survey_contact', 'resolved.sent_at') }} = 'revoked'
            as is_sent_without_consent,
        case
            when resolved.survey_type = 'csat_pulse' and resolved.is_interaction_kept is null
                then 'unknown_interaction'
            when resolved.survey_type = 'csat_pulse' and not resolved.is_interaction_kept
                then 'interaction_quarantined'
            when customer_consent.is_analytics_revoked then 'analytics_revoked'
        end as set_aside_reason
    from resolved
    left join customer_consent
        on resolved.customer_id = customer_consent.customer_id

),

final as (

    select
        judged.invitation_id,
        judged.survey_type,
        judged.interaction_key,
        judged.source_system,
        judged.interaction_id,
        judged.customer_id,
        judged.customer_key,
        judged.account_id,
        judged.sampling_stratum,
        judged.selection_probability,
        judged.sent_at,
        judged._loaded_at,
        judged.is_sent_without_consent,
        {{ screened_row_fate('judged.set_aside_reason', 'interaction') }} as row_fate,
        judged.set_aside_reason
    from judged

)

select * from final
