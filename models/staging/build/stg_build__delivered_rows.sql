{#- Rows delivered per raw table, counted straight from the sources, independently of the staging models, so
    the row accounting can prove that staging neither loses nor multiplies rows. -#}
with

final as (

    {% for raw in raw_tables() %}
        select
            '{{ raw.table }}' as table_name,
            '{{ raw.source }}' as source_name,
            count(*) as delivered_rows
        from {{ source(raw.source, raw.table) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
