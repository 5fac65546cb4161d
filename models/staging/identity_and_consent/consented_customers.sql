{#- The published customers: the rows screened_customers kept. Every model after staging reads
    this one, never the screen. -#}
with

screened as (

    select * from {{ ref('screened_customers') }}

),

final as (

    select screened.* exclude (screened.row_fate, screened.set_aside_reason)
    from screened
    where screened.row_fate = 'kept'

)

select * from final
