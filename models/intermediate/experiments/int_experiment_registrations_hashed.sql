{#- The experiment registry, typed, with the content hash of each registration (the same hash as
    empathy/registry.py: the registered fields in seed order, empty for none, joined by 0x1F, MD5) and what is wrong
    with it, if anything. The hash covers every seed column but the recorded one, so a column added to the registry
    is covered too. Without the seed's columns (compiling with no warehouse, e.g. the SQL linter) the hash is of
    nothing, so it can only disagree with the recorded one, never agree by accident. -#}
{%- set hashed_parts = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(ref('experiment_registry')) -%}
        {%- if column.name != 'registration_hash' -%}
            {%- do hashed_parts.append("coalesce(registry." ~ column.name ~ "::" ~ varchar_type() ~ ", '')") -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{#- List functions as the engine spells them (macros/dialect.sql). -#}
{%- set empty_list = list_open() ~ list_close() -%}
{%- set list_transform = list_function('list_transform') -%}
{%- set list_contains = list_function('list_contains') -%}
{%- set list_length = list_function('len') -%}
with

registry as (

    select * from {{ ref('experiment_registry') }}

),

hashed as (

    select
        registry.*,
        md5(concat_ws(chr(31), {{ hashed_parts | join(', ') if hashed_parts else "''" }})) as registration_hash_computed
    from registry

),

typed as (

    select
        hashed.experiment_id,
        hashed.hypothesis,
        hashed.unit_type,
        {{ split_to_list('hashed.arms', '|') }} as arms,
        {{ list_transform }}({{ split_to_list('hashed.allocation', '|') }}, share -> try_cast(share as double))
            as allocation,
        hashed.primary_metric,
        coalesce({{ split_to_list("nullif(hashed.secondary_metrics, '')", '|') }}, {{ empty_list }})
            as secondary_metrics,
        coalesce({{ split_to_list("nullif(hashed.guardrail_metrics, '')", '|') }}, {{ empty_list }})
            as guardrail_metrics,
        coalesce({{ split_to_list("nullif(hashed.subgroups, '')", '|') }}, {{ empty_list }}) as subgroups,
        hashed.estimator,
        coalesce({{ split_to_list("nullif(hashed.covariates, '')", '|') }}, {{ empty_list }}) as covariates,
        try_cast(hashed.minimum_detectable_effect as double) as minimum_detectable_effect,
        try_cast(hashed.analysis_window_start as date) as analysis_window_start,
        try_cast(hashed.analysis_window_end as date) as analysis_window_end,
        coalesce(try_cast(hashed.pre_period_days as integer), 0) as pre_period_days,
        nullif(hashed.intervention_module_code, '') as intervention_module_code,
        try_cast(hashed.registered_at as timestamp) as registered_at,
        hashed.registration_hash as registration_hash_recorded,
        hashed.registration_hash_computed
    from hashed

),

checked as (

    select
        typed.*,
        {{ list_function('list_filter') }}({{ list_open() }}
            case when typed.analysis_window_start is null or typed.analysis_window_end is null
                    or typed.analysis_window_end < typed.analysis_window_start
                    then 'invalid_analysis_window'
            end,
            case when typed.registered_at is null then 'invalid_registered_at' end,
            case when not {{ list_contains }}(typed.arms, 'control') then 'no_control_arm' end,
            case when {{ list_length }}(typed.allocation) != {{ list_length }}(typed.arms)
                    or {{ list_contains }}(
                        {{ list_transform }}(typed.allocation, share -> share is null or share <= 0), true
                    )
                    or abs({{ list_sum('typed.allocation') }} - 1) > 1e-6
                    then 'invalid_allocation'
            end,
            case when typed.estimator is distinct from 'itt_cluster_ols' then 'estimator_not_supported' end
        {{ list_close() }}, problem -> problem is not null) as registration_problems
    from typed

),

final as (

    select
        checked.*,
        {{ date_as_timestamp('checked.analysis_window_start') }} - {{ interval_of('checked.pre_period_days', 'days') }}
            as pre_period_start,
        {{ date_as_timestamp('checked.analysis_window_end') }} + interval 1 day as analysis_window_end_exclusive
    from checked

)

select * from final
