{#- Incremental (D33): an incremental run re-classifies every delivery of the keys delivered since the watermark. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    pre_hook="{{ delete_refresh_scope(redelivered_scope(source('helpdesk', 'interactions'), 'interactions',
        ['source_system', 'interaction_id'], '_loaded_at')) }}",
) }}

with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('helpdesk', 'interactions') }}
    where {{ redelivered_scope(source('helpdesk', 'interactions'), 'interactions') }}

),

typed as (

    select
        lower({{ normalize_id('source_system') }}) as source_system,
        {{ normalize_id('interaction_id') }} as interaction_id,
        cast(source.channel as {{ varchar_type() }}) as channel_label,
        {{ canonical_label('channel', 'source.channel') }} as channel,
        {{ normalize_id('account_id') }} as account_id,
        {{ normalize_email('customer_email') }} as customer_email,
        {{ normalize_phone('customer_phone') }} as customer_phone,
        {{ normalize_id('agent_id') }} as agent_id,
        lower({{ normalize_id('queue') }}) as queue,
        lower({{ normalize_id('product') }}) as product,
        lower({{ normalize_id('contact_reason') }}) as contact_reason,
        cast(source.is_escalated as boolean) as is_escalated,
        {{ to_utc('source.started_at') }} as started_at,
        {{ to_utc('source.first_agent_response_at') }} as first_agent_response_at,
        {{ to_utc('source.ended_at') }} as ended_at,
        cast(source.is_resolved as boolean) as is_resolved,
        {{ to_utc('source.updated_at') }} as updated_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at,
        source.first_agent_response_at is not null
        and {{ to_utc('source.first_agent_response_at') }} is null as _bad_first_response_at,
        source.ended_at is not null and {{ to_utc('source.ended_at') }} is null as _bad_ended_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['source_system', 'interaction_id'],
        version_order='typed.updated_at desc nulls last, typed._loaded_at desc nulls last',
        checks=[
            ['typed.started_at is null', 'invalid_started_at'],
            ['typed._bad_first_response_at', 'invalid_first_agent_response_at'],
            ['typed._bad_ended_at', 'invalid_ended_at'],
            ['typed.channel is null', 'unmapped_channel', 'typed.channel_label'],
            ['typed.account_id is null and typed.customer_email is null and typed.customer_phone is null',
                'no_customer_identifier'],
            ['typed.agent_id is null', 'missing_agent_id'],
            ['typed.ended_at < typed.started_at', 'ended_before_started'],
            ['typed.first_agent_response_at < typed.started_at', 'first_response_before_start'],
        ]
    ) }}

),

final as (

    select {{ star_exclude(['_bad_first_response_at', '_bad_ended_at']) }} from classified

)

select * from final
