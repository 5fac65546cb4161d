{#- Service recovery: one row per low score (a relationship NPS detractor, or a CSAT pulse in the bottom box of the
    survey_items seed) with what followed it: the customer's first contact started within the follow-up window
    after the answer (var service_recovery.follow_up_window_days) and whether it was an empathetic contact, and the
    customer's next relationship NPS answer after the low score, its category and the days to it. -#}
{%- set recovery = var('service_recovery') -%}
with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

answers as (

    select * from {{ ref('int_survey_answers_joined_to_contacts') }}

),

items as (

    select * from {{ ref('survey_items') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

scored as (

    select * from {{ ref('int_interactions_scored') }}

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}

),

csat_bottom_box as (

    select items.bottom_box_max
    from items
    where items.item_code = 'csat'

),

low_scores as (

    select
        answers.invitation_id,
        answers.survey_type,
        answers.customer_key,
        answers.interaction_key,
        answers.responded_at,
        case when answers.survey_type = 'relationship_nps' then 'nps_detractor' else 'csat_bottom_box' end
            as low_score_kind,
        coalesce(answers.nps, answers.csat) as prior_score,
        answers.had_tough_moment
    from answers
    cross join csat_bottom_box
    where
        answers.responded_at is not null
        and (
            answers.nps_category = 'detractor'
            or (answers.survey_type = 'csat_pulse' and answers.csat <= csat_bottom_box.bottom_box_max)
        )

),

contacts as (

    select
        interactions.interaction_key,
        interactions.customer_key,
        interactions.started_at,
        scored.behaviors_count,
        scored.is_empathetic_contact
    from interactions
    left join scored
        on interactions.interaction_key = scored.interaction_key
    where interactions.customer_key is not null

),

follow_ups_ranked as (

    select
        low_scores.invitation_id,
        contacts.interaction_key as follow_up_interaction_key,
        contacts.started_at as follow_up_started_at,
        contacts.behaviors_count as follow_up_behaviors_count,
        contacts.is_empathetic_contact as is_follow_up_empathetic,
        row_number() over (
            partition by low_scores.invitation_id order by contacts.started_at, contacts.interaction_key
        ) as follow_up_order
    from low_scores
    inner join contacts
        on
            low_scores.customer_key = contacts.customer_key
            and low_scores.responded_at < contacts.started_at
            and low_scores.responded_at + to_days({{ recovery['follow_up_window_days'] }}) >= contacts.started_at

),

first_follow_ups as (

    select follow_ups_ranked.* from follow_ups_ranked
    where follow_ups_ranked.follow_up_order = 1

),

later_nps_ranked as (

    select
        low_scores.invitation_id,
        answers.invitation_id as next_nps_invitation_id,
        answers.nps as next_nps,
        answers.nps_category as next_nps_category,
        answers.responded_at as next_nps_responded_at,
        row_number() over (
            partition by low_scores.invitation_id order by answers.responded_at, answers.invitation_id
        ) as answer_order
    from low_scores
    inner join answers
        on
            low_scores.customer_key = answers.customer_key
            and answers.survey_type = 'relationship_nps'
            and answers.nps_category is not null
            and low_scores.responded_at < answers.responded_at

),

next_nps as (

    select later_nps_ranked.* from later_nps_ranked
    where later_nps_ranked.answer_order = 1

),

first_recoveries as (

    -- the first later NPS answer that is not a detractor's (the next answer may still be one)
    select
        later_nps_ranked.invitation_id,
        min(later_nps_ranked.next_nps_responded_at) as recovered_at
    from later_nps_ranked
    where later_nps_ranked.next_nps_category != 'detractor'
    group by later_nps_ranked.invitation_id

),

final as (

    select
        low_scores.invitation_id,
        low_scores.survey_type,
        low_scores.low_score_kind,
        low_scores.customer_key,
        low_scores.interaction_key,
        low_scores.responded_at,
        low_scores.prior_score,
        low_scores.had_tough_moment,
        first_follow_ups.follow_up_interaction_key,
        first_follow_ups.follow_up_started_at,
        date_diff('second', low_scores.responded_at, first_follow_ups.follow_up_started_at) / 86400.0
            as days_to_follow_up,
        first_follow_ups.follow_up_behaviors_count,
        case
            when first_follow_ups.follow_up_interaction_key is null then 'no_follow_up'
            when first_follow_ups.is_follow_up_empathetic then 'empathetic_follow_up'
            when first_follow_ups.is_follow_up_empathetic = false then 'other_follow_up'
            else 'follow_up_not_observed'
        end as follow_up_group,
        next_nps.next_nps_invitation_id,
        next_nps.next_nps,
        coalesce(next_nps.next_nps_category, 'no_later_answer') as next_nps_category,
        date_diff('second', low_scores.responded_at, next_nps.next_nps_responded_at) / 86400.0 as days_to_next_nps,
        first_recoveries.recovered_at is not null as is_recovered,
        -- days to the first later answer that is not a detractor's, else censored at churn or the as-of date
        date_diff(
            'second',
            low_scores.responded_at,
            coalesce(
                first_recoveries.recovered_at,
                least(coalesce(customers.churned_at, {{ as_of('build_as_of') }}), {{ as_of('build_as_of') }})
            )
        ) / 86400.0 as days_to_recovery_or_censoring
    from low_scores
    cross join build_as_of
    left join customers
        on low_scores.customer_key = customers.customer_key
    left join first_follow_ups
        on low_scores.invitation_id = first_follow_ups.invitation_id
    left join next_nps
        on low_scores.invitation_id = next_nps.invitation_id
    left join first_recoveries
        on low_scores.invitation_id = first_recoveries.invitation_id

)

select * from final
