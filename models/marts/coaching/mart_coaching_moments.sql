{#- Coaching moments: per agent, the tough-moment contacts of the last var coaching.moments_months months where a
    behaviour was missing and the customer's outcome suffered (CSAT 1-2, a repeat contact, or voluntary churn within
    90 days), worst first, and the bright spots (at most one behaviour missing, CSAT 4-5, no repeat contact, no
    churn),
    var coaching.moments_per_agent of each, so a team lead can pick two real examples for the weekly session. The
    evidence is segment positions (behaviour:segment index of the first evidence), never text. -#}
{%- set settings = var('coaching') -%}
{%- set behaviors = rubric_behavior_codes() -%}
with

outcomes as (

    select * from {{ ref('mart_interaction_outcomes') }}
    where agent_id is not null and is_tough_moment and behaviors_count is not null

),

behaviors as (

    select * from {{ ref('fct_interaction_behaviors') }}

),

churn_windows as (

    select * from {{ ref('mart_interaction_churn_windows') }}
    where churn_window_days = 90

),

agents as (

    select * from {{ ref('dim_agents') }}

),

window_start as (

    {{ last_months_window_start('outcomes', 'outcomes.started_at', settings['moments_months']) }}

),

recent as (

    select outcomes.*
    from outcomes
    cross join window_start
    where outcomes.started_at >= window_start.starts_at

),

evidence as (

    select
        behaviors.interaction_key,
        string_agg(
            behaviors.behavior_code || ':' || behaviors.first_segment_index, ', '
            order by behaviors.first_segment_index, behaviors.behavior_code
        ) as evidence_segments
    from behaviors
    where behaviors.has_occurred and behaviors.first_segment_index is not null
    group by behaviors.interaction_key

),

judged as (

    select
        recent.agent_id,
        recent.interaction_key,
        recent.started_at,
        recent.channel,
        recent.tough_moment_category,
        recent.behaviors_count,
        {%- if behaviors %}
            concat_ws(
                ', ',
                {%- for b in behaviors %}
                    case when not recent.has_{{ b }} then '{{ b }}' end{{ ',' if not loop.last }}
                {%- endfor %}
            ) as missing_behaviors,
        {%- else %}
            null::varchar as missing_behaviors,  -- parsing a fresh checkout: the rubric seed is not loaded yet
        {%- endif %}
        recent.csat,
        recent.has_repeat_contact,
        coalesce(churn_windows.is_voluntarily_churned, false) as is_churned_within_90_days,
        coalesce(recent.csat <= 2, false)
        or coalesce(recent.has_repeat_contact, false)
        or coalesce(churn_windows.is_voluntarily_churned, false) as has_poor_outcome,
        coalesce(recent.csat >= 4, false)
        and not coalesce(recent.has_repeat_contact, true)
        and not coalesce(churn_windows.is_voluntarily_churned, false) as has_good_outcome,
        -- how badly it went: a 1 or churn weigh 3, a 2 weighs 2, a repeat contact 1
        case when recent.csat = 1 then 3 when recent.csat = 2 then 2 else 0 end
        + case when churn_windows.is_voluntarily_churned then 3 else 0 end
        + case when recent.has_repeat_contact then 1 else 0 end as severity
    from recent
    left join churn_windows
        on recent.interaction_key = churn_windows.interaction_key

),

moments as (

    select
        judged.*,
        'missed_moment' as moment_kind,
        row_number() over (
            partition by judged.agent_id
            order by
                judged.severity desc, judged.behaviors_count asc, judged.started_at desc, judged.interaction_key asc
        ) as moment_rank
    from judged
    where judged.behaviors_count < {{ behaviors | length }} and judged.has_poor_outcome
    union all
    select
        judged.*,
        'bright_spot' as moment_kind,
        row_number() over (
            partition by judged.agent_id
            order by judged.behaviors_count desc, judged.csat desc, judged.started_at desc, judged.interaction_key asc
        ) as moment_rank
    from judged
    where judged.behaviors_count >= {{ behaviors | length - 1 }} and judged.has_good_outcome

),

final as (

    select
        moments.agent_id,
        agents.team,
        moments.moment_kind,
        moments.moment_rank,
        moments.interaction_key,
        moments.started_at,
        moments.channel,
        moments.tough_moment_category,
        moments.behaviors_count,
        nullif(moments.missing_behaviors, '') as missing_behaviors,
        evidence.evidence_segments,
        moments.csat,
        moments.has_repeat_contact,
        moments.is_churned_within_90_days,
        moments.severity
    from moments
    left join evidence
        on moments.interaction_key = evidence.interaction_key
    left join agents
        on moments.agent_id = agents.agent_id
    where moments.moment_rank <= {{ settings['moments_per_agent'] | int }}

)

select * from final
