{#- Raw timestamps arrive as Parquet timestamps (with or without time zone; without means UTC) or as ISO-8601
    strings with an offset. Going through varchar treats all three alike: the session time zone is UTC
    (profiles.yml), so naive values are read as UTC. The result is a naive timestamp in UTC; an unparseable
    value becomes null, which the base models quarantine where the column is required. -#}
{% macro to_utc(column) -%}
    (try_cast(cast({{ column }} as varchar) as timestamptz) at time zone 'UTC')
{%- endmacro %}

{#- The build's as-of instant (one row, one column `as_of`), for consent "as of the build", censoring and tenure. -#}
{% macro as_of() -%}
    (select as_of.as_of from {{ ref('stg_build__as_of') }} as as_of)
{%- endmacro %}
