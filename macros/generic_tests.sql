{#- Generic tests the project needs (the dbt package hub is out of reach, so no dbt_utils). -#}

{% test unique_combination_of_columns(model, combination_of_columns, where_clause=none) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicates
    from {{ model }}
    {% if where_clause %}where {{ where_clause }}{% endif %}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
        and (
            false
            {% if min_value is not none %}or {{ column_name }} < {{ min_value }}{% endif %}
            {% if max_value is not none %}or {{ column_name }} > {{ max_value }}{% endif %}
        )
{% endtest %}

{% test expression_is_true(model, expression, where_clause=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
    {% if where_clause %}and {{ where_clause }}{% endif %}
{% endtest %}

{#- No customer whose analytics consent is revoked may appear in a model after staging. -#}
{% test not_consent_revoked(model, column_name) %}
    select tested.{{ column_name }}
    from {{ model }} as tested
    inner join {{ ref('identity_customer_consent') }} as consent
        on tested.{{ column_name }} = consent.customer_key
    where consent.is_analytics_revoked
{% endtest %}

{#- Integrity across layers: the model has exactly as many rows as another model (optionally filtered), or
    `multiplier` times as many (one row per window, say). -#}
{% test row_count_equals(model, compare_model, compare_where=none, multiplier=1) %}
    with
    tested as (select count(*) as row_count from {{ model }}),
    compared as (
        select count(*) as row_count from {{ compare_model }}
        {% if compare_where %}where {{ compare_where }}{% endif %}
    )
    select tested.row_count as model_rows, compared.row_count * {{ multiplier }} as compare_rows
    from tested cross join compared
    where tested.row_count != compared.row_count * {{ multiplier }}
{% endtest %}

{% test has_row_count(model, expected) %}
    select count(*) as row_count
    from {{ model }}
    having count(*) != {{ expected }}
{% endtest %}

{#- Detection quality: warn when a behaviour's overall precision or recall of the build's detection rule (the
    `combined` rows of mart_detection_quality) falls below var detection_quality_warn_below. -#}
{% test detection_quality_at_least(model) %}
    {{ config(severity='warn') }}
    {%- set floor = var('detection_quality_warn_below') %}
    select
        quality.behavior_code,
        quality.metric,
        quality.estimate
    from {{ model }} as quality
    where quality.group_by = 'overall'
        and quality.detector = 'combined'
        and quality.status = 'ok'
        and (
            (quality.metric = 'precision' and quality.estimate < {{ floor['precision'] }})
            or (quality.metric = 'recall' and quality.estimate < {{ floor['recall'] }})
        )
{% endtest %}
