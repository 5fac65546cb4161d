{#- The behaviour grain is complete: every consenting interaction has exactly one row per rubric behaviour. -#}
with

behaviors as (

    select count(*) as behaviors_count from {{ ref('empathy_behaviors') }}

),

interactions as (

    select interactions.interaction_key from {{ ref('fct_interactions') }} as interactions

),

observed as (

    select
        observed.interaction_key,
        count(*) as rows_count
    from {{ ref('fct_interaction_behaviors') }} as observed
    group by observed.interaction_key

)

select
    interactions.interaction_key,
    coalesce(observed.rows_count, 0) as rows_count,
    behaviors.behaviors_count
from interactions
cross join behaviors
left join observed
    on interactions.interaction_key = observed.interaction_key
where coalesce(observed.rows_count, 0) != behaviors.behaviors_count
