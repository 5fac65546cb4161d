{#- The published subscription events: the rows screened_subscription_events kept. Every model after staging reads
    this one, never the screen. -#}
with

screened as (

    select * from {{ ref('screened_subscription_events') }}

),

final as (

    select {{ star_exclude(['screened.row_fate', 'screened.set_aside_reason'], 'screened') }}
    from screened
    where screened.row_fate = 'kept'

)

select * from final
