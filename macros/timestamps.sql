{#- Raw timestamps arrive as Parquet timestamps (with or without time zone; without means UTC) or as ISO-8601
    strings with an offset. Going through varchar treats all three alike: the session time zone is UTC
    (profiles.yml), so naive values are read as UTC. The result is a naive timestamp in UTC; an unparseable
    value becomes null, which the stg_ models quarantine where the column is required. -#}
{% macro to_utc(column) -%}
    {{- return(adapter.dispatch('to_utc', 'empathy_warehouse')(column)) -}}
{%- endmacro %}

{% macro default__to_utc(column) -%}
    (try_cast(cast({{ column }} as varchar) as timestamptz) at time zone 'UTC')
{%- endmacro %}

{#- Spark: the session time zone is UTC (profiles.yml), so its timestamp is the UTC instant, and a string with an
    offset is converted to it. -#}
{% macro spark__to_utc(column) -%}
    try_cast(cast({{ column }} as string) as timestamp)
{%- endmacro %}

{#- The build's as-of instant as a scalar, for consent "as of the build", censoring and tenure; `relation`: the calling
    model's import CTE of stg_build__as_of (one row, one column `as_of`). -#}
{% macro as_of(relation='build_as_of') -%}
    (select build.as_of from {{ relation }} as build)
{%- endmacro %}
