{#- The sampling frame of relationship NPS, one row per wave and frame member: every customer whose account is
    active at the wave's reference date (the first sending of the wave; active = the latest subscription event at
    or before it is not a cancellation), plus every customer invited in the wave even if not active then (counted
    with is_active_at_reference false, so no invitation leaves the frame). An invited customer has one row per
    invitation. The covariates are known for respondents and nonrespondents alike, all measured at the reference
    date over the var nps_weighting.lookback_days before it: plan, segment, region, tenure band, any tough moment,
    contacts (0, 1, 2+), and exposure to acknowledgment (any exposed contact). -#}
{%- set lookback_days = var('nps_weighting')['lookback_days'] -%}
with

invitations as (

    select * from {{ ref('int_survey_invitations_joined_to_cells') }}
    where survey_type = 'relationship_nps'

),

customers as (

    select * from {{ ref('int_customers_joined_to_subscriptions') }}

),

subscription_events as (

    select * from {{ ref('consented_subscription_events') }}

),

interactions as (

    select * from {{ ref('int_interactions_categorized') }}

),

empathy as (

    select * from {{ ref('int_interactions_scored') }}

),

waves as (

    select
        invitations.period as wave,
        min(invitations.sent_at) as reference_at
    from invitations
    group by invitations.period

),

latest_events_at_reference as (

    select
        waves.wave,
        subscription_events.customer_key,
        subscription_events.event_type
    from waves
    inner join subscription_events
        on waves.reference_at >= subscription_events.event_at
    qualify row_number() over (
            partition by waves.wave, subscription_events.customer_key
            order by {{ subscription_state_order('subscription_events') }}
        ) = 1

),

active_members as (

    select
        latest_events_at_reference.wave,
        latest_events_at_reference.customer_key
    from latest_events_at_reference
    where latest_events_at_reference.event_type <> 'cancelled'

),

members as (

    select
        active_members.wave,
        active_members.customer_key
    from active_members
    union
    select
        invitations.period as wave,
        invitations.customer_key
    from invitations

),

recent_contacts as (

    select
        members.wave,
        members.customer_key,
        count(interactions.interaction_key) as n_contacts,
        coalesce(bool_or(interactions.tough_moment_category is not null), false) as had_tough_moment,
        coalesce(bool_or(empathy.is_exposed), false) as had_exposed_contact
    from members
    inner join waves
        on members.wave = waves.wave
    left join interactions
        on members.customer_key = interactions.customer_key
            and waves.reference_at > interactions.started_at
            and waves.reference_at - interval {{ lookback_days }} day <= interactions.started_at
    left join empathy
        on interactions.interaction_key = empathy.interaction_key
    group by members.wave, members.customer_key

),

final as (

    select
        members.wave,
        waves.reference_at,
        members.customer_key,
        active_members.customer_key is not null as is_active_at_reference,
        coalesce(customers.plan, 'unknown') as plan,
        coalesce(customers.segment, 'unknown') as segment,
        coalesce(customers.region, 'unknown') as region,
        {{ tenure_band('customers.signup_at', 'waves.reference_at') }} as tenure_band,
        recent_contacts.had_tough_moment,
        case
            when recent_contacts.n_contacts = 0 then '0'
            when recent_contacts.n_contacts = 1 then '1'
            else '2+'
        end as contacts_band,
        case
            when recent_contacts.had_exposed_contact then '{{ var("exposure")["name"] }}'
            else 'not_{{ var("exposure")["name"] }}'
        end as exposure_group,
        invitations.invitation_id,
        invitations.sampling_stratum,
        invitations.selection_probability,
        invitations.sent_at,
        coalesce(invitations.has_responded, false) as has_responded,
        invitations.nps,
        invitations.nps_category
    from members
    inner join waves
        on members.wave = waves.wave
    inner join recent_contacts
        on members.wave = recent_contacts.wave
            and members.customer_key = recent_contacts.customer_key
    left join active_members
        on members.wave = active_members.wave
            and members.customer_key = active_members.customer_key
    left join customers
        on members.customer_key = customers.customer_key
    left join invitations
        on members.wave = invitations.period
            and members.customer_key = invitations.customer_key

)

select * from final
