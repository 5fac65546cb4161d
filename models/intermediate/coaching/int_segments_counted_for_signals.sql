{#- One row per segment (tough-moment category, contact reason or product) and outcome (CSAT top-2 among answered
    pulses, voluntary churn within 90 days): among the segment's contacts with full empathy (at least var
    coaching.signals_full_behaviors of the five behaviours), the contacts, those with the outcome observed and the
    successes; and the customers the segment's contacts touch with their current recurring revenue. Feeds
    mart_product_policy_signals. -#}
{%- set settings = var('coaching') -%}
{%- set dimensions = ['tough_moment_category', 'contact_reason', 'product'] -%}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where behaviors_count is not null

),

churn_windows as (

    select * from {{ ref('mart_interaction_churn_windows') }}
    where churn_window_days = 90

),

customers as (

    select * from {{ ref('dim_customers') }}

),

contacts as (

    select
        outcomes.interaction_key,
        outcomes.customer_key,
        {%- for dimension in dimensions %}
            outcomes.{{ dimension }},
        {%- endfor %}
        outcomes.behaviors_count >= {{ settings['signals_full_behaviors'] | int }} as is_full_empathy,
        outcomes.is_csat_top2::integer as csat_top2,
        churn_windows.is_voluntarily_churned::integer as churned
    from outcomes
    left join churn_windows
        on outcomes.interaction_key = churn_windows.interaction_key

),

segmented as (

    {%- for dimension in dimensions %}
        select
            '{{ dimension }}' as dimension,
            contacts.{{ dimension }} as segment_value,
            contacts.*
        from contacts
        where contacts.{{ dimension }} is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

long as (

    select
        segmented.dimension,
        segmented.segment_value,
        segmented.customer_key,
        segmented.is_full_empathy,
        'csat_top2' as outcome,
        segmented.csat_top2 as outcome_value
    from segmented
    union all
    select
        segmented.dimension,
        segmented.segment_value,
        segmented.customer_key,
        segmented.is_full_empathy,
        'voluntary_churn_90d' as outcome,
        segmented.churned as outcome_value
    from segmented

),

affected as (

    select
        segment_customers.dimension,
        segment_customers.segment_value,
        count(*) as n_customers_affected,
        sum(coalesce(customers.current_mrr, 0)::decimal(18, 4))::double as mrr_affected
    from (
        select distinct
            segmented.dimension,
            segmented.segment_value,
            segmented.customer_key
        from segmented
    ) as segment_customers
    left join customers
        on segment_customers.customer_key = customers.customer_key
    group by segment_customers.dimension, segment_customers.segment_value

),

per_segment as (

    select
        long.dimension,
        long.segment_value,
        long.outcome,
        count(*) filter (where long.is_full_empathy) as n_interactions,
        count(long.outcome_value) filter (where long.is_full_empathy) as n_observations,
        coalesce(sum(long.outcome_value) filter (where long.is_full_empathy), 0) as n_successes
    from long
    group by long.dimension, long.segment_value, long.outcome

),

final as (

    select
        per_segment.dimension,
        per_segment.segment_value,
        per_segment.outcome,
        per_segment.n_interactions,
        per_segment.n_observations,
        per_segment.n_successes::bigint as n_successes,
        affected.n_customers_affected,
        affected.mrr_affected
    from per_segment
    inner join affected
        on
            per_segment.dimension = affected.dimension
            and per_segment.segment_value = affected.segment_value

)

select * from final
