{#- The published agents: the rows stg_hr__agents kept. They belong to no customer, so no
    consent applies and nothing else is screened; published here so that every model after staging reads
    consented_ models. -#}
with

delivered as (

    select * from {{ ref('stg_hr__agents') }}

),

final as (

    select {{ star_exclude(
        ['delivered.row_fate', 'delivered.quarantine_reason', 'delivered.quarantine_value'], 'delivered'
    ) }}
    from delivered
    where delivered.row_fate = 'kept'

)

select * from final
