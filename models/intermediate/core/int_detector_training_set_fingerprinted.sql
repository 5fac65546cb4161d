{#- One row: what the learned detector is trained on, summarised, and its fingerprint (D37), an md5 over the
    detector's settings (var behavior_detector), the behaviours of the empathy_behaviors seed and every row of
    int_qa_verdicts_selected_for_training. The stored detectors and their scores carry the fingerprint they were
    made with; an incremental build trains again, and scores every interaction again, exactly when it changes. -#}
with

training as (

    select * from {{ ref('int_qa_verdicts_selected_for_training') }}

),

behaviors as (

    select * from {{ ref('empathy_behaviors') }}

),

build as (

    select * from {{ ref('stg_build__as_of') }}

),

behavior_list as (

    select string_agg(behaviors.behavior_code, ',' order by behaviors.behavior_code) as behavior_codes
    from behaviors

),

training_rows as (

    select
        count(distinct training.interaction_key) as n_interactions,
        count(*) as n_verdicts,
        coalesce(string_agg(
            concat_ws(
                '|',
                training.interaction_key,
                training.behavior_code,
                training.agent_id,
                cast(training.is_present_in_qa_adjusted as {{ varchar_type() }}),
                training.document_md5
            ),
            chr(10) order by training.interaction_key, training.behavior_code
        ), '') as training_rows_text
    from training

),

final as (

    select
        md5(concat_ws(
            chr(10),
            {{ sql_string(tojson(var('behavior_detector'), sort_keys=true)) }},
            behavior_list.behavior_codes,
            training_rows.training_rows_text
        )) as training_set_fingerprint,
        {{ detector_training_cutoff('build.as_of') }} as training_cutoff_at,
        training_rows.n_interactions,
        training_rows.n_verdicts
    from training_rows
    cross join behavior_list
    cross join build

)

select * from final
