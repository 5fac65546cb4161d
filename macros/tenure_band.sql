{#- The tenure band of a customer at a moment: days since signup cut at var tenure_band_days (ascending), e.g.
    [90, 365] gives `0-89d`, `90-364d`, `365d+`; `unknown` without a signup date. One home for the bands that the
    survey weighting models (response propensity, raking margins) share. -#}
{% macro tenure_band(signup_column, at_column) -%}
    {%- set cuts = var('tenure_band_days') -%}
    case
        when {{ signup_column }} is null or {{ at_column }} is null then 'unknown'
        {%- for cut in cuts %}
        when {{ date_diff('day', signup_column, at_column) }} < {{ cut }}
            then '{{ 0 if loop.first else cuts[loop.index0 - 1] }}-{{ cut - 1 }}d'
        {%- endfor %}
        else '{{ cuts[-1] }}d+'
    end
{%- endmacro %}
