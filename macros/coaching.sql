{#- Shared definitions of the coaching models (issue 14, D31). -#}

{#- The per-interaction flag behind each per-agent rate that is a plain share of contacts or answers, as a SQL
    boolean over a row of mart_interaction_outcomes called `alias` (null: not observed, so not counted). The
    scorecard's counts, the ramp curves and the recognition cells pick theirs from this one map.
    churn_90_days_rate also needs `is_voluntarily_churned_within_90_days` on the row (from
    mart_interaction_churn_windows, which itself reads mart_interaction_outcomes). -#}
{% macro coaching_metric_flags(names=none, alias='outcomes') %}
    {%- set flags = {
        'empathetic_contact_rate': '{t}.is_empathetic_contact',
        'acknowledged_within_30s_rate': '{t}.is_acknowledged_within_30s',
        'csat_top2_rate': '{t}.is_csat_top2',
        'repeat_contact_rate': '{t}.has_repeat_contact',
        'next_nps_promoter_rate': "({t}.next_nps_category = 'promoter')",
        'churn_90_days_rate': '{t}.is_voluntarily_churned_within_90_days',
    } -%}
    {%- set picked = {} -%}
    {%- for name in (names if names is not none else flags.keys()) -%}
        {%- if name not in flags -%}
            {{ exceptions.raise_compiler_error("coaching metric '" ~ name ~ "' has no outcome flag; known: "
                ~ (flags.keys() | join(', '))) }}
        {%- endif -%}
        {%- do picked.update({name: flags[name] | replace('{t}', alias)}) -%}
    {%- endfor -%}
    {{ return(picked) }}
{% endmacro %}

{#- A one-row select of `starts_at`: the first day of the calendar month n_months - 1 months before the month of
    the latest `column` in `relation`, so that the window is the last n_months calendar months of the data. -#}
{% macro last_months_window_start(relation, column, n_months) %}
    select date_trunc('month', max({{ column }})) - {{ interval_of((n_months | int) ~ ' - 1', 'months') }} as starts_at
    from {{ relation }}
{% endmacro %}
