{#- The quarantine: every delivered row that cannot be used, with its table, natural key, reason and the step that
    set it aside: `source_conformed` (the row itself is broken: its stg_ model) or `identity_and_consent` (its parent
    record is unknown or was itself set aside: its screened_ model). The full rows stay in those models. It stays in
    staging because quarantined rows may belong to customers who revoked consent. -#}
with

final as (

    {% for raw in raw_tables() %}
        select
            '{{ raw.table }}' as table_name,
            'source_conformed' as quarantined_in_step,
            {{ record_key('quarantined', raw.key) }} as record_key,
            quarantined.quarantine_reason,
            quarantined.quarantine_value,
            quarantined._loaded_at
        from {{ ref('stg_' ~ raw.source ~ '__' ~ raw.table) }} as quarantined
        where quarantined.row_fate = 'quarantined'
        {% if raw.screened %}
            union all

            select
                '{{ raw.table }}' as table_name,
                'identity_and_consent' as quarantined_in_step,
                {{ record_key('orphaned', raw.key) }} as record_key,
                orphaned.set_aside_reason as quarantine_reason,
                cast(null as {{ varchar_type() }}) as quarantine_value,
                orphaned._loaded_at
            from {{ ref('screened_' ~ raw.table) }} as orphaned
            where orphaned.row_fate = 'quarantined'
        {% endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
