{#- One row per retention offer: the save conversation it was made in, the agent and team who made it, the
    closure sub-behaviours the agent showed in that conversation (summarised the concern, confirmed next steps,
    closed the emotional loop: seed empathy_closure_behaviors, each detected by its own patterns), the customer's
    context at the offer, and what followed: saved (no voluntary churn within the window), a callback within days,
    renewal at the next renewal date (D29). An outcome whose window has not closed by the as-of date is null, with
    the reason in its status column; closure is null where the conversation's transcript may not be used. -#}
{%- set settings = var('save_conversations') -%}
with

build_as_of as (

    select * from {{ ref('stg_build__as_of') }}

),

offers as (

    select * from {{ ref('consented_retention_offers') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

phrases as (

    select * from {{ ref('int_transcript_phrases_matched') }}

),

behaviors as (

    select * from {{ ref('int_interaction_behaviors_observed') }}

),

closure_behaviors as (

    select * from {{ ref('empathy_closure_behaviors') }}

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}

),

agents as (

    select * from {{ ref('consented_agents') }}

),

subscription_events as (

    select * from {{ ref('consented_subscription_events') }}

),

closure_evidence as (

    select
        phrases.interaction_key,
        phrases.sub_behavior_code
    from phrases
    inner join closure_behaviors
        on phrases.sub_behavior_code = closure_behaviors.sub_behavior_code
    group by phrases.interaction_key, phrases.sub_behavior_code

),

conversation_closure as (

    select
        offers.offer_id,
        coalesce(bool_or(behaviors.is_transcript_usable), false) as is_transcript_usable,
        coalesce(bool_or(closure_evidence.sub_behavior_code = 'summarise_concern'), false) as has_summary_phrase,
        coalesce(bool_or(closure_evidence.sub_behavior_code = 'confirm_next_steps'), false) as has_next_steps_phrase,
        coalesce(bool_or(closure_evidence.sub_behavior_code = 'close_emotional_loop'), false)
            as has_emotional_loop_phrase
    from offers
    left join behaviors
        on offers.interaction_key = behaviors.interaction_key and behaviors.behavior_code = 'close_loop'
    left join closure_evidence
        on offers.interaction_key = closure_evidence.interaction_key
    group by offers.offer_id

),

callbacks as (

    select
        offers.offer_id,
        count(later.interaction_key) as n_later_contacts
    from offers
    inner join interactions as conversation
        on offers.interaction_key = conversation.interaction_key
    inner join interactions as later
        on
            conversation.customer_key = later.customer_key
            and conversation.started_at < later.started_at
            and later.started_at <= conversation.started_at + to_days({{ settings['callback_window_days'] }})
            and conversation.interaction_key != later.interaction_key
    group by offers.offer_id

),

billing_events as (

    select
        subscription_events.customer_key,
        subscription_events.event_type,
        subscription_events.event_at,
        date_diff(
            'day',
            lag(subscription_events.event_at) over (
                partition by subscription_events.customer_key
                order by subscription_events.event_at, subscription_events.event_id
            ),
            subscription_events.event_at
        ) as days_since_previous_billing_event
    from subscription_events
    where subscription_events.event_type in ('started', 'renewed') and subscription_events.customer_key is not null

),

billing_cycles as (

    select
        billing_events.customer_key,
        median(billing_events.days_since_previous_billing_event) as billing_cycle_days
    from billing_events
    where billing_events.days_since_previous_billing_event > 0
    group by billing_events.customer_key

),

billing_anchors as (

    select
        offers.offer_id,
        max(billing_events.event_at) as last_billing_event_at
    from offers
    inner join billing_events
        on offers.customer_key = billing_events.customer_key and offers.offered_at >= billing_events.event_at
    group by offers.offer_id

),

offer_billing as (

    select
        offers.offer_id,
        offers.customer_key,
        offers.offered_at,
        billing_anchors.last_billing_event_at,
        coalesce(billing_cycles.billing_cycle_days, {{ settings['default_billing_cycle_days'] }})
            as billing_cycle_days
    from offers
    left join billing_anchors
        on offers.offer_id = billing_anchors.offer_id
    left join billing_cycles
        on offers.customer_key = billing_cycles.customer_key

),

next_renewals as (

    select
        offer_billing.offer_id,
        offer_billing.customer_key,
        offer_billing.offered_at,
        offer_billing.last_billing_event_at,
        offer_billing.billing_cycle_days,
        -- the first due date after the offer: whole billing cycles stepped from the last billing event
        offer_billing.last_billing_event_at + to_days(cast(
            offer_billing.billing_cycle_days * greatest(1, ceil(
                date_diff('second', offer_billing.last_billing_event_at, offer_billing.offered_at)
                / (86400.0 * offer_billing.billing_cycle_days)
            )) as integer
        )) as next_renewal_due_at
    from offer_billing

),

renewals as (

    select
        next_renewals.offer_id,
        count(billing_events.event_at) as n_renewals_by_due_date
    from next_renewals
    inner join billing_events
        on
            next_renewals.customer_key = billing_events.customer_key
            and billing_events.event_type = 'renewed'
            and next_renewals.offered_at < billing_events.event_at
            and billing_events.event_at
            <= next_renewals.next_renewal_due_at + to_days({{ settings['renewal_grace_days'] }})
    group by next_renewals.offer_id

),

joined as (

    select
        offers.offer_id,
        offers.interaction_key,
        offers.customer_key,
        conversation.agent_id,
        agents.team,
        conversation.channel,
        conversation.started_at as conversation_started_at,
        conversation.is_tough_moment,
        offers.offered_at,
        offers.save_script,
        offers.offer_type,
        coalesce(offers.offer_amount, 0) as offer_amount,
        offers.is_accepted,
        customers.plan,
        customers.segment,
        date_diff('day', customers.signup_at, offers.offered_at) as tenure_days,
        customers.churned_at,
        customers.is_voluntary_churn,
        conversation_closure.is_transcript_usable,
        conversation_closure.has_summary_phrase,
        conversation_closure.has_next_steps_phrase,
        conversation_closure.has_emotional_loop_phrase,
        coalesce(callbacks.n_later_contacts, 0) as n_later_contacts,
        next_renewals.last_billing_event_at,
        next_renewals.billing_cycle_days,
        next_renewals.next_renewal_due_at,
        coalesce(renewals.n_renewals_by_due_date, 0) as n_renewals_by_due_date,
        build_as_of.as_of
    from offers
    cross join build_as_of
    left join interactions as conversation
        on offers.interaction_key = conversation.interaction_key
    left join agents
        on conversation.agent_id = agents.agent_id
    left join customers
        on offers.customer_key = customers.customer_key
    left join conversation_closure
        on offers.offer_id = conversation_closure.offer_id
    left join callbacks
        on offers.offer_id = callbacks.offer_id
    left join next_renewals
        on offers.offer_id = next_renewals.offer_id
    left join renewals
        on offers.offer_id = renewals.offer_id

),

final as (

    select
        joined.offer_id,
        joined.interaction_key,
        joined.customer_key,
        joined.agent_id,
        joined.team,
        joined.channel,
        joined.conversation_started_at,
        joined.offered_at,
        joined.save_script,
        joined.offer_type,
        joined.offer_amount,
        joined.offer_amount > 0 as is_concession,
        joined.is_accepted,
        joined.plan,
        joined.segment,
        joined.tenure_days,
        joined.is_tough_moment,
        joined.is_transcript_usable,
        case when joined.is_transcript_usable then joined.has_summary_phrase end as has_summarised_concern,
        case when joined.is_transcript_usable then joined.has_next_steps_phrase end as has_confirmed_next_steps,
        case when joined.is_transcript_usable then joined.has_emotional_loop_phrase end as has_closed_emotional_loop,
        case
            when joined.is_transcript_usable
                then
                    cast(joined.has_summary_phrase as integer)
                    + cast(joined.has_next_steps_phrase as integer)
                    + cast(joined.has_emotional_loop_phrase as integer)
        end as closure_behaviors_count,
        case
            when joined.conversation_started_at is null then 'conversation_not_published'
            when not joined.is_transcript_usable then 'transcript_not_usable'
            else 'observed'
        end as closure_status,
        case
            when joined.offered_at + to_days({{ settings['saved_window_days'] }}) <= joined.as_of
                then not coalesce(
                        joined.is_voluntary_churn
                        and joined.churned_at > joined.offered_at
                        and joined.churned_at <= joined.offered_at + to_days({{ settings['saved_window_days'] }}),
                        false
                    )
        end as is_saved,
        case
            when joined.offered_at + to_days({{ settings['saved_window_days'] }}) <= joined.as_of then 'observed'
            else 'window_open'
        end as saved_status,
        case
            when joined.conversation_started_at + to_days({{ settings['callback_window_days'] }}) <= joined.as_of
                then joined.n_later_contacts > 0
        end as has_callback,
        case
            when joined.conversation_started_at is null then 'conversation_not_published'
            when joined.conversation_started_at + to_days({{ settings['callback_window_days'] }}) <= joined.as_of
                then 'observed'
            else 'window_open'
        end as callback_status,
        joined.billing_cycle_days,
        joined.next_renewal_due_at,
        case
            when joined.next_renewal_due_at + to_days({{ settings['renewal_grace_days'] }}) <= joined.as_of
                then joined.n_renewals_by_due_date > 0
        end as is_renewed_at_next_renewal,
        case
            when joined.last_billing_event_at is null then 'no_billing_history'
            when joined.next_renewal_due_at + to_days({{ settings['renewal_grace_days'] }}) <= joined.as_of
                then 'observed'
            else 'not_yet_due'
        end as renewal_status
    from joined

)

select * from final
