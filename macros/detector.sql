{#- The learned detector's training cutoff (D37): the start of the period of var behavior_detector.retrain_every
    (day, week, month, quarter or year) that holds `as_of`. The detector learns from interactions started before
    it, so it is trained again when a period begins (or when what it learns from changes). -#}
{% macro detector_training_cutoff(as_of) -%}
    {%- set retrain_every = var('behavior_detector')['retrain_every'] -%}
    {%- if retrain_every not in ['day', 'week', 'month', 'quarter', 'year'] -%}
        {{ exceptions.raise_compiler_error(
            "var behavior_detector.retrain_every is '" ~ retrain_every
            ~ "'; expected one of day, week, month, quarter, year") }}
    {%- endif -%}
    date_trunc('{{ retrain_every }}', {{ as_of }})
{%- endmacro %}

{#- Rows of a stored detector, or of what it scored, made with another training set than the current one (`summary`:
    the caller's ref of int_detector_training_set_fingerprinted): an incremental build deletes them first. -#}
{% macro stale_detector_scope(summary) -%}
    training_set_fingerprint not in (select summary.training_set_fingerprint from {{ summary }} as summary)
{%- endmacro %}
