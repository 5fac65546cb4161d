{#- The comparison key of a free-text label: lower case, without surrounding whitespace and without separators
    (spaces, hyphens, underscores), so that `Live Chat`, `live-chat`, `live_chat` and `LIVECHAT` are one label.
    Applied to both sides of the seed lookup: the seed may spell its raw labels either way. -#}
{% macro label_key(expression) -%}
    {{- return(adapter.dispatch('label_key', 'empathy_warehouse')(expression)) -}}
{%- endmacro %}

{% macro default__label_key(expression) -%}
    regexp_replace(lower(trim(cast({{ expression }} as varchar))), '[\s_-]+', '', 'g')
{%- endmacro %}

{#- Spark: regexp_replace replaces every match; a backslash in a string literal is escaped. -#}
{% macro spark__label_key(expression) -%}
    regexp_replace(lower(trim(cast({{ expression }} as string))), '[\\s_-]+', '')
{%- endmacro %}

{#- Canonical value of a free-text label: raw labels differ in case, whitespace and separators (label_key) and use
    synonyms; the mapping is reference data (seed label_synonyms, passed as the calling model's import CTE), not
    code. Null when unmapped. -#}
{% macro canonical_label(domain, column, synonyms='label_synonyms') -%}
    (
        select min(synonyms.canonical_label)
        from {{ synonyms }} as synonyms
        where synonyms.domain = '{{ domain }}'
            and {{ label_key('synonyms.raw_label') }} = {{ label_key(column) }}
    )
{%- endmacro %}
