{#- The raw contract's tables with their source, base and staging models: the one list that the as-of date,
    the delivered-row counts and the row accounting iterate over. `customer_linked`: rows belong to a customer
    and can be excluded for consent. -#}
{% macro raw_tables() %}
    {{ return([
        {'source': 'helpdesk', 'table': 'interactions', 'customer_linked': true},
        {'source': 'helpdesk', 'table': 'transcript_segments', 'customer_linked': true},
        {'source': 'qa', 'table': 'qa_reviews', 'customer_linked': true},
        {'source': 'surveys', 'table': 'survey_invitations', 'customer_linked': true},
        {'source': 'surveys', 'table': 'survey_responses', 'customer_linked': true},
        {'source': 'consent', 'table': 'consent_events', 'customer_linked': false},
        {'source': 'crm', 'table': 'customers', 'customer_linked': true},
        {'source': 'billing', 'table': 'subscription_events', 'customer_linked': true},
        {'source': 'billing', 'table': 'retention_offers', 'customer_linked': true},
        {'source': 'product', 'table': 'product_usage_weekly', 'customer_linked': true},
        {'source': 'product', 'table': 'incidents', 'customer_linked': false},
        {'source': 'hr', 'table': 'agents', 'customer_linked': false},
        {'source': 'hr', 'table': 'training_completions', 'customer_linked': false},
        {'source': 'experiments', 'table': 'experiment_assignments', 'customer_linked': false},
    ]) }}
{% endmacro %}
