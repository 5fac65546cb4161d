{#- The raw contract's tables: the one list that the as-of date, the delivered-row counts, the quarantine list and the
    row accounting iterate over. Each table has its source-conformed model `stg_<source>__<table>`. `key`: the natural
    key that de-duplication uses. `customer_linked`: rows belong to a customer and can be excluded for consent.
    `screened`: the identity-and-consent step screens the table's kept rows (parent record, customer, consent) in
    `screened_<table>` and publishes them in `consented_<table>`. -#}
{% macro raw_tables() %}
    {{ return([
        {'source': 'helpdesk', 'table': 'interactions', 'key': ['source_system', 'interaction_id'], 'customer_linked': true, 'screened': true},
        {'source': 'helpdesk', 'table': 'transcript_segments', 'key': ['source_system', 'interaction_id', 'segment_index'], 'customer_linked': true, 'screened': true},
        {'source': 'qa', 'table': 'qa_reviews', 'key': ['review_id'], 'customer_linked': true, 'screened': true},
        {'source': 'surveys', 'table': 'survey_invitations', 'key': ['invitation_id'], 'customer_linked': true, 'screened': true},
        {'source': 'surveys', 'table': 'survey_responses', 'key': ['response_id'], 'customer_linked': true, 'screened': true},
        {'source': 'consent', 'table': 'consent_events', 'key': ['event_id'], 'customer_linked': false, 'screened': false},
        {'source': 'crm', 'table': 'customers', 'key': ['account_id'], 'customer_linked': true, 'screened': true},
        {'source': 'billing', 'table': 'subscription_events', 'key': ['event_id'], 'customer_linked': true, 'screened': true},
        {'source': 'billing', 'table': 'retention_offers', 'key': ['offer_id'], 'customer_linked': true, 'screened': true},
        {'source': 'product', 'table': 'product_usage_weekly', 'key': ['account_id', 'week_start'], 'customer_linked': true, 'screened': true},
        {'source': 'product', 'table': 'incidents', 'key': ['incident_id'], 'customer_linked': false, 'screened': false},
        {'source': 'hr', 'table': 'agents', 'key': ['agent_id'], 'customer_linked': false, 'screened': false},
        {'source': 'hr', 'table': 'training_completions', 'key': ['agent_id', 'module_code', 'completed_at'], 'customer_linked': false, 'screened': true},
        {'source': 'experiments', 'table': 'experiment_assignments', 'key': ['experiment_id', 'unit_type', 'unit_id'], 'customer_linked': false, 'screened': false},
    ]) }}
{% endmacro %}

{#- A row's natural key as one string, `|`-joined, `<null>` for a missing part. -#}
{% macro record_key(alias, key_columns) -%}
    concat_ws(
        '|',
        {%- for key in key_columns %}
        coalesce(cast({{ alias }}.{{ key }} as {{ varchar_type() }}), '<null>'){% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
