{#- One row per retention offer: the save conversation judged by closure, not credits (D29). Read by
    mart_save_effects and mart_save_team_scorecard. -#}
with

offers as (

    select * from {{ ref('int_retention_offers_joined_to_outcomes') }}

),

final as (

    select
        offers.offer_id,
        offers.interaction_key,
        offers.customer_key,
        offers.agent_id,
        offers.team,
        offers.channel,
        offers.conversation_started_at,
        offers.offered_at,
        offers.save_script,
        offers.offer_type,
        offers.offer_amount,
        offers.is_concession,
        offers.is_accepted,
        offers.plan,
        offers.segment,
        offers.tenure_days,
        offers.is_tough_moment,
        offers.closure_status,
        offers.has_summarised_concern,
        offers.has_confirmed_next_steps,
        offers.has_closed_emotional_loop,
        offers.closure_behaviors_count,
        offers.is_saved,
        offers.saved_status,
        offers.has_callback,
        offers.callback_status,
        offers.billing_cycle_days,
        offers.next_renewal_due_at,
        offers.is_renewed_at_next_renewal,
        offers.renewal_status,
        offers.is_saved and not offers.is_concession and offers.closure_behaviors_count = 3
            as is_recognition_worthy_save
    from offers

)

select * from final
