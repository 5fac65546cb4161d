{#- The identity graph's SQL that differs by engine (docs/decisions.md D36). -#}

{#- Join each row of `relation` to the rows of `values` (a list of rows, each a list of SQL expressions over the
    row) as a lateral table `alias` with `columns`. -#}
{% macro lateral_rows(relation, values, alias, columns) -%}
    {{- return(adapter.dispatch('lateral_rows', 'empathy_warehouse')(relation, values, alias, columns)) -}}
{%- endmacro %}

{% macro default__lateral_rows(relation, values, alias, columns) -%}
    cross join
        lateral (
            values
            {%- for row in values %}
            ({{ row | join(', ') }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as {{ alias }} ({{ columns | join(', ') }})
{%- endmacro %}

{#- Spark: a VALUES list cannot read the outer row; a lateral union of one-row selects can. -#}
{% macro spark__lateral_rows(relation, values, alias, columns) -%}
    cross join
        lateral (
            {%- for row in values %}
            select {% for expression in row %}{{ expression }} as {{ columns[loop.index0] }}{{ ', ' if not loop.last }}{% endfor %}
            {{- ' union all' if not loop.last }}
            {%- endfor %}
        ) as {{ alias }}
{%- endmacro %}

{#- Every node of `nodes` (column `node`) with the smallest node of its connected component in the undirected
    graph `edges` (node_from, node_to, both directions listed), as (node, customer_id). -#}
{% macro component_roots(nodes, edges) -%}
    {{- return(adapter.dispatch('component_roots', 'empathy_warehouse')(nodes, edges)) -}}
{%- endmacro %}

{#- DuckDB: a recursive walk; every node reaches itself and, edge by edge, the rest of its component; UNION stops at
    the closure. -#}
{% macro default__component_roots(nodes, edges) -%}
    with recursive walk (node, reached) as (
        select
            {{ nodes }}.node,
            {{ nodes }}.node as reached
        from {{ nodes }}
        union
        select
            walk.node,
            {{ edges }}.node_to as reached
        from walk
        inner join {{ edges }} on walk.reached = {{ edges }}.node_from
    )

    select
        walk.node,
        min(walk.reached) as customer_id
    from walk
    group by walk.node
{%- endmacro %}

{#- Spark: recursive CTEs take only UNION ALL, which never stops on a cycle. Instead, minimum-label propagation in
    var identity_resolution_passes passes: each pass gives a node the smallest label in its closed neighbourhood, so
    after k passes a node holds the smallest node within k edges, its component's smallest node once k reaches the
    component's diameter. One more pass checks that nothing changes any more, and the model fails (raise_error)
    when something does: raise the var rather than get a customer split in two. -#}
{% macro spark__component_roots(nodes, edges) -%}
    {%- set passes = var('identity_resolution_passes', 16) | int -%}
    with

    hops as (
        select {{ edges }}.node_from, {{ edges }}.node_to from {{ edges }}
        union all
        select {{ nodes }}.node as node_from, {{ nodes }}.node as node_to from {{ nodes }}
    ),

    pass_0 as (
        select {{ nodes }}.node, {{ nodes }}.node as label from {{ nodes }}
    ),
    {%- for k in range(1, passes + 2) %}

    pass_{{ k }} as (
        select hops.node_to as node, min(previous.label) as label
        from pass_{{ k - 1 }} as previous
        inner join hops on previous.node = hops.node_from
        group by hops.node_to
    ),
    {%- endfor %}

    checked as (
        select
            final_pass.node,
            case
                when final_pass.label = check_pass.label then final_pass.label
                else raise_error('identity resolution did not converge in {{ passes }} passes: raise var identity_resolution_passes')
            end as customer_id
        from pass_{{ passes }} as final_pass
        inner join pass_{{ passes + 1 }} as check_pass on final_pass.node = check_pass.node
    )

    select checked.node, checked.customer_id from checked
{%- endmacro %}
