{#- The published experiment assignments: the rows stg_experiments__experiment_assignments kept. They
    belong to no customer, so no consent applies and nothing else is screened; published here so that every
    model after staging reads consented_ models. -#}
with

delivered as (

    select * from {{ ref('stg_experiments__experiment_assignments') }}

),

final as (

    select {{ star_exclude(
        ['delivered.row_fate', 'delivered.quarantine_reason', 'delivered.quarantine_value'], 'delivered'
    ) }}
    from delivered
    where delivered.row_fate = 'kept'

)

select * from final
