{#- When each published customer may be contacted: the survey_contact consent history as periods
    [valid_from, valid_to) by customer_key (no identifier leaves the boundary), with the project default (var
    consent_default_survey_contact) as the period before the customer's first event. Only customers whose analytics
    consent stands are published. Outreach that respects people (the at-risk alerts) reads this model: a revoked
    survey_contact consent is the customer saying "do not contact me". -#}
with

periods as (

    select * from {{ ref('identity_consent_periods') }}
    where purpose = 'survey_contact'

),

published as (

    select * from {{ ref('identity_customer_consent') }}
    where not is_analytics_revoked

),

first_events as (

    select
        periods.customer_key,
        min(periods.valid_from) as first_event_at
    from periods
    group by periods.customer_key

),

from_default as (

    select
        published.customer_key,
        '{{ "granted" if var("consent_default_survey_contact") == "granted" else "revoked" }}' as status,
        cast(null as timestamp) as valid_from,
        first_events.first_event_at as valid_to,
        'default' as consent_basis
    from published
    left join first_events
        on published.customer_key = first_events.customer_key

),

from_events as (

    select
        periods.customer_key,
        periods.status,
        periods.valid_from,
        periods.valid_to,
        'event' as consent_basis
    from periods
    inner join published
        on periods.customer_key = published.customer_key

),

unioned as (

    select * from from_default
    union all
    select * from from_events

),

final as (

    select
        unioned.customer_key,
        unioned.status,
        unioned.valid_from,
        unioned.valid_to,
        unioned.consent_basis
    from unioned

)

select * from final
