{#- What became of every delivered row, per raw table, fate and reason (raw contract, "Accounting for every
    row"): superseded and quarantined rows counted in the base models, kept and consent-excluded rows counted in
    the staging models. Counts only: no row, key or identity leaves staging through here. -#}
with

counted as (

    {% for raw in raw_tables() %}
        select
            '{{ raw.table }}' as table_name,
            base.row_fate,
            base.quarantine_reason as reason,
            count(*) as row_count
        from {{ ref('base_' ~ raw.source ~ '__' ~ raw.table) }} as base
        where base.row_fate != 'kept'
        group by all

        union all

        select
            '{{ raw.table }}' as table_name,
            case when staged.consent_exclusion_reason is null then 'kept' else 'excluded_for_consent' end as row_fate,
            staged.consent_exclusion_reason as reason,
            count(*) as row_count
        from {{ ref('stg_' ~ raw.source ~ '__' ~ raw.table) }} as staged
        group by all
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        counted.table_name,
        counted.row_fate,
        counted.reason,
        counted.row_count
    from counted

)

select * from final
