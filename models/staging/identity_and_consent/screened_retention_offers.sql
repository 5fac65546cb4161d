{#- Every retention offer the source-conformed model kept, with its fate in the identity-and-consent step:
    `quarantined` when the interaction it was made in is unknown or was set aside as broken, `excluded_for_consent`
    when the interaction was excluded for consent, `kept` otherwise. consented_retention_offers publishes the kept
    ones. -#}
with

offers as (

    select * from {{ ref('stg_billing__retention_offers') }}
    where row_fate = 'kept'

),

delivered_interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}

),

interactions as (

    select * from {{ ref('screened_interactions') }}

),

with_parent as (

    {{ with_parent_status('offers', 'delivered_interactions', ['source_system', 'interaction_id'],
        'is_interaction_kept') }}

),

judged as (

    select
        with_parent.*,
        interactions.interaction_key,
        interactions.customer_key,
        case
            {{ parent_set_aside_reason('with_parent.is_interaction_kept', 'interactions', 'interaction') }}
        end as set_aside_reason
    from with_parent
    left join interactions
        on with_parent.source_system = interactions.source_system
            and with_parent.interaction_id = interactions.interaction_id

),

final as (

    select
        judged.offer_id,
        judged.interaction_key,
        judged.source_system,
        judged.interaction_id,
        judged.customer_key,
        judged.save_script,
        judged.offer_type,
        judged.offer_amount,
        judged.is_accepted,
        judged.offered_at,
        judged._loaded_at,
        {{ screened_row_fate('judged.set_aside_reason', 'interaction') }} as row_fate,
        judged.set_aside_reason
    from judged

)

select * from final
