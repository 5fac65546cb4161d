{#- Consent audit, counts only (raw contract, "Consent rules"): who left the warehouse and what was not used. -#}
with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

customer_consent as (

    select * from {{ ref('identity_customer_consent') }}

),

interactions as (

    select * from {{ ref('screened_interactions') }}

),

segments as (

    select * from {{ ref('screened_transcript_segments') }}

),

invitations as (

    select * from {{ ref('screened_survey_invitations') }}

),

responses as (

    select * from {{ ref('screened_survey_responses') }}

),

metrics as (

    select
        'customers_excluded_analytics_revoked' as metric,
        count(*) filter (where customer_consent.is_analytics_revoked) as metric_value,
        'Resolved customers whose latest analytics consent as of the build is revoked; '
        || 'they and their history leave every model after staging.' as metric_description
    from customer_consent

    union all

    select
        'interactions_excluded_analytics_revoked' as metric,
        count(*) filter (where interactions.set_aside_reason = 'analytics_revoked') as metric_value,
        'Interactions of those customers.' as metric_description
    from interactions

    union all

    select
        'interactions_without_call_recording_consent' as metric,
        count(*) filter (
            where interactions.row_fate = 'kept' and not interactions.has_call_recording_consent
        ) as metric_value,
        'Consenting customers'' interactions whose transcripts are not used: no call-recording consent '
        || 'at their start. Their behaviours come from QA reviews only.' as metric_description
    from interactions

    union all

    select
        'transcript_segments_not_used_call_recording' as metric,
        count(*) filter (where segments.set_aside_reason = 'no_call_recording_consent') as metric_value,
        'Transcript segments of those interactions.' as metric_description
    from segments

    union all

    select
        'invitations_sent_without_survey_contact_consent' as metric,
        count(*) filter (
            where invitations.row_fate = 'kept' and invitations.is_sent_without_consent
        ) as metric_value,
        'Consent violations: invitations sent when the customer had not granted (or had revoked) survey contact.'
            as metric_description
    from invitations

    union all

    select
        'survey_responses_excluded_survey_contact' as metric,
        count(*) filter (where responses.set_aside_reason = 'no_survey_contact_consent') as metric_value,
        'Answered items of those invitations; excluded from every estimate.' as metric_description
    from responses

),

final as (

    select
        metrics.metric,
        metrics.metric_value,
        metrics.metric_description,
        {{ as_of('build_as_of') }} as as_of
    from metrics

)

select * from final
