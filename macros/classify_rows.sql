{#-
    Decide the fate of every delivered row of a raw table (raw contract, "General rules" and
    "Accounting for every row"):
      - quarantined, when a key column is missing: the row cannot be matched to anything;
      - superseded, when a later delivery of the same key exists: the latest `updated_at` wins (where the table
        has one), ties broken by the latest `_loaded_at`;
      - quarantined, when the winning delivery fails a check (the first failing check names the reason);
      - kept otherwise.
    Deliveries identical in version and load time are ordered by a hash of their content, so the build is
    deterministic even then.
    The latest delivery wins even when it is invalid: the source's latest word is that the record is broken, so
    the record is quarantined and its older versions superseded rather than silently served stale.

    relation:     the CTE holding typed, normalised rows
    key_columns:  the natural key of the table
    version_order: the order that makes the latest delivery first
    checks:       list of [condition, reason] or [condition, reason, offending_value]; condition true means the
                  row is unusable for that reason; offending_value (an expression, e.g. the raw label) is kept in
                  `quarantine_value` so the build can say which raw values were rejected
-#}
{% macro classify_rows(relation, key_columns, version_order, checks=[]) -%}
    select
        {{ star_exclude(['_invalid_reason', '_invalid_value', '_delivery_rank'], 'checked') }},
        case
            when {% for key in key_columns %}checked.{{ key }} is null{% if not loop.last %} or {% endif %}{% endfor %}
                then 'quarantined'
            when checked._delivery_rank > 1 then 'superseded'
            when checked._invalid_reason is not null then 'quarantined'
            else 'kept'
        end as row_fate,
        case
            {%- for key in key_columns %}
            when checked.{{ key }} is null then 'missing_{{ key }}'
            {%- endfor %}
            when checked._delivery_rank > 1 then null
            else checked._invalid_reason
        end as quarantine_reason,
        case
            when checked._delivery_rank = 1
                {%- for key in key_columns %} and checked.{{ key }} is not null{% endfor %}
                then checked._invalid_value
        end as quarantine_value
    from (
        select
            typed.*,
            {% if checks -%}
            case
                {%- for check in checks %}
                when {{ check[0] }} then '{{ check[1] }}'
                {%- endfor %}
                else null
            end as _invalid_reason,
            case
                {%- for check in checks %}
                when {{ check[0] }} then {% if check | length > 2 %}cast({{ check[2] }} as {{ varchar_type() }}){% else %}cast(null as {{ varchar_type() }}){% endif %}
                {%- endfor %}
                else cast(null as {{ varchar_type() }})
            end as _invalid_value,
            {%- else -%}
            cast(null as {{ varchar_type() }}) as _invalid_reason,
            cast(null as {{ varchar_type() }}) as _invalid_value,
            {%- endif %}
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ version_order }}, {{ row_hash('typed') }}
            ) as _delivery_rank
        from {{ relation }} as typed
    ) as checked
{%- endmacro %}

{#- The rows of `relation` with whether their parent record was kept by its source-conformed model (`parent`: the
    calling screened_ model's import CTE of the parent's stg_ model, every delivered row with its fate, matched on
    key_columns): `<flag>` is null for an unknown parent (reason `unknown_<parent>`) and false for a parent that
    was delivered but quarantined or only superseded (`<parent>_quarantined`). One parent lookup for every child
    table. -#}
{% macro with_parent_status(relation, parent, key_columns, flag) -%}
    select
        {{ relation }}.*,
        parents.is_kept as {{ flag }}
    from {{ relation }}
    left join (
        select
            {% for key in key_columns %}parent.{{ key }},
            {% endfor -%}
            bool_or(parent.row_fate = 'kept') as is_kept
        from {{ parent }} as parent
        where {% for key in key_columns %}parent.{{ key }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
        group by all
    ) as parents
        on {% for key in key_columns %}{{ relation }}.{{ key }} = parents.{{ key }}{% if not loop.last %}
        and {% endif %}{% endfor %}
{%- endmacro %}

{#- The identity-and-consent step's rule for a child row, one for every screened table: the reason the row is set
    aside because of its parent (`unknown_<parent>` when no delivered parent has its key, `<parent>_quarantined`
    when the parent was delivered but not kept, or was itself set aside as an orphan; the parent's own consent
    reason when the parent was excluded for consent), as WHEN branches of the screen's CASE. `is_kept_flag`: the
    column with_parent_status added; `screened_parent`: the alias of the parent's screened_ model. -#}
{% macro parent_set_aside_reason(is_kept_flag, screened_parent, parent) -%}
    when {{ is_kept_flag }} is null then 'unknown_{{ parent }}'
    when not {{ is_kept_flag }} or {{ screened_parent }}.row_fate = 'quarantined' then '{{ parent }}_quarantined'
    when {{ screened_parent }}.row_fate != 'kept' then {{ screened_parent }}.set_aside_reason
{%- endmacro %}

{#- The fate that goes with a screen's set-aside reason: `kept` without one, `quarantined` for an orphan of
    `parent`, `excluded_for_consent` otherwise. -#}
{% macro screened_row_fate(reason, parent) -%}
    case
        when {{ reason }} is null then 'kept'
        when {{ reason }} in ('unknown_{{ parent }}', '{{ parent }}_quarantined') then 'quarantined'
        else 'excluded_for_consent'
    end
{%- endmacro %}
