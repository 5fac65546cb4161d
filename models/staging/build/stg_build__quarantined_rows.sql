{#- The quarantine: every delivered row that cannot be used, with its table, natural key and reason. The full
    rows stay in the base models (filter `row_fate = 'quarantined'`); this model lists them in one place. It
    stays in staging because quarantined rows may belong to customers who revoked consent. -#}
with

final as (

    {% for raw in raw_tables() %}
        select
            '{{ raw.table }}' as table_name,
            {{ record_key('quarantined', raw.key) }} as record_key,
            quarantined.quarantine_reason,
            quarantined.quarantine_value,
            quarantined._loaded_at
        from {{ ref('base_' ~ raw.source ~ '__' ~ raw.table) }} as quarantined
        where quarantined.row_fate = 'quarantined'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
