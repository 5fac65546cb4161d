{#- One row per consenting interaction: the five behaviours side by side, the timing of the first
    acknowledgment, and the empathy score on the anchored 1-5 scale.

    The score rule (seed empathy_scale_anchors): the highest anchor whose required behaviours all occurred and
    whose minimum count of behaviours is reached. The score is null when no source observed the interaction. -#}
with

behaviors as (

    select * from {{ ref('int_interaction_behaviors_observed') }}

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
        bool_or(behaviors.has_occurred) filter (where behaviors.behavior_code = 'acknowledge') as has_acknowledge,
        bool_or(behaviors.has_occurred) filter (where behaviors.behavior_code = 'name_emotion') as has_name_emotion,
        bool_or(behaviors.has_occurred) filter (where behaviors.behavior_code = 'clarify_need') as has_clarify_need,
        bool_or(behaviors.has_occurred) filter (where behaviors.behavior_code = 'offer_options') as has_offer_options,
        bool_or(behaviors.has_occurred) filter (where behaviors.behavior_code = 'close_loop') as has_close_loop,
        min(behaviors.first_offset_ms) filter (
            where behaviors.behavior_code = 'acknowledge'
        ) / 1000.0 as seconds_to_first_acknowledgment,
        bool_or(behaviors.is_timely) filter (
            where behaviors.behavior_code = 'acknowledge'
        ) as is_acknowledged_within_30s,
        count(*) filter (where behaviors.has_occurred) as behaviors_count,
        list(behaviors.behavior_code) filter (where behaviors.has_occurred) as behaviors_present,
        avg(behaviors.qa_mean_score order by behaviors.qa_mean_score) as qa_mean_score,
        bool_or(behaviors.has_occurred is not null) as is_observed
    from behaviors
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

final as (

    select
        pivoted.interaction_key,
        case
            when pivoted.is_transcript_usable and pivoted.is_qa_reviewed then 'transcript_and_qa'
            when pivoted.is_transcript_usable then 'transcript_only'
            when pivoted.is_qa_reviewed then 'qa_only'
            else 'none'
        end as observation_basis,
        pivoted.has_acknowledge,
        pivoted.has_name_emotion,
        pivoted.has_clarify_need,
        pivoted.has_offer_options,
        pivoted.has_close_loop,
        case when pivoted.is_observed then pivoted.behaviors_count end as behaviors_count,
        pivoted.seconds_to_first_acknowledgment,
        pivoted.is_acknowledged_within_30s,
        scored.empathy_score,
        anchors.label as empathy_score_label,
        pivoted.qa_mean_score
    from pivoted
    left join scored
        on pivoted.interaction_key = scored.interaction_key
    left join anchors
        on scored.empathy_score = anchors.score

)

select * from final
