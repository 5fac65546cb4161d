with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('experiments', 'experiment_assignments') }}

),

registry as (

    select * from {{ ref('experiment_registry') }}

),

typed as (

    select
        {{ normalize_id('source.experiment_id') }} as experiment_id,
        {{ canonical_label('unit_type', 'source.unit_type') }} as unit_type,
        lower({{ normalize_id('source.unit_id') }}) as unit_id,
        lower({{ normalize_id('source.arm') }}) as arm,
        {{ to_utc('source.assigned_at') }} as assigned_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

with_registry as (

    select
        typed.*,
        registry.experiment_id is not null as _is_registered,
        registry.unit_type as _registered_unit_type,
        registry.arms as _registered_arms
    from typed
    left join registry
        on typed.experiment_id = registry.experiment_id

),

classified as (

    {{ classify_rows(
        relation='with_registry',
        key_columns=['experiment_id', 'unit_type', 'unit_id', 'assigned_at'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['not typed._is_registered', 'unregistered_experiment'],
            ['typed.unit_type != typed._registered_unit_type', 'unit_type_not_registered'],
            ["typed.arm is null or not " ~ list_function('list_contains') ~ "(" ~ split_to_list('typed._registered_arms', '|')
                ~ ", typed.arm)",
                'arm_not_registered'],
            ['typed.assigned_at is null', 'invalid_assigned_at'],
        ]
    ) }}

),

final as (

    select {{ star_exclude(['_is_registered', '_registered_unit_type', '_registered_arms']) }} from classified

)

select * from final
