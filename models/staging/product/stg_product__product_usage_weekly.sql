with

source as (

    select * from {{ source('product', 'product_usage_weekly') }}

),

typed as (

    select
        {{ normalize_id('source.account_id') }} as account_id,
        try_cast(cast(source.week_start as {{ varchar_type() }}) as date) as week_start,
        cast(source.active_days as integer) as active_days,
        cast(source.key_actions as bigint) as key_actions,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['account_id', 'week_start'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            [isodow('typed.week_start') ~ ' != 1', 'week_start_not_monday'],
            ['typed.active_days is null or typed.active_days not between 0 and 7', 'active_days_out_of_range'],
            ['typed.key_actions is null or typed.key_actions < 0', 'invalid_key_actions'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
