{#- Redact personal data from free text before it leaves staging: e-mail addresses, payment-card numbers
    (13-19 digits, optionally grouped by spaces or dashes) and phone numbers (7+ digits with the usual
    separators). Cards are replaced before phones so a card number is never half-read as a phone. -#}
{% macro redact_pii(column) -%}
    {{- return(adapter.dispatch('redact_pii', 'empathy_warehouse')(column)) -}}
{%- endmacro %}

{% macro default__redact_pii(column) -%}
    {#- every pattern needs a digit or an @: text without either is returned as it is, without the three passes -#}
    case when not regexp_matches(cast({{ column }} as varchar), '[0-9@]') then cast({{ column }} as varchar) else
    regexp_replace(
        regexp_replace(
            regexp_replace(
                cast({{ column }} as varchar),
                '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[EMAIL]', 'g'
            ),
            '\b(?:\d[ -]?){12,18}\d\b', '[CARD]', 'g'
        ),
        '(?:\+?\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}\b', '[PHONE]', 'g'
    ) end
{%- endmacro %}

{#- Spark: the same patterns with backslashes escaped for Spark's string literals; regexp_replace replaces every
    match. -#}
{% macro spark__redact_pii(column) -%}
    case when not cast({{ column }} as string) rlike '[0-9@]' then cast({{ column }} as string) else
    regexp_replace(
        regexp_replace(
            regexp_replace(
                cast({{ column }} as string),
                '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}', '[EMAIL]'
            ),
            '\\b(?:\\d[ -]?){12,18}\\d\\b', '[CARD]'
        ),
        '(?:\\+?\\d{1,3}[ .-]?)?(?:\\(\\d{3}\\)|\\d{3})[ .-]?\\d{3}[ .-]?\\d{4}\\b', '[PHONE]'
    ) end
{%- endmacro %}
