with

kept as (

    select * from {{ ref('base_experiments__experiment_assignments') }}
    where row_fate = 'kept'

),

final as (

    select
        kept.* exclude (kept.row_fate, kept.quarantine_reason),
        cast(null as varchar) as consent_exclusion_reason
    from kept

)

select * from final
