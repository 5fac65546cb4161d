{#-
    on-run-start: before anything is built, check that every raw table of the contract is there with every
    column the sources declare, and fail with a message naming the table, the column and the expected path.
    Columns come from the source definitions (models/staging/*/_*__sources.yml), the one place that lists them.
    In Parquet mode a missing folder or a corrupt file is reported by file, and each external source is mirrored
    as a view raw.<table>; a raw schema (var raw_schema) is checked through the same describe.
-#}
{% macro check_raw_contract() %}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'seed', 'compile'] -%}
        {%- set raw_dir = env_var('EMPATHY_RAW_DIR', 'data/raw') -%}
        {%- set raw_schema = var('raw_schema', '') -%}
        {%- set problems = [] -%}
        {%- set present_tables = [] -%}
        {%- set contract_sources = graph.sources.values() | selectattr('package_name', 'equalto', project_name)
            | sort(attribute='name') | list -%}
        {#- 1. every table is there (all missing folders reported at once) -#}
        {%- for node in contract_sources -%}
            {%- if raw_schema -%}
                {%- do present_tables.append(node) -%}
            {%- else -%}
                {%- set files = run_query("select count(*) from glob('" ~ raw_dir ~ "/" ~ node.name
                    ~ "/*.parquet')").columns[0].values()[0] -%}
                {%- if files == 0 -%}
                    {%- do problems.append("table '" ~ node.name ~ "' (source " ~ node.source_name
                        ~ "): no Parquet files at " ~ raw_dir ~ "/" ~ node.name ~ "/*.parquet") -%}
                {%- else -%}
                    {%- do present_tables.append(node) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {{ raise_raw_contract_problems(problems) }}
        {#- 2. every declared column is there; reading the schemas also reports a corrupt file by name -#}
        {%- for node in present_tables -%}
            {%- set where = (raw_schema ~ '.' ~ node.name) if raw_schema
                else (raw_dir ~ '/' ~ node.name ~ '/*.parquet') -%}
            {%- if not raw_schema -%}
                {#- mirror the external source as a view raw.<table>, so that tools which introspect a relation
                    (dbt unit-test fixtures, BI, ad-hoc SQL) see the raw table's columns -#}
                {%- do run_query("create schema if not exists raw; create or replace view raw." ~ node.name
                    ~ " as select * from " ~ source(node.source_name, node.name)) -%}
            {%- endif -%}
            {%- set described = run_query("select column_name from (describe select * from "
                ~ source(node.source_name, node.name) ~ ")") -%}
            {%- set present = described.columns[0].values() | map('lower') | list -%}
            {%- for column in node.columns -%}
                {%- if column | lower not in present -%}
                    {%- do problems.append("table '" ~ node.name ~ "' (source " ~ node.source_name ~ "): column '"
                        ~ column ~ "' is missing in " ~ where) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {{ raise_raw_contract_problems(problems) }}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro raise_raw_contract_problems(problems) %}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "The raw data does not follow the raw contract (docs/raw_contract.md):\n  - "
            ~ problems | join("\n  - ")
            ~ "\nSet EMPATHY_RAW_DIR to the folder that holds one sub-folder of Parquet files per table."
        ) }}
    {%- endif -%}
{% endmacro %}
