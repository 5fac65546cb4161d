{#- What became of every delivered row, per raw table, fate and reason (raw contract, "Accounting for every
    row"), and the staging step that decided it: superseded and quarantined rows counted in the source-conformed
    stg_ models; kept, excluded-for-consent and orphaned (quarantined) rows counted in the screened_ models of the
    identity-and-consent step (tables without one: kept rows counted in the stg_ model). Counts only: no row, key or
    identity leaves staging through here. -#}
with

counted as (

    {% for raw in raw_tables() %}
        select
            '{{ raw.table }}' as table_name,
            'source_conformed' as decided_in_step,
            conformed.row_fate,
            conformed.quarantine_reason as reason,
            count(*) as row_count
        from {{ ref('stg_' ~ raw.source ~ '__' ~ raw.table) }} as conformed
        {% if raw.screened %}where conformed.row_fate != 'kept'{% endif %}
        group by all

        {% if raw.screened %}
            union all

            select
                '{{ raw.table }}' as table_name,
                'identity_and_consent' as decided_in_step,
                screened.row_fate,
                screened.set_aside_reason as reason,
                count(*) as row_count
            from {{ ref('screened_' ~ raw.table) }} as screened
            group by all
        {% endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        counted.table_name,
        counted.decided_in_step,
        counted.row_fate,
        counted.reason,
        counted.row_count
    from counted

)

select * from final
