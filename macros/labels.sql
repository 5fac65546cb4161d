{#- Canonical value of a free-text label: raw labels may differ in case and surrounding whitespace and use
    synonyms; the mapping is reference data (seed label_synonyms), not code. Null when unmapped. -#}
{% macro canonical_label(domain, column) -%}
    (
        select synonyms.canonical_label
        from {{ ref('label_synonyms') }} as synonyms
        where synonyms.domain = '{{ domain }}'
            and synonyms.raw_label = lower(trim(cast({{ column }} as varchar)))
    )
{%- endmacro %}
