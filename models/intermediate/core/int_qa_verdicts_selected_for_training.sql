{#- The learned detector's training set (D37): the leniency-adjusted QA verdicts of consented interactions with
    agent turns in a usable transcript that started before the training cutoff, the start of the as-of's period of
    var behavior_detector.retrain_every. With each verdict its interaction's agent (the cross-validation group) and
    a digest of the agent's words, so that int_detector_training_set_fingerprinted changes exactly when what the
    detector would learn from changes. -#}
with

verdicts as (

    select * from {{ ref('int_qa_verdicts_adjusted') }}

),

interactions as (

    select * from {{ ref('consented_interactions') }}

),

segments as (

    select * from {{ ref('consented_transcript_segments') }}

),

build as (

    select * from {{ ref('stg_build__as_of') }}

),

cutoff as (

    select {{ detector_training_cutoff('build.as_of') }} as training_cutoff_at
    from build

),

candidates as (

    select
        verdicts.interaction_key,
        verdicts.behavior_code,
        verdicts.is_present_in_qa_adjusted,
        interactions.agent_id,
        cutoff.training_cutoff_at
    from verdicts
    inner join interactions
        on verdicts.interaction_key = interactions.interaction_key
    cross join cutoff
    where interactions.started_at < cutoff.training_cutoff_at

),

documents as (

    select
        segments.interaction_key,
        md5(string_agg(coalesce(segments.text_redacted, ''), ' ' order by segments.offset_ms, segments.segment_index))
            as document_md5
    from segments
    where segments.speaker = 'agent'
        and segments.interaction_key in (select candidates.interaction_key from candidates)
    group by segments.interaction_key

),

final as (

    select
        candidates.interaction_key,
        candidates.behavior_code,
        candidates.agent_id,
        candidates.is_present_in_qa_adjusted,
        documents.document_md5,
        candidates.training_cutoff_at
    from candidates
    inner join documents
        on candidates.interaction_key = documents.interaction_key

)

select * from final
