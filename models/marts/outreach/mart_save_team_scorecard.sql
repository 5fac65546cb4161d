{#- One row per team: what its save conversations achieved and at what price (D29). Rewards saves without
    concessions: saves_without_concession and money_conceded_per_save beside the save rate, and the recognition-
    worthy wins (saved, nothing conceded, all three closure behaviours shown). The save rate carries a Wilson 95%
    interval; a team with fewer offers with an observed save outcome than var save_conversations.min_offers_per_team
    is marked, not ranked. Teams are the handling agent's current team. -#}
{%- set settings = var('save_conversations') -%}
with

offers as (

    select * from {{ ref('mart_save_conversations') }}

),

per_team as (

    select
        coalesce(offers.team, 'unknown') as team,
        count(*) as n_offers,
        count(offers.is_saved) as n_offers_with_outcome,
        count(*) filter (where offers.is_saved) as n_saves,
        count(*) filter (where offers.is_saved and not offers.is_concession) as n_saves_without_concession,
        count(*) filter (where offers.is_recognition_worthy_save) as n_recognition_worthy_saves,
        count(*) filter (where offers.is_concession) as n_concessions,
        -- money sums in decimal: exact, so the same in any order a parallel scan adds them
        cast(sum(cast(offers.offer_amount as decimal(18, 4))) filter (where offers.is_saved is not null) as double)
            as money_conceded_with_outcome,
        cast(sum(cast(offers.offer_amount as decimal(18, 4))) as double) as money_conceded,
        count(offers.closure_behaviors_count) as n_offers_closure_observed,
        count(*) filter (where offers.closure_behaviors_count = 3) as n_offers_full_closure,
        count(offers.has_callback) as n_offers_callback_observed,
        count(*) filter (where offers.has_callback) as n_callbacks
    from offers
    group by coalesce(offers.team, 'unknown')

),

rates as (

    select
        per_team.*,
        per_team.n_saves / nullif(per_team.n_offers_with_outcome, 0) as save_rate,
        1.959963984540054 as z
    from per_team

),

wilson_raw as (

    select
        rates.team,
        (
            rates.save_rate + rates.z * rates.z / (2 * rates.n_offers_with_outcome)
            - rates.z * sqrt(
                rates.save_rate * (1 - rates.save_rate) / rates.n_offers_with_outcome
                + rates.z * rates.z / (4 * rates.n_offers_with_outcome * rates.n_offers_with_outcome)
            )
        ) / (1 + rates.z * rates.z / rates.n_offers_with_outcome) as lower_bound,
        (
            rates.save_rate + rates.z * rates.z / (2 * rates.n_offers_with_outcome)
            + rates.z * sqrt(
                rates.save_rate * (1 - rates.save_rate) / rates.n_offers_with_outcome
                + rates.z * rates.z / (4 * rates.n_offers_with_outcome * rates.n_offers_with_outcome)
            )
        ) / (1 + rates.z * rates.z / rates.n_offers_with_outcome) as upper_bound
    from rates

),

wilson as (

    -- the bounds lie in [0, 1]; a rate of 0 or 1 puts one of them a rounding error outside
    select
        wilson_raw.team,
        case when wilson_raw.lower_bound < 0 then 0.0 else wilson_raw.lower_bound end as save_rate_ci_lower,
        case when wilson_raw.upper_bound > 1 then 1.0 else wilson_raw.upper_bound end as save_rate_ci_upper
    from wilson_raw

),

final as (

    select
        rates.team,
        rates.n_offers,
        rates.n_offers_with_outcome,
        rates.n_saves,
        rates.save_rate,
        wilson.save_rate_ci_lower,
        wilson.save_rate_ci_upper,
        rates.n_saves_without_concession,
        rates.n_saves_without_concession / nullif(rates.n_saves, 0) as saves_without_concession_share,
        rates.n_recognition_worthy_saves,
        rates.n_concessions,
        rates.money_conceded,
        rates.money_conceded_with_outcome / nullif(rates.n_saves, 0) as money_conceded_per_save,
        rates.n_offers_full_closure / nullif(rates.n_offers_closure_observed, 0) as full_closure_share,
        rates.n_callbacks / nullif(rates.n_offers_callback_observed, 0) as callback_rate,
        case
            when rates.n_offers_with_outcome < {{ settings['min_offers_per_team'] }} then 'too_few_offers'
            else 'ok'
        end as status
    from rates
    inner join wilson
        on rates.team = wilson.team

)

select * from final
