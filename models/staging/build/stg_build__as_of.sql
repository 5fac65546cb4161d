{#- The build's as-of instant: the var `as_of` when set, else the latest `_loaded_at` over every raw table, read
    straight from the sources like the delivered-row counts, so the same raw data always builds the same warehouse
    whatever the calendar day. `loaded_through` (the latest `_loaded_at` whatever the var says) is the watermark
    of the incremental models (D33). -#}
with

loads as (

    {#- the distinct raw values first (a load stamps many rows alike), then each converted once: the same maximum
        in any of the contract's timestamp forms, without formatting and parsing every row of a large table -#}
    {% for raw in raw_tables() %}
        select max({{ to_utc('loaded._loaded_at') }}) as max_loaded_at
        from (
            select distinct delivered._loaded_at
            from {{ source(raw.source, raw.table) }} as delivered
        ) as loaded
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {% if var('as_of', '') -%}
        {#- an aggregate, so that the set var gives one row like the default does -#}
        max(cast('{{ var("as_of") }}' as timestamp)) as as_of,
        'var' as as_of_source
        {%- else -%}
            max(loads.max_loaded_at) as as_of,
            'latest_loaded_at' as as_of_source
        {%- endif %},
        max(loads.max_loaded_at) as loaded_through
    from loads

)

select * from final
