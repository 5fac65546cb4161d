{#- The published qa reviews: the rows screened_qa_reviews kept. Every model after staging reads
    this one, never the screen. -#}
with

screened as (

    select * from {{ ref('screened_qa_reviews') }}

),

final as (

    select {{ star_exclude(['screened.row_fate', 'screened.set_aside_reason'], 'screened') }}
    from screened
    where screened.row_fate = 'kept'

)

select * from final
