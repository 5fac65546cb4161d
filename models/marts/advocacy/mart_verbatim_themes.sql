{#- The verbatim themes of survey open text, one row per theme and per answer status: how many answers, from how
    many customers, the theme's top terms (each in at least var themes.min_df answers), its sentiment, and the
    model's number of themes and stability. Answers too short to classify, empty or unassigned are rows of their
    own, so every answer is counted. -#}
with

themed as (

    select * from {{ ref('restricted_open_text_themes') }}

),

totals as (

    select count(*) as n_answers_total
    from themed

),

grouped as (

    select
        themed.assignment_status,
        themed.theme_code,
        any_value(themed.theme_label) as theme_label,
        any_value(themed.theme_top_terms) as top_terms,
        any_value(themed.is_named_theme) as is_named,
        count(*) as n_answers,
        count(distinct themed.customer_key) as n_customers,
        count(*) filter (where themed.survey_type = 'relationship_nps') as n_nps_answers,
        count(*) filter (where themed.survey_type = 'csat_pulse') as n_pulse_answers,
        avg(cast(themed.sentiment as decimal(18, 9))) as sentiment_mean,
        avg(case when themed.sentiment_label = 'negative' then 1 when themed.sentiment_label is not null then 0 end)
            as negative_share,
        any_value(themed.n_themes) as n_themes,
        any_value(themed.theme_stability) as stability,
        any_value(themed.model_status) as model_status
    from themed
    group by themed.assignment_status, themed.theme_code

),

final as (

    select
        grouped.assignment_status,
        grouped.theme_code,
        grouped.theme_label,
        grouped.top_terms,
        grouped.is_named,
        grouped.n_answers,
        grouped.n_customers,
        grouped.n_nps_answers,
        grouped.n_pulse_answers,
        grouped.n_answers / totals.n_answers_total as share_of_answers,
        cast(grouped.sentiment_mean as double) as sentiment_mean,
        grouped.negative_share,
        grouped.n_themes,
        grouped.stability,
        grouped.model_status
    from grouped
    cross join totals

)

select * from final
