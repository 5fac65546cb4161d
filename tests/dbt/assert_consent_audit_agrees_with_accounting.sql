{#- The consent audit and the row accounting count the same exclusions two ways; they must agree. -#}
with

audit as (

    select * from {{ ref('audit_consent') }}

),

accounting as (

    select * from {{ ref('audit_row_accounting') }}
    where row_fate = 'excluded_for_consent'

),

pairs as (

    select
        metric_pairs.metric,
        metric_pairs.table_name,
        metric_pairs.reason
    from (
        values
        ('interactions_excluded_analytics_revoked', 'interactions', 'analytics_revoked'),
        ('transcript_segments_not_used_call_recording', 'transcript_segments', 'no_call_recording_consent'),
        ('survey_responses_excluded_survey_contact', 'survey_responses', 'no_survey_contact_consent')
    ) as metric_pairs (metric, table_name, reason)

),

compared as (

    select
        pairs.metric,
        audit.metric_value as audit_value,
        coalesce(sum(accounting.row_count), 0) as accounting_value
    from pairs
    left join audit
        on pairs.metric = audit.metric
    left join accounting
        on pairs.table_name = accounting.table_name
            and pairs.reason = accounting.reason
    group by pairs.metric, audit.metric_value

)

select * from compared
where audit_value is distinct from accounting_value
