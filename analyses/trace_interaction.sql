{#- Trace one interaction from the words said to what followed, through keys only.
    From the project root (the virtualenv active: `source .venv/bin/activate`):
        dbt compile --select trace_interaction --vars '{trace_source_system: genesys, trace_interaction_id: gen-0000001}'
    then run the compiled SQL (target/compiled/empathy_warehouse/analyses/trace_interaction.sql) against the
    warehouse, read-only, e.g. duckdb -readonly target/demo.duckdb < that file. Rows come in the order of the
    trace: the words by their offset in the conversation, then the behaviours, then the outcomes. -#}
with

interaction as (

    select * from {{ ref('fct_interactions') }}
    where source_system = '{{ var("trace_source_system", "genesys") }}'
        and interaction_id = '{{ var("trace_interaction_id", "") }}'

),

words as (

    select
        segments.interaction_key,
        segments.segment_index,
        segments.offset_ms,
        segments.speaker,
        segments.text_redacted
    from {{ ref('consented_transcript_segments') }} as segments
    inner join interaction
        on segments.interaction_key = interaction.interaction_key

),

behaviors as (

    select behaviors.*
    from {{ ref('fct_interaction_behaviors') }} as behaviors
    inner join interaction
        on behaviors.interaction_key = interaction.interaction_key

),

outcomes as (

    select outcomes.*
    from {{ ref('mart_interaction_outcomes') }} as outcomes
    inner join interaction
        on outcomes.interaction_key = interaction.interaction_key

),

final as (

    select
        1 as step_order,
        words.offset_ms as sort_key,
        'words' as step,
        words.segment_index::varchar || ' @' || words.offset_ms::varchar || 'ms ' || words.speaker as item,
        words.text_redacted as detail
    from words

    union all

    select
        2 as step_order,
        0 as sort_key,
        'behaviour' as step,
        behaviors.behavior_code as item,
        behaviors.evidence_source || coalesce(
            ': segment ' || behaviors.first_segment_index::varchar || ' "' || behaviors.first_matched_text || '"', ''
        ) as detail
    from behaviors

    union all

    select
        3 as step_order,
        0 as sort_key,
        'outcome' as step,
        'empathy score / csat / next nps / days to next cancellation' as item,
        concat_ws(
            ' / ',
            coalesce(outcomes.empathy_score::varchar, 'n/a'),
            coalesce(outcomes.csat::varchar, 'no response'),
            coalesce(outcomes.next_nps::varchar, 'none yet'),
            coalesce(round(outcomes.days_to_next_cancellation, 1)::varchar, 'none yet')
        ) as detail
    from outcomes

)

select * from final
order by step_order, sort_key, item
