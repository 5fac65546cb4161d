{#- quarantine_shares on Spark: the same rows; the five most frequent values are ranked with a window and joined
    in that order (Spark's aggregates take no ORDER BY). -#}
{% macro spark__quarantine_shares(relation, table_name, max_share) -%}
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

    ranked as (

        select
            by_value.*,
            row_number() over (
                partition by by_value.quarantine_reason order by by_value.n_rows desc, by_value.quarantine_value
            ) as value_rank
        from by_value

    ),

    by_reason as (

        select
            ranked.quarantine_reason,
            cast(sum(ranked.n_rows) as bigint) as n_rows,
            listagg(
                case when ranked.value_rank <= 5 then '\'' || ranked.quarantine_value || '\' (' || ranked.n_rows || ')' end,
                ', '
            ) within group (order by ranked.value_rank) as most_frequent_values
        from ranked
        group by ranked.quarantine_reason

    )

    select
        '{{ table_name }}' as table_name,
        by_reason.quarantine_reason,
        by_reason.n_rows,
        delivered.n_delivered,
        by_reason.n_rows / delivered.n_delivered as share_of_delivered,
        by_reason.most_frequent_values
    from by_reason
    cross join delivered
    where by_reason.n_rows > {{ max_share }} * delivered.n_delivered
{%- endmacro %}
