{#- One row per experiment, period (pre, window) and customer triggered into it: the customer's first interaction
    of the period in an assigned unit decides the unit and arm (intention to treat at the customer level). Outcomes
    measured after that trigger: the first relationship NPS answer sent after it and before the period ends, and
    voluntary churn within 90 days (null while the 90 days are not over). NPS categories are fct_survey_responses'
    (one home for the thresholds); nps_value codes them +100 / 0 / -100, so a mean of nps_value is an NPS. -#}
with

experiment_interactions as (

    select * from {{ ref('fct_experiment_interactions') }}
    where is_in_assigned_unit

),

registrations as (

    select * from {{ ref('int_experiment_registrations_hashed') }}

),

responses as (

    select * from {{ ref('fct_survey_responses') }}
    where survey_type = 'relationship_nps' and nps is not null

),

churn_windows as (

    select * from {{ ref('mart_interaction_churn_windows') }}
    where churn_window_days = 90

),

triggers as (

    select
        experiment_interactions.experiment_id,
        experiment_interactions.period,
        experiment_interactions.customer_key,
        arg_min(
            experiment_interactions.interaction_key,
            (experiment_interactions.started_at, experiment_interactions.interaction_key)
        ) as trigger_interaction_key,
        count(*) as n_interactions
    from experiment_interactions
    group by experiment_interactions.experiment_id, experiment_interactions.period, experiment_interactions.customer_key

),

triggered as (

    select
        triggers.experiment_id,
        triggers.period,
        triggers.customer_key,
        triggers.trigger_interaction_key,
        triggers.n_interactions,
        experiment_interactions.started_at as triggered_at,
        experiment_interactions.unit_type,
        experiment_interactions.unit_id,
        experiment_interactions.itt_arm,
        experiment_interactions.is_unit_switched,
        experiment_interactions.subgroup_tough_moment,
        experiment_interactions.subgroup_agent_tenure,
        experiment_interactions.subgroup_channel,
        case
            when triggers.period = 'pre' then registrations.analysis_window_start::timestamp
            else registrations.analysis_window_end_exclusive::timestamp
        end as period_end_exclusive
    from triggers
    inner join experiment_interactions
        on triggers.experiment_id = experiment_interactions.experiment_id
            and triggers.trigger_interaction_key = experiment_interactions.interaction_key
    inner join registrations
        on triggers.experiment_id = registrations.experiment_id

),

first_answers as (

    select
        triggered.experiment_id,
        triggered.period,
        triggered.customer_key,
        arg_min(responses.nps, (responses.sent_at, responses.invitation_id)) as nps,
        arg_min(responses.nps_category, (responses.sent_at, responses.invitation_id)) as nps_category,
        arg_min(responses.invitation_id, (responses.sent_at, responses.invitation_id)) as nps_invitation_id
    from triggered
    inner join responses
        on triggered.customer_key = responses.customer_key
            and triggered.triggered_at <= responses.sent_at
            and triggered.period_end_exclusive > responses.sent_at
    group by triggered.experiment_id, triggered.period, triggered.customer_key

),

final as (

    select
        triggered.experiment_id,
        triggered.period,
        triggered.customer_key,
        triggered.trigger_interaction_key,
        triggered.triggered_at,
        triggered.n_interactions,
        triggered.unit_type,
        triggered.unit_id,
        triggered.itt_arm,
        triggered.is_unit_switched,
        triggered.subgroup_tough_moment,
        triggered.subgroup_agent_tenure,
        triggered.subgroup_channel,
        first_answers.nps_invitation_id,
        first_answers.nps,
        first_answers.nps_category,
        case first_answers.nps_category
            when 'promoter' then 100
            when 'passive' then 0
            when 'detractor' then -100
        end as nps_value,
        churn_windows.is_voluntarily_churned as is_voluntarily_churned_90d
    from triggered
    left join first_answers
        on triggered.experiment_id = first_answers.experiment_id
            and triggered.period = first_answers.period
            and triggered.customer_key = first_answers.customer_key
    left join churn_windows
        on triggered.trigger_interaction_key = churn_windows.interaction_key

)

select * from final
