{#- Layer schemas by their names (staging, intermediate, marts, audit, restricted, reference) in the prod target,
    which BI tools, the checks and the publish step read; in any other target (dev) prefixed with the target's
    schema (dev_marts, ...), so a developer's build never writes into production's schemas. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'prod' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
