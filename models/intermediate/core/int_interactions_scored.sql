{#- One row per consenting interaction: the rubric's behaviours side by side (one has_<code> column per row of the
    seed empathy_behaviors), the timing of the first acknowledgment, the empathy score on the anchored 1-5 scale,
    and the two classifications every later model uses (defined here and nowhere else):

    - the score rule (seed empathy_scale_anchors): the highest anchor whose required behaviours all occurred and
      whose minimum count of behaviours is reached; null when no source observed the interaction;
    - the exposure, var('exposure'): a named bundle of behaviours that must all occur, optionally each within
      `within_seconds` of the start. With a time limit it is judged from the transcript (null when the transcript
      may not be used: timing unknown); without one, from either source. An empathetic contact is an exposed
      contact; the exposure group is `<name>`, `not_<name>` or `transcript_not_usable`. -#}
{#- Incremental (D43): the refresh scope of the behaviour evidence, over this model's rows (the detector's training
    set fingerprint is carried for that); the interactions without a stored row are computed. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(behavior_evidence_scope(ref('identity_interactions_changed'), ref('consented_qa_reviews'), ref('int_behaviors_scored_out_of_fold'), ref('int_detector_training_set_fingerprinted'))) }}",
) }}
{%- set behavior_codes = rubric_behavior_codes() %}
{%- set exposure = var('exposure') %}
{%- set timed = exposure.get('within_seconds') is not none %}
{%- set in_bundle = "behaviors.behavior_code in ('" ~ (exposure['behaviors'] | join("', '")) ~ "')" %}
{%- if timed %}
    {%- set exposure_known = 'behaviors.is_transcript_usable' %}
    {%- set exposure_met = 'behaviors.is_detected_in_transcript and behaviors.first_offset_ms <= '
        ~ (exposure['within_seconds'] * 1000) %}
{%- else %}
    {%- set exposure_known = 'behaviors.has_occurred is not null' %}
    {%- set exposure_met = 'behaviors.has_occurred' %}
{%- endif %}
with

behaviors as (

    select * from {{ ref('int_interaction_behaviors_observed') }}
    where {{ not_yet_stored('interaction_key') }}

),

rubric as (

    select * from {{ ref('empathy_behaviors') }}

),

anchors as (

    select
        anchors.score,
        anchors.label,
        coalesce(string_split(anchors.required_behaviors, '|'), []) as required_behaviors,
        anchors.min_behaviors
    from {{ ref('empathy_scale_anchors') }} as anchors

),

pivoted as (

    select
        behaviors.interaction_key,
        bool_or(behaviors.is_transcript_usable) as is_transcript_usable,
        bool_or(behaviors.qa_reviews_count > 0) as is_qa_reviewed,
        {%- for code in behavior_codes %}
            bool_or(behaviors.has_occurred) filter (where behaviors.behavior_code = '{{ code }}') as has_{{ code }},
        {%- endfor %}
        min(behaviors.first_offset_ms) filter (
            where behaviors.behavior_code = 'acknowledge'
        ) / 1000.0 as seconds_to_first_acknowledgment,
        bool_or(behaviors.is_timely) filter (
            where behaviors.behavior_code = 'acknowledge'
        ) as is_acknowledged_within_30s,
        count(*) filter (where behaviors.has_occurred) as behaviors_count,
        list(behaviors.behavior_code) filter (where behaviors.has_occurred) as behaviors_present,
        avg(behaviors.qa_mean_score order by behaviors.qa_mean_score) as qa_mean_score,
        bool_or(behaviors.has_occurred is not null) as is_observed,
        max(behaviors.training_set_fingerprint) as training_set_fingerprint
    from behaviors
    inner join rubric
        on behaviors.behavior_code = rubric.behavior_code
    group by behaviors.interaction_key

),

exposure_bundle as (

    select
        behaviors.interaction_key,
        bool_and({{ exposure_known }}) as is_exposure_known,
        count(*) filter (where {{ exposure_met }}) as n_bundle_behaviors_met
    from behaviors
    where {{ in_bundle }}
    group by behaviors.interaction_key

),

scored as (

    select
        pivoted.interaction_key,
        max(anchors.score) as empathy_score
    from pivoted
    inner join anchors
        on list_has_all(coalesce(pivoted.behaviors_present, []), anchors.required_behaviors)
            and pivoted.behaviors_count >= anchors.min_behaviors
    where pivoted.is_observed
    group by pivoted.interaction_key

),

exposed as (

    select
        exposure_bundle.interaction_key,
        case
            when exposure_bundle.is_exposure_known
                then exposure_bundle.n_bundle_behaviors_met = {{ exposure['behaviors'] | length }}
        end as is_exposed
    from exposure_bundle

),

final as (

    select
        pivoted.interaction_key,
        case
            when pivoted.is_transcript_usable and pivoted.is_qa_reviewed then 'transcript_and_qa'
            when pivoted.is_transcript_usable then 'transcript_only'
            when pivoted.is_qa_reviewed then 'qa_only'
            else 'none'
        end as observation_basis,
        {%- for code in behavior_codes %}
            pivoted.has_{{ code }},
        {%- endfor %}
        case when pivoted.is_observed then pivoted.behaviors_count end as behaviors_count,
        pivoted.seconds_to_first_acknowledgment,
        pivoted.is_acknowledged_within_30s,
        scored.empathy_score,
        anchors.label as empathy_score_label,
        exposed.is_exposed,
        exposed.is_exposed as is_empathetic_contact,
        case
            when exposed.is_exposed then '{{ exposure["name"] }}'
            when exposed.is_exposed = false then 'not_{{ exposure["name"] }}'
            else 'transcript_not_usable'
        end as exposure_group,
        pivoted.qa_mean_score,
        pivoted.training_set_fingerprint
    from pivoted
    left join scored
        on pivoted.interaction_key = scored.interaction_key
    left join anchors
        on scored.empathy_score = anchors.score
    left join exposed
        on pivoted.interaction_key = exposed.interaction_key

)

select * from final
