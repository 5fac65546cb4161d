{#- The published interactions: the rows screened_interactions kept. Every model after staging reads
    this one, never the screen. -#}
with

screened as (

    select * from {{ ref('screened_interactions') }}

),

final as (

    select {{ star_exclude(['screened.row_fate', 'screened.set_aside_reason'], 'screened') }}
    from screened
    where screened.row_fate = 'kept'

)

select * from final
