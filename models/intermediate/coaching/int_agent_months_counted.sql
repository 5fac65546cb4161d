{#- One row per agent, month and scorecard metric: the units the metric is a share of (interactions with the
    behaviour observed, answered pulses, save offers with an outcome) and how many were successes, plus the
    contacts, QA reviews and survey answers behind the agent's month. Weighted CSAT top-2 carries the sums of the
    pulse weights (sum w, sum w^2, sum w*y) for a Kish effective sample size. Months are calendar months of the
    contact's start (of the offer for saves); the team is the agent's current roster team. Counting happens here so
    the scorecard's Python model receives agent-month cells, not contacts. -#}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where agent_id is not null

),

pulse_weights as (

    select * from {{ ref('fct_csat_pulse_weights') }}

),

offers as (

    select * from {{ ref('mart_save_conversations') }}
    where agent_id is not null

),

agents as (

    select * from {{ ref('dim_agents') }}

),

contacts as (

    select
        outcomes.agent_id,
        date_trunc('month', outcomes.started_at)::date as month_start,
        outcomes.has_acknowledge,
        outcomes.has_name_emotion,
        outcomes.has_clarify_need,
        outcomes.has_offer_options,
        outcomes.has_close_loop,
        outcomes.is_acknowledged_within_30s,
        outcomes.is_empathetic_contact,
        outcomes.has_repeat_contact,
        outcomes.is_csat_top2,
        outcomes.qa_mean_score,
        pulse_weights.final_weight
    from outcomes
    left join pulse_weights
        on outcomes.interaction_key = pulse_weights.interaction_key

),

per_month as (

    select
        contacts.agent_id,
        contacts.month_start,
        count(*) as n_interactions,
        count(contacts.qa_mean_score) as n_reviews,
        count(contacts.is_csat_top2) as n_respondents,
        count(contacts.has_acknowledge) as n_behavior_observed,
        count(*) filter (where contacts.has_acknowledge) as n_acknowledge,
        count(*) filter (where contacts.has_name_emotion) as n_name_emotion,
        count(*) filter (where contacts.has_clarify_need) as n_clarify_need,
        count(*) filter (where contacts.has_offer_options) as n_offer_options,
        count(*) filter (where contacts.has_close_loop) as n_close_loop,
        count(contacts.is_acknowledged_within_30s) as n_timed,
        count(*) filter (where contacts.is_acknowledged_within_30s) as n_acknowledged_within_30s,
        count(contacts.is_empathetic_contact) as n_empathy_scored,
        count(*) filter (where contacts.is_empathetic_contact) as n_empathetic,
        count(contacts.has_repeat_contact) as n_repeat_observed,
        count(*) filter (where contacts.has_repeat_contact) as n_repeat,
        count(*) filter (where contacts.is_csat_top2) as n_csat_top2,
        count(contacts.final_weight) filter (where contacts.is_csat_top2 is not null) as n_weighted_respondents,
        count(contacts.final_weight) filter (where contacts.is_csat_top2) as n_weighted_csat_top2,
        -- weight sums in decimal: exact, so the same in any order a parallel scan adds them
        sum(contacts.final_weight::decimal(24, 10)) filter (
            where contacts.is_csat_top2 is not null
        )::double as sum_weight,
        sum((contacts.final_weight * contacts.final_weight)::decimal(30, 10)) filter (
            where contacts.is_csat_top2 is not null
        )::double as sum_weight_squared,
        sum(contacts.final_weight::decimal(24, 10)) filter (
            where contacts.is_csat_top2
        )::double as sum_weight_top2
    from contacts
    group by contacts.agent_id, contacts.month_start

),

saves_per_month as (

    select
        offers.agent_id,
        date_trunc('month', offers.offered_at)::date as month_start,
        count(offers.is_saved) as n_offers_with_outcome,
        count(*) filter (where offers.is_saved and not offers.is_concession) as n_saves_without_concession
    from offers
    group by offers.agent_id, date_trunc('month', offers.offered_at)::date

),

agent_months as (

    select
        per_month.agent_id,
        per_month.month_start
    from per_month
    union
    select
        saves_per_month.agent_id,
        saves_per_month.month_start
    from saves_per_month

),

joined as (

    select
        agent_months.agent_id,
        agent_months.month_start,
        agents.team,
        coalesce(per_month.n_interactions, 0) as n_interactions,
        coalesce(per_month.n_reviews, 0) as n_reviews,
        coalesce(per_month.n_respondents, 0) as n_respondents,
        per_month.n_behavior_observed,
        per_month.n_acknowledge,
        per_month.n_name_emotion,
        per_month.n_clarify_need,
        per_month.n_offer_options,
        per_month.n_close_loop,
        per_month.n_timed,
        per_month.n_acknowledged_within_30s,
        per_month.n_empathy_scored,
        per_month.n_empathetic,
        per_month.n_repeat_observed,
        per_month.n_repeat,
        per_month.n_csat_top2,
        per_month.n_weighted_respondents,
        per_month.n_weighted_csat_top2,
        per_month.sum_weight,
        per_month.sum_weight_squared,
        per_month.sum_weight_top2,
        saves_per_month.n_offers_with_outcome,
        saves_per_month.n_saves_without_concession
    from agent_months
    left join per_month
        on
            agent_months.agent_id = per_month.agent_id
            and agent_months.month_start = per_month.month_start
    left join saves_per_month
        on
            agent_months.agent_id = saves_per_month.agent_id
            and agent_months.month_start = saves_per_month.month_start
    left join agents
        on agent_months.agent_id = agents.agent_id

),

metrics as (

    {%- set metrics = [
        ('acknowledge_rate', 'interactions', 'n_behavior_observed', 'n_acknowledge'),
        ('name_emotion_rate', 'interactions', 'n_behavior_observed', 'n_name_emotion'),
        ('clarify_need_rate', 'interactions', 'n_behavior_observed', 'n_clarify_need'),
        ('offer_options_rate', 'interactions', 'n_behavior_observed', 'n_offer_options'),
        ('close_loop_rate', 'interactions', 'n_behavior_observed', 'n_close_loop'),
        ('acknowledged_within_30s_rate', 'interactions', 'n_timed', 'n_acknowledged_within_30s'),
        ('empathetic_contact_rate', 'interactions', 'n_empathy_scored', 'n_empathetic'),
        ('repeat_contact_rate', 'interactions', 'n_repeat_observed', 'n_repeat'),
        ('csat_top2_rate', 'respondents', 'n_respondents', 'n_csat_top2'),
        ('csat_top2_weighted_rate', 'weighted_respondents', 'n_weighted_respondents', 'n_weighted_csat_top2'),
        ('save_without_concession_rate', 'save_offers', 'n_offers_with_outcome', 'n_saves_without_concession'),
    ] %}
    {%- for name, unit, trials, successes in metrics %}
        select
            joined.agent_id,
            joined.team,
            joined.month_start,
            '{{ name }}' as metric,
            '{{ unit }}' as unit_counted,
            coalesce(joined.{{ trials }}, 0) as n_observations,
            coalesce(joined.{{ successes }}, 0) as n_successes,
            {%- if unit == 'weighted_respondents' %}
                joined.sum_weight,
                joined.sum_weight_squared,
                coalesce(joined.sum_weight_top2, 0) as sum_weight_successes,
            {%- else %}
                null::double as sum_weight,
                null::double as sum_weight_squared,
                null::double as sum_weight_successes,
            {%- endif %}
            joined.n_interactions,
            joined.n_reviews,
            joined.n_respondents
        from joined
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select * from metrics

)

select * from final
