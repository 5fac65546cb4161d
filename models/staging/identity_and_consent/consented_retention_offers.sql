{#- The published retention offers: the rows screened_retention_offers kept. Every model after staging reads
    this one, never the screen. -#}
with

screened as (

    select * from {{ ref('screened_retention_offers') }}

),

final as (

    select {{ star_exclude(['screened.row_fate', 'screened.set_aside_reason'], 'screened') }}
    from screened
    where screened.row_fate = 'kept'

)

select * from final
