{#- Evidence from the words said: every segment of a usable transcript (call-recording consent held at the
    interaction's start) matched against the phrase lexicon (seed empathy_phrase_patterns: RE2 patterns applied
    to the lower-cased, redacted text of the pattern's speaker; a segment that also matches the pattern's
    `unless_pattern`, a negation or a near-miss, does not count). One row per segment and matching pattern.

    The lexicon is read from the seed's table when the model compiles and each pattern is written into the SQL
    as a constant, so DuckDB compiles every regular expression once instead of once per row. (A unit test that
    mocks the seed still reads the real seed table here; the join to the `patterns` CTE then keeps only the
    mocked patterns.) -#}
{#- Incremental (D33): an incremental run matches the segments of the interactions in identity_interactions_changed
    again. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(changed_interactions_scope(ref('identity_interactions_changed'), 'interaction_key')) }}",
) }}
{%- set patterns = [] -%}
{%- if execute -%}
    {%- set seed_relation = ref('empathy_phrase_patterns') -%}
    {%- if '__dbt__cte__' in (seed_relation | string) -%}
        {%- set seed_relation = adapter.get_relation(
            database=target.database,
            schema=generate_schema_name('reference', model),
            identifier='empathy_phrase_patterns') -%}
    {%- endif -%}
    {%- set patterns = run_query(
        "select pattern_id, behavior_code, pattern, speaker, weight, timed_within_ms, unless_pattern from "
        ~ seed_relation ~ " order by pattern_id"
    ).rows -%}
{%- endif %}

with

segments as (

    select
        segments.interaction_key,
        segments.segment_index,
        segments.offset_ms,
        segments.speaker,
        lower(segments.text_redacted) as text_lower
    from {{ ref('consented_transcript_segments') }} as segments
    where {{ changed_interactions_scope(ref('identity_interactions_changed'), 'segments.interaction_key') }}

),

patterns as (

    select * from {{ ref('empathy_phrase_patterns') }}

),

matched as (

    {% for pattern in patterns %}
        select
            segments.interaction_key,
            segments.segment_index,
            segments.offset_ms,
            segments.speaker,
            '{{ pattern[0] }}' as pattern_id,
            {{ regexp_match_text('segments.text_lower', sql_string(pattern[2])) }} as matched_text
        from segments
        where segments.speaker = '{{ pattern[3] }}'
            and {{ regexp_matches('segments.text_lower', sql_string(pattern[2])) }}
            {% if pattern[6] %}
                and not {{ regexp_matches('segments.text_lower', sql_string(pattern[6])) }}
            {% endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if not patterns %}
        select
            null::{{ varchar_type() }} as interaction_key,
            null::integer as segment_index,
            null::bigint as offset_ms,
            null::{{ varchar_type() }} as speaker,
            null::{{ varchar_type() }} as pattern_id,
            null::{{ varchar_type() }} as matched_text
        where false
    {% endif %}

),

final as (

    select
        matched.interaction_key,
        matched.segment_index,
        matched.offset_ms,
        matched.speaker,
        patterns.behavior_code,
        patterns.sub_behavior_code,
        matched.pattern_id,
        matched.matched_text,
        patterns.weight,
        patterns.timed_within_ms
    from matched
    inner join patterns
        on matched.pattern_id = patterns.pattern_id

)

select * from final
