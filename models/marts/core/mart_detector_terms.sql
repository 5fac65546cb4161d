{#- What the learned detector reacts to: per trained behaviour the 25 terms with the largest coefficients of its
    stored logistic regression (ties by vocabulary order), and one status row for a behaviour it could not be
    trained on (D37: the detectors are stored once, in int_behavior_detectors_trained). -#}
with

detectors as (

    select * from {{ ref('int_behavior_detectors_trained') }}

),

ranked as (

    select
        detectors.behavior_code,
        row_number() over (
            partition by detectors.behavior_code order by detectors.coefficient desc, detectors.term_index asc
        ) as term_rank,
        detectors.term,
        detectors.coefficient,
        detectors.n_interactions,
        detectors.n_positive_verdicts,
        detectors.detector_status
    from detectors
    where detectors.term_index is not null

),

trained_terms as (

    select
        ranked.behavior_code,
        ranked.term_rank,
        ranked.term,
        ranked.coefficient,
        ranked.n_interactions,
        ranked.n_positive_verdicts,
        ranked.detector_status as status
    from ranked
    where ranked.term_rank <= 25

),

status_rows as (

    select
        detectors.behavior_code,
        cast(null as bigint) as term_rank,
        detectors.term,
        detectors.coefficient,
        detectors.n_interactions,
        detectors.n_positive_verdicts,
        detectors.detector_status as status
    from detectors
    where detectors.term_index is null

),

final as (

    select * from trained_terms
    union all
    select * from status_rows

)

select * from final
