{#- One row per raw table: rows delivered (counted straight from the source) beside kept + superseded +
    excluded for consent + quarantined. `is_balanced` must be true for every table; a test enforces it. -#}
with

delivered as (

    select * from {{ ref('stg_build__delivered_rows') }}

),

accounting as (

    select * from {{ ref('audit_row_accounting') }}

),

pivoted as (

    select
        accounting.table_name,
        cast(coalesce(sum(accounting.row_count) filter (where accounting.row_fate = 'kept'), 0) as bigint) as kept_rows,
        cast(coalesce(sum(accounting.row_count) filter (where accounting.row_fate = 'superseded'), 0) as bigint)
            as superseded_rows,
        cast(
            coalesce(sum(accounting.row_count) filter (where accounting.row_fate = 'excluded_for_consent'), 0) as bigint
        )
            as excluded_for_consent_rows,
        cast(coalesce(sum(accounting.row_count) filter (where accounting.row_fate = 'quarantined'), 0) as bigint)
            as quarantined_rows
    from accounting
    group by accounting.table_name

),

final as (

    select
        delivered.table_name,
        delivered.source_name,
        delivered.delivered_rows,
        coalesce(pivoted.kept_rows, 0) as kept_rows,
        coalesce(pivoted.superseded_rows, 0) as superseded_rows,
        coalesce(pivoted.excluded_for_consent_rows, 0) as excluded_for_consent_rows,
        coalesce(pivoted.quarantined_rows, 0) as quarantined_rows,
        coalesce(
            pivoted.kept_rows + pivoted.superseded_rows + pivoted.excluded_for_consent_rows
            + pivoted.quarantined_rows, 0
        ) as accounted_rows,
        delivered.delivered_rows = coalesce(
            pivoted.kept_rows + pivoted.superseded_rows
            + pivoted.excluded_for_consent_rows + pivoted.quarantined_rows, 0
        ) as is_balanced
    from delivered
    left join pivoted
        on delivered.table_name = pivoted.table_name

)

select * from final
