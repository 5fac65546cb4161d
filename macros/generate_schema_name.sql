{#- Layer schemas are used as named (staging, intermediate, marts, audit, reference), not prefixed with the
    target schema: BI tools and CI query fixed names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
