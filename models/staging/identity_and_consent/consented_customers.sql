{#- The published customers: the rows screened_customers kept. Every model after staging reads
    this one, never the screen. -#}
with

screened as (

    select * from {{ ref('screened_customers') }}

),

final as (

    select {{ star_exclude(['screened.row_fate', 'screened.set_aside_reason'], 'screened') }}
    from screened
    where screened.row_fate = 'kept'

)

select * from final
