with

source as (

    select * from {{ source('crm', 'customers') }}

),

typed as (

    select
        {{ normalize_id('source.account_id') }} as account_id,
        {{ normalize_email('source.email') }} as email,
        {{ normalize_phone('source.phone') }} as phone,
        {{ to_utc('source.signup_at') }} as signup_at,
        lower({{ normalize_id('source.plan') }}) as plan,
        lower({{ normalize_id('source.segment') }}) as segment,
        lower({{ normalize_id('source.region') }}) as region,
        {{ to_utc('source.updated_at') }} as updated_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['account_id'],
        version_order='typed.updated_at desc nulls last, typed._loaded_at desc nulls last',
        checks=[
            ['typed.signup_at is null', 'invalid_signup_at'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
