{#- DuckDB's buffer limit for this build, from EMPATHY_DUCKDB_MEMORY_LIMIT (e.g. 10GB); unset: DuckDB's own default
    (80% of the machine). The dbt Python models' pandas frames live outside that buffer, so on a machine the data
    nearly fills, a limit well below its memory leaves them room (docs/decisions.md D40). A run-start hook: the
    setting is global to the DuckDB database, so every thread and Python model of the build has it. -#}
{% macro apply_duckdb_memory_limit() %}
    {%- set limit = env_var('EMPATHY_DUCKDB_MEMORY_LIMIT', '') | trim -%}
    {%- if limit and target.type == 'duckdb' -%}
        {%- if not modules.re.fullmatch('[0-9]+(\\.[0-9]+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)', limit) -%}
            {{ exceptions.raise_compiler_error(
                "EMPATHY_DUCKDB_MEMORY_LIMIT must be an amount such as 10GB or 8GiB, got '" ~ limit ~ "'") }}
        {%- endif -%}
        set memory_limit = '{{ limit }}'
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}
