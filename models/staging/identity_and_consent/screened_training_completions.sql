{#- Every training completion the source-conformed model kept, with its fate in the identity-and-consent step:
    `quarantined` when its agent is unknown to HR or was set aside as broken, `kept` otherwise (agents are staff,
    not customers: no consent applies). consented_training_completions publishes the kept ones. -#}
with

completions as (

    select * from {{ ref('stg_hr__training_completions') }}
    where row_fate = 'kept'

),

agents as (

    select * from {{ ref('stg_hr__agents') }}

),

with_parent as (

    {{ with_parent_status('completions', 'agents', ['agent_id'], 'is_agent_kept') }}

),

judged as (

    select
        with_parent.*,
        case
            when with_parent.is_agent_kept is null then 'unknown_agent'
            when not with_parent.is_agent_kept then 'agent_quarantined'
        end as set_aside_reason
    from with_parent

),

final as (

    select
        judged.agent_id,
        judged.module_code,
        judged.completed_at,
        judged._loaded_at,
        {{ screened_row_fate('judged.set_aside_reason', 'agent') }} as row_fate,
        judged.set_aside_reason
    from judged

)

select * from final
