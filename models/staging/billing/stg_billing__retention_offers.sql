with

offers as (

    select * from {{ ref('base_billing__retention_offers') }}
    where row_fate = 'kept'

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

final as (

    select
        offers.offer_id,
        interactions.interaction_key,
        offers.source_system,
        offers.interaction_id,
        interactions.customer_key,
        offers.save_script,
        offers.offer_type,
        offers.offer_amount,
        offers.is_accepted,
        offers.offered_at,
        offers._loaded_at,
        interactions.consent_exclusion_reason
    from offers
    inner join interactions
        on offers.source_system = interactions.source_system
            and offers.interaction_id = interactions.interaction_id

)

select * from final
