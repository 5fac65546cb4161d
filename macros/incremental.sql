{#-
    Incremental daily builds (docs/decisions.md D33). The large row-level models are dbt incremental models that,
    on an incremental run, delete their *refresh scope* and append it recomputed from the current data:

      - source-conformed models (stg_), keyed on the raw `_loaded_at`: the scope is every key delivered at or after
        the watermark (all of the key's deliveries are re-classified, so a re-delivery replaces the old version)
        and every row loaded at or after it;
      - models after the identity-and-consent step, keyed on the customer: the scope is every interaction of a
        customer whose data changed since the watermark (identity_interactions_changed), so a late consent
        revocation removes the customer's rows, a moved identity moves them, and a re-delivered transcript is
        matched again.

    The watermark is the `loaded_through` (latest raw `_loaded_at`) of the last build in which every incremental
    model succeeded; the on-run-end hook record_incremental_state writes it, with the identity and interaction
    maps the next build compares against, only then. A failed or partial build leaves it where it was, so the next
    build recomputes the same scope again: deleting and appending a scope is idempotent.
-#}

{#- A table of the incremental state (`name`: state, identity_snapshot, interaction_snapshot) in the staging
    schema: private, beside the identity map it copies, never read by a BI tool. -#}
{% macro incremental_state_relation(name) -%}
    {{- return(api.Relation.create(
        database=target.database,
        schema=generate_schema_name('staging', none),
        identifier='_incremental_' ~ name)) -}}
{%- endmacro %}

{#- The previous complete build's snapshot `name` (identity_snapshot: identity_node; interaction_snapshot:
    interaction_key; each with customer_id and customer_key) as a query, or an empty one of the same columns before the
    first complete build. -#}
{% macro previous_incremental_snapshot(name, key_column) -%}
    {%- if incremental_state_exists() -%}
        select * from {{ incremental_state_relation(name) }}
    {%- else -%}
        select
            cast(null as {{ varchar_type() }}) as {{ key_column }},
            cast(null as {{ varchar_type() }}) as customer_id,
            cast(null as {{ varchar_type() }}) as customer_key
        where false
    {%- endif -%}
{%- endmacro %}

{#- Whether the incremental state exists (only at run time; false while parsing). -#}
{% macro incremental_state_exists() -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set relation = adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('staging', none),
        identifier='_incremental_state') -%}
    {{- return(relation is not none) -}}
{%- endmacro %}

{#- The watermark as a SQL scalar: the previous complete build's `column` (loaded_through or as_of), or a time
    before any load when there is no previous complete build (then every row is in scope). -#}
{% macro incremental_watermark(column='loaded_through') -%}
    {%- if incremental_state_exists() -%}
        (select max(state.{{ column }}) from {{ incremental_state_relation('state') }} as state)
    {%- else -%}
        cast('1900-01-01 00:00:00' as timestamp)
    {%- endif -%}
{%- endmacro %}

{#- The natural key of a raw table's row, normalised as its stg_ model normalises it, over the raw (unqualified)
    columns: the key the refresh scope of a source-conformed model is decided on. -#}
{% macro raw_key_expressions(table) -%}
    {%- set keys = {
        'interactions': ['lower(' ~ normalize_id('source_system') ~ ')', normalize_id('interaction_id')],
        'transcript_segments': [
            'lower(' ~ normalize_id('source_system') ~ ')',
            normalize_id('interaction_id'),
            'cast(segment_index as integer)'],
    } -%}
    {{- return(keys[table]) -}}
{%- endmacro %}

{#- Refresh scope of a source-conformed model: the rows whose key had a delivery loaded at or after the watermark
    (all of the key's deliveries are re-classified, so a later delivery replaces the old version), and every row
    loaded at or after it (rows without a usable key included). Over the raw rows (`row_keys`/`row_loaded_at`
    default to the raw expressions) to choose what the model recomputes, and over the model's own columns to choose
    what the pre-hook deletes: the same rows either way. -#}
{% macro redelivered_scope(source_relation, table, row_keys=none, row_loaded_at=none) -%}
    {#- rendered on one line, so that it sits in any model's layout; `true` on a full build -#}
    {%- if not is_incremental() %}true{% else -%}
    (({{ (row_keys or raw_key_expressions(table)) | join(', ') }}) in (select {{ raw_key_expressions(table) | join(', ') }} from {{ source_relation }} where {{ raw_loaded_since_watermark(source_relation) }}) or {{ (row_loaded_at ~ ' >= ' ~ incremental_watermark()) if row_loaded_at else raw_loaded_since_watermark(source_relation) }})
    {%- endif -%}
{%- endmacro %}

{#- Whether a raw row's `_loaded_at` (unqualified) is at or after the watermark, decided once per distinct raw value
    (a load stamps many rows alike) rather than by formatting and parsing the timestamp of every row: the same rows
    in any of the contract's timestamp forms, a null or unreadable one never in scope. -#}
{% macro raw_loaded_since_watermark(source_relation) -%}
    _loaded_at in (select loads._loaded_at from (select distinct delivered._loaded_at from {{ source_relation }} as delivered) as loads where {{ to_utc('loads._loaded_at') }} >= {{ incremental_watermark() }})
{%- endmacro %}

{#- Refresh scope of a model after the identity-and-consent step: the rows of the interactions whose customer (then
    or now) changed since the watermark (`scope_relation`: the caller's ref of identity_interactions_changed). `extra`: an additional predicate OR-ed in (e.g. orphans). `true` on a full
    build, so a model filters on it unconditionally. -#}
{% macro changed_interactions_scope(scope_relation, column='interaction_key', extra=none) -%}
    {%- if not is_incremental() %}true{% else -%}
    ({{ column }} in (select changed.interaction_key from {{ scope_relation }} as changed){% if extra %} or {{ extra }}{% endif %})
    {%- endif -%}
{%- endmacro %}

{#- Refresh scope of the behaviour evidence and of what is computed from it interaction by interaction
    (int_interaction_behaviors_observed, int_interactions_scored, fct_interaction_behaviors, and
    mart_interaction_outcomes with identity_outcomes_changed as `changed`; D43), over the model's own rows: the
    changed interactions (`changed`: identity_interactions_changed); every interaction with a QA review
    (`reviews`: consented_qa_reviews) or that the detector trained on (`out_of_fold`: int_behaviors_scored_out_of_fold),
    because their leniency-adjusted verdicts and out-of-fold scores are fitted on every review, so a review of
    another interaction can move them; and every row made with another detector training set (`summary`:
    int_detector_training_set_fingerprinted; rows without a detector score have none and stay). `true` on a full
    build. -#}
{% macro behavior_evidence_scope(changed, reviews, out_of_fold, summary, column='interaction_key') -%}
    {%- if not is_incremental() %}true{% else -%}
    ({{ changed_interactions_scope(changed, column) }} or {{ column }} in (select reviews.interaction_key from {{ reviews }} as reviews) or {{ column }} in (select out_of_fold.interaction_key from {{ out_of_fold }} as out_of_fold) or {{ stale_detector_scope(summary) }})
    {%- endif -%}
{%- endmacro %}

{#- The rows an incremental model whose pre-hook deleted its refresh scope computes (D43): those whose `column`
    has no row left in the model's table (the scope and anything new). `true` on a full build. -#}
{% macro not_yet_stored(column='interaction_key') -%}
    {%- if not is_incremental() %}true{% else -%}
    {{ column }} not in (select stored.interaction_key from {{ this }} as stored where stored.interaction_key is not null)
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of an incremental model: on an incremental run, delete the refresh scope from the existing table (the
    model then appends the scope recomputed). Nothing on a first or full-refresh build. -#}
{% macro delete_refresh_scope(scope) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ scope }}
    {%- else -%}
        select 1 as no_refresh_scope_on_a_full_build
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: after a `build` or `run` in which every incremental model of the project succeeded (and the
    identity map was rebuilt), record the watermark and the maps the next build compares against. -#}
{% macro record_incremental_state(results) %}
    {%- if not execute or flags.WHICH not in ['build', 'run'] -%}{{ return('') }}{%- endif -%}
    {%- set required = [] -%}
    {%- set incremental = [] -%}
    {#- dbt-spark's session method never runs a Python model (they need Databricks): on Spark the state follows the
        SQL models alone -#}
    {%- set runs_python = target.type != 'spark' -%}
    {%- for node in graph.nodes.values() -%}
        {%- set runs_here = node.language != 'python' or runs_python -%}
        {%- if node.resource_type == 'model' and node.config.materialized == 'incremental' and runs_here -%}
            {%- do incremental.append(node.unique_id) -%}
        {%- endif -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name and runs_here
            and (node.config.materialized == 'incremental'
                 or node.name in ['identity_customer_identifiers', 'stg_build__as_of']) -%}
            {%- do required.append(node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- a target where the large models are plain tables (Spark without a table format that deletes) has no state -#}
    {%- if not incremental -%}{{ return('') }}{%- endif -%}
    {%- set succeeded = [] -%}
    {%- for result in results -%}
        {%- if result.node.unique_id in required and result.status == 'success' -%}
            {%- do succeeded.append(result.node.unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if succeeded | length < required | length -%}
        {{ log('incremental state: not recorded (' ~ (required | length - succeeded | length)
            ~ ' of the incremental models or their state inputs did not build in this invocation); the next build '
            ~ 'recomputes from the previous watermark', info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set staging = generate_schema_name('staging', none) -%}
    {%- set as_of = api.Relation.create(database=target.database, schema=staging, identifier='stg_build__as_of') -%}
    {%- set identity = api.Relation.create(
        database=target.database, schema=staging, identifier='identity_customer_identifiers') -%}
    {%- set interactions = api.Relation.create(
        database=target.database, schema=staging, identifier='screened_interactions') -%}
    {{ log('incremental state: recording the watermark of invocation ' ~ invocation_id, info=true) }}
    create or replace table {{ incremental_state_relation('state') }} as
    select
        build.loaded_through,
        build.as_of,
        '{{ invocation_id }}' as invocation_id,
        now() as recorded_at
    from {{ as_of }} as build;
    create or replace table {{ incremental_state_relation('identity_snapshot') }} as
    select identity.identity_node, identity.customer_id, identity.customer_key
    from {{ identity }} as identity;
    create or replace table {{ incremental_state_relation('interaction_snapshot') }} as
    select screened.interaction_key, screened.customer_id, screened.customer_key
    from {{ interactions }} as screened;

{% endmacro %}

{#- The materialization of the large row-level models: incremental where the warehouse can delete a refresh scope
    (DuckDB), a table rebuilt in full on Apache Spark's plain Parquet tables, which cannot delete rows (a Delta or
    Iceberg table format would; D33). -#}
{% macro incremental_materialization() -%}
    {{- return(adapter.dispatch('incremental_materialization', 'empathy_warehouse')()) -}}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{- return('incremental') -}}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{- return('table') -}}
{%- endmacro %}
