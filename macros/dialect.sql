{#-
    The SQL dialect seam (docs/decisions.md D36). The models are written for DuckDB; where Apache Spark (dbt-spark)
    spells a construct differently, the model calls one of these macros. Each dispatches on the adapter:
    default__ renders exactly the DuckDB text the model had before, spark__ the Spark SQL equivalent, so the
    DuckDB build compiles to the same SQL as without the seam.
-#}

{#- The unbounded text type of a cast. -#}
{% macro varchar_type() -%}{{ return(adapter.dispatch('varchar_type', 'empathy_warehouse')()) }}{%- endmacro %}
{% macro default__varchar_type() -%}varchar{%- endmacro %}
{% macro spark__varchar_type() -%}string{%- endmacro %}

{#- `<relation>.* exclude (<columns>)`: every column but these. Spark's `* except` takes unqualified names. -#}
{% macro star_exclude(columns, relation=none) -%}
    {{- return(adapter.dispatch('star_exclude', 'empathy_warehouse')(columns, relation)) -}}
{%- endmacro %}
{% macro default__star_exclude(columns, relation) -%}
    {{ relation ~ '.' if relation }}* exclude ({{ columns | join(', ') }})
{%- endmacro %}
{% macro spark__star_exclude(columns, relation) -%}
    {{ relation ~ '.' if relation }}* except ({% for column in columns %}{{ column.split('.')[-1] }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- A string constant: `value` quoted as a SQL literal (DuckDB doubles an apostrophe; Spark reads backslash escapes). -#}
{% macro sql_string(value) -%}{{ return(adapter.dispatch('sql_string', 'empathy_warehouse')(value)) }}{%- endmacro %}
{% macro default__sql_string(value) -%}'{{ value | replace("'", "''") }}'{%- endmacro %}
{% macro spark__sql_string(value) -%}{{ spark_literal(value | string) }}{%- endmacro %}

{#- Does `expression` contain a match of the regular expression `pattern` (a SQL literal)? The matched text
    (the whole match, empty when none). -#}
{% macro regexp_matches(expression, pattern) -%}
    {{- return(adapter.dispatch('regexp_matches', 'empathy_warehouse')(expression, pattern)) -}}
{%- endmacro %}
{% macro default__regexp_matches(expression, pattern) -%}regexp_matches({{ expression }}, {{ pattern }}){%- endmacro %}
{% macro spark__regexp_matches(expression, pattern) -%}regexp_like({{ expression }}, {{ pattern }}){%- endmacro %}

{% macro regexp_match_text(expression, pattern) -%}
    {{- return(adapter.dispatch('regexp_match_text', 'empathy_warehouse')(expression, pattern)) -}}
{%- endmacro %}
{% macro default__regexp_match_text(expression, pattern) -%}regexp_extract({{ expression }}, {{ pattern }}){%- endmacro %}
{% macro spark__regexp_match_text(expression, pattern) -%}regexp_extract({{ expression }}, {{ pattern }}, 0){%- endmacro %}

{#- Calendar difference end - start in `part` units counted as DuckDB's date_diff counts them: boundaries crossed
    (a day boundary at midnight, a second boundary at each whole second), not whole units elapsed. -#}
{% macro date_diff(part, start, end) -%}
    {{- return(adapter.dispatch('date_diff', 'empathy_warehouse')(part, start, end)) -}}
{%- endmacro %}
{% macro default__date_diff(part, start, end) -%}date_diff('{{ part }}', {{ start }}, {{ end }}){%- endmacro %}
{% macro spark__date_diff(part, start, end) -%}
    {%- if part == 'day' -%}datediff(cast({{ end }} as date), cast({{ start }} as date))
    {%- elif part == 'second' -%}(unix_timestamp({{ end }}) - unix_timestamp({{ start }}))
    {%- elif part == 'month' -%}((year({{ end }}) - year({{ start }})) * 12 + month({{ end }}) - month({{ start }}))
    {%- else -%}{{ exceptions.raise_compiler_error("date_diff: part '" ~ part ~ "' has no Spark form") }}
    {%- endif -%}
{%- endmacro %}

{#- An interval of n days, hours or months (DuckDB's to_days / to_hours / to_months). -#}
{% macro interval_of(n, unit) -%}
    {{- return(adapter.dispatch('interval_of', 'empathy_warehouse')(n, unit)) -}}
{%- endmacro %}
{% macro default__interval_of(n, unit) -%}to_{{ unit }}({{ n }}){%- endmacro %}
{% macro spark__interval_of(n, unit) -%}
    {%- set position = {'months': 1, 'days': 3, 'hours': 4}[unit] -%}
    make_interval({% for i in range(7) %}{{ n if i == position else 0 }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- A date plus or minus an interval as a timestamp (DuckDB: date +/- interval is a timestamp; Spark keeps a date). -#}
{% macro date_as_timestamp(expression) -%}
    {{- return(adapter.dispatch('date_as_timestamp', 'empathy_warehouse')(expression)) -}}
{%- endmacro %}
{% macro default__date_as_timestamp(expression) -%}{{ expression }}{%- endmacro %}
{% macro spark__date_as_timestamp(expression) -%}cast({{ expression }} as timestamp){%- endmacro %}

{#- A timestamp after every other one (DuckDB's 'infinity'; Spark has none: the largest timestamp it prints). -#}
{% macro timestamp_infinity() -%}{{ return(adapter.dispatch('timestamp_infinity', 'empathy_warehouse')()) }}{%- endmacro %}
{% macro default__timestamp_infinity() -%}cast('infinity' as timestamp){%- endmacro %}
{% macro spark__timestamp_infinity() -%}timestamp'9999-12-31 23:59:59.999999'{%- endmacro %}

{#- ISO day of the week (Monday 1 .. Sunday 7). -#}
{% macro isodow(expression) -%}{{ return(adapter.dispatch('isodow', 'empathy_warehouse')(expression)) }}{%- endmacro %}
{% macro default__isodow(expression) -%}isodow({{ expression }}){%- endmacro %}
{% macro spark__isodow(expression) -%}extract(dayofweek_iso from {{ expression }}){%- endmacro %}

{#- The value of `expression` on the row with the largest `order_by`. -#}
{% macro arg_max(expression, order_by) -%}
    {{- return(adapter.dispatch('arg_max', 'empathy_warehouse')(expression, order_by)) -}}
{%- endmacro %}
{% macro default__arg_max(expression, order_by) -%}arg_max({{ expression }}, {{ order_by }}){%- endmacro %}
{% macro spark__arg_max(expression, order_by) -%}max_by({{ expression }}, {{ order_by }}){%- endmacro %}

{#- An aggregate over its argument in ascending order (DuckDB: a deterministic floating-point sum; Spark has no
    ordered aggregates: the parity test compares these with a tolerance). -#}
{% macro ordered_aggregate(function, expression) -%}
    {{- return(adapter.dispatch('ordered_aggregate', 'empathy_warehouse')(function, expression)) -}}
{%- endmacro %}
{% macro default__ordered_aggregate(function, expression) -%}{{ function }}({{ expression }} order by {{ expression }}){%- endmacro %}
{% macro spark__ordered_aggregate(function, expression) -%}{{ function }}({{ expression }}){%- endmacro %}

{#- Lists (arrays). -#}
{% macro list_open() -%}{{ return(adapter.dispatch('list_open', 'empathy_warehouse')()) }}{%- endmacro %}
{% macro default__list_open() -%}[{%- endmacro %}
{% macro spark__list_open() -%}array({%- endmacro %}
{% macro list_close() -%}{{ return(adapter.dispatch('list_close', 'empathy_warehouse')()) }}{%- endmacro %}
{% macro default__list_close() -%}]{%- endmacro %}
{% macro spark__list_close() -%}){%- endmacro %}

{% macro split_to_list(expression, separator) -%}
    {{- return(adapter.dispatch('split_to_list', 'empathy_warehouse')(expression, separator)) -}}
{%- endmacro %}
{% macro default__split_to_list(expression, separator) -%}string_split({{ expression }}, '{{ separator }}'){%- endmacro %}
{% macro spark__split_to_list(expression, separator) -%}split({{ expression }}, '[{{ separator }}]'){%- endmacro %}

{% macro list_function(name) -%}{{ return(adapter.dispatch('list_function', 'empathy_warehouse')(name)) }}{%- endmacro %}
{% macro default__list_function(name) -%}{{ name }}{%- endmacro %}
{% macro spark__list_function(name) -%}
    {{- {'list_transform': 'transform', 'list_filter': 'filter', 'list_contains': 'array_contains', 'len': 'size',
        'array_to_string': 'array_join'}[name] -}}
{%- endmacro %}

{% macro list_sum(expression) -%}{{ return(adapter.dispatch('list_sum', 'empathy_warehouse')(expression)) }}{%- endmacro %}
{% macro default__list_sum(expression) -%}list_sum({{ expression }}){%- endmacro %}
{% macro spark__list_sum(expression) -%}
    aggregate(filter({{ expression }}, x -> x is not null), cast(0 as double), (total, x) -> total + x)
{%- endmacro %}

{#- list(expression order by order_by) of the group's rows where `condition` holds (null when none does). -#}
{% macro list_agg_ordered(expression, order_by, condition) -%}
    {{- return(adapter.dispatch('list_agg_ordered', 'empathy_warehouse')(expression, order_by, condition)) -}}
{%- endmacro %}
{% macro default__list_agg_ordered(expression, order_by, condition) -%}
    list({{ expression }} order by {{ order_by }}) filter (where {{ condition }})
{%- endmacro %}
{% macro spark__list_agg_ordered(expression, order_by, condition) -%}
    nullif(
        transform(
            array_sort(collect_list(case when {{ condition }} then struct({{ order_by }} as sort_key, {{ expression }} as item) end)),
            entry -> entry.item
        ),
        array()
    )
{%- endmacro %}

{#- One row per day from start to end (timestamps), as a date column. -#}
{% macro day_series(start, end) -%}
    {{- return(adapter.dispatch('day_series', 'empathy_warehouse')(start, end)) -}}
{%- endmacro %}
{% macro default__day_series(start, end) -%}
        cast(
            unnest(generate_series(
                {{ start }}, {{ end }}, interval 1 day
            )) as date
        )
{%- endmacro %}
{% macro spark__day_series(start, end) -%}
    explode(sequence(cast({{ start }} as date), cast({{ end }} as date), interval 1 day))
{%- endmacro %}

{#- Integer division. -#}
{% macro integer_divide(numerator, denominator) -%}
    {{- return(adapter.dispatch('integer_divide', 'empathy_warehouse')(numerator, denominator)) -}}
{%- endmacro %}
{% macro default__integer_divide(numerator, denominator) -%}{{ numerator }} // {{ denominator }}{%- endmacro %}
{% macro spark__integer_divide(numerator, denominator) -%}{{ numerator }} div {{ denominator }}{%- endmacro %}

{#- A hash of the whole row `alias` (only an order among identical-version deliveries: the text differs by engine). -#}
{% macro row_hash(alias) -%}{{ return(adapter.dispatch('row_hash', 'empathy_warehouse')(alias)) }}{%- endmacro %}
{% macro default__row_hash(alias) -%}md5(cast({{ alias }} as varchar)){%- endmacro %}
{% macro spark__row_hash(alias) -%}md5(to_json(struct({{ alias }}.*))){%- endmacro %}

{#- One row per element of the list `items` (1-based position + offset, element), as two select-list columns. -#}
{% macro list_elements(items, offset, position_column, element_column) -%}
    {{- return(adapter.dispatch('list_elements', 'empathy_warehouse')(items, offset, position_column, element_column)) -}}
{%- endmacro %}
{% macro default__list_elements(items, offset, position_column, element_column) -%}
    generate_subscripts({{ items }}, 1) + {{ offset }} as {{ position_column }},
        unnest({{ items }}) as {{ element_column }}
{%- endmacro %}
{% macro spark__list_elements(items, offset, position_column, element_column) -%}
    inline(transform({{ items }}, (item, i) -> struct(i + 1 + {{ offset }} as {{ position_column }}, item as {{ element_column }})))
{%- endmacro %}
