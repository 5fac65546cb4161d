{#- Quarantine shares of one source-conformed stg_ model (every delivered row of one raw table, with its fate): per quarantine reason
    that holds more than `max_share` of the delivered rows, the count, the share and the most frequent offending
    raw values (`quarantine_value`, e.g. the label that did not map). The one query behind the warn-severity test
    quarantine_share_within_limit and the end-of-build report. -#}
{% macro quarantine_shares(relation, table_name, max_share) -%}
    {{- return(adapter.dispatch('quarantine_shares', 'empathy_warehouse')(relation, table_name, max_share)) -}}
{%- endmacro %}

{% macro default__quarantine_shares(relation, table_name, max_share) -%}
    with

    base_rows as (

        select * from {{ relation }}

    ),

    delivered as (

        select count(*) as n_delivered from base_rows

    ),

    by_value as (

        select
            base_rows.quarantine_reason,
            coalesce(base_rows.quarantine_value, '<no value>') as quarantine_value,
            count(*) as n_rows
        from base_rows
        where base_rows.row_fate = 'quarantined'
        group by base_rows.quarantine_reason, coalesce(base_rows.quarantine_value, '<no value>')

    ),

    by_reason as (

        select
            by_value.quarantine_reason,
            sum(by_value.n_rows)::bigint as n_rows,
            list(
                '''' || by_value.quarantine_value || ''' (' || by_value.n_rows || ')'
                order by by_value.n_rows desc, by_value.quarantine_value
            ) as offending_values
        from by_value
        group by by_value.quarantine_reason

    )

    select
        '{{ table_name }}' as table_name,
        by_reason.quarantine_reason,
        by_reason.n_rows,
        delivered.n_delivered,
        by_reason.n_rows / delivered.n_delivered as share_of_delivered,
        array_to_string(list_slice(by_reason.offending_values, 1, 5), ', ') as most_frequent_values
    from by_reason
    cross join delivered
    where by_reason.n_rows > {{ max_share }} * delivered.n_delivered
{%- endmacro %}

{#- Warn when one quarantine reason holds more than var('quarantine_share_warn_above') of a table's delivered rows:
    a mapping or a contract problem, not a few bad rows. Applied to every stg_ model. -#}
{% test quarantine_share_within_limit(model, table_name, max_share=none) %}
    {{ config(severity='warn') }}
    {{ quarantine_shares(model, table_name, max_share if max_share is not none else var('quarantine_share_warn_above')) }}
{% endtest %}

{#- on-run-end: say in the build log which tables have a quarantine reason above the share, with the values. -#}
{% macro report_quarantine_shares() %}
    {%- if execute and flags.WHICH in ['build', 'run'] -%}
        {%- for raw in raw_tables() -%}
            {%- set node = graph.nodes.get('model.' ~ project_name ~ '.stg_' ~ raw.source ~ '__' ~ raw.table) -%}
            {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)
                if node else none -%}
            {%- if relation -%}
                {%- set found = run_query(quarantine_shares(relation, raw.table, var('quarantine_share_warn_above'))) -%}
                {%- for row in found.rows -%}
                    {{ log("WARNING quarantine: table '" ~ row['table_name'] ~ "': reason '" ~ row['quarantine_reason']
                        ~ "' holds " ~ row['n_rows'] ~ " of " ~ row['n_delivered'] ~ " delivered rows ("
                        ~ '%.1f' | format(100 * row['share_of_delivered']) ~ "%, above "
                        ~ '%.1f' | format(100 * var('quarantine_share_warn_above')) ~ "%); most frequent raw values: "
                        ~ row['most_frequent_values'], info=true) }}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}
