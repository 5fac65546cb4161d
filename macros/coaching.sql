{#- Shared definitions of the coaching models (issue 14, D31). -#}

{#- The per-interaction outcome flag (a column of mart_interaction_outcomes) behind each per-agent rate that is a
    plain share of contacts or answers; the scorecard, ramp curves and recognition pick theirs from this one map. -#}
{% macro coaching_metric_flags(names=none) %}
    {%- set flags = {
        'empathetic_contact_rate': 'is_empathetic_contact',
        'acknowledged_within_30s_rate': 'is_acknowledged_within_30s',
        'csat_top2_rate': 'is_csat_top2',
        'repeat_contact_rate': 'has_repeat_contact',
    } -%}
    {%- if names is none -%}{{ return(flags) }}{%- endif -%}
    {%- set picked = {} -%}
    {%- for name in names -%}
        {%- if name not in flags -%}
            {{ exceptions.raise_compiler_error("coaching metric '" ~ name ~ "' has no outcome flag; known: "
                ~ (flags.keys() | join(', '))) }}
        {%- endif -%}
        {%- do picked.update({name: flags[name]}) -%}
    {%- endfor -%}
    {{ return(picked) }}
{% endmacro %}

{#- A one-row select of `starts_at`: the first day of the calendar month n_months - 1 months before the month of
    the latest `column` in `relation`, so that the window is the last n_months calendar months of the data. -#}
{% macro last_months_window_start(relation, column, n_months) %}
    select date_trunc('month', max({{ column }})) - to_months({{ n_months | int }} - 1) as starts_at
    from {{ relation }}
{% endmacro %}
