{#- Values of one column of a seed, read when the model runs, so that SQL written with Jinja over the seed follows
    the seed (add a behaviour to `empathy_behaviors` and every pivot gains its column, no code edit).
    The calling model must also ref() the seed in an import CTE: that is what puts the seed before the model in
    the DAG. Looked up through the graph rather than ref(), so that a dbt unit test (whose ref() points at a
    fixture) still reads the project's seed. Before the seed exists (parsing, linting a fresh checkout) the list
    is `default`. -#}
{% macro seed_column_values(seed_name, column, order_by=none, default=[]) %}
    {%- if not execute -%}{{ return(default) }}{%- endif -%}
    {%- set nodes = graph.get('nodes', {}) if graph is mapping else graph.nodes -%}
    {%- set node = nodes.get('seed.' ~ project_name ~ '.' ~ seed_name) -%}
    {%- if node -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- else -%}
        {#- unit tests see no graph: the seeds' schema as dbt_project.yml configures it (+schema: reference) -#}
        {%- set relation = adapter.get_relation(database=target.database,
            schema=generate_schema_name('reference', none), identifier=seed_name) -%}
    {%- endif -%}
    {%- if relation is none -%}{{ return(default) }}{%- endif -%}
    {%- set result = run_query("select " ~ column ~ " from " ~ relation ~ " order by " ~ (order_by or column)) -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}

{#- The rubric's behaviour codes in display order (seed empathy_behaviors). -#}
{% macro rubric_behavior_codes() %}
    {{ return(seed_column_values('empathy_behaviors', 'behavior_code', 'display_order, behavior_code')) }}
{% endmacro %}
