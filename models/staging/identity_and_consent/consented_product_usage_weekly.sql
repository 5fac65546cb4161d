{#- The published product usage weekly: the rows screened_product_usage_weekly kept. Every model after staging reads
    this one, never the screen. -#}
with

screened as (

    select * from {{ ref('screened_product_usage_weekly') }}

),

final as (

    select screened.* exclude (screened.row_fate, screened.set_aside_reason)
    from screened
    where screened.row_fate = 'kept'

)

select * from final
