{#- Identifier normalisation (raw contract, "Identity and privacy"). -#}

{% macro normalize_email(column) -%}
    nullif(lower(trim(cast({{ column }} as {{ varchar_type() }}))), '')
{%- endmacro %}

{#- Digits only; ten digits get the default country code; returned as +<digits>. Fewer than 8 digits is no phone. -#}
{% macro normalize_phone(column) -%}
    {{- return(adapter.dispatch('normalize_phone', 'empathy_warehouse')(column)) -}}
{%- endmacro %}

{% macro default__normalize_phone(column) -%}
    case
        when length(regexp_replace(cast({{ column }} as varchar), '[^0-9]', '', 'g')) < 8 then null
        when length(regexp_replace(cast({{ column }} as varchar), '[^0-9]', '', 'g')) = 10
            then '+{{ var("default_phone_country_code") }}'
            || regexp_replace(cast({{ column }} as varchar), '[^0-9]', '', 'g')
        else '+' || regexp_replace(cast({{ column }} as varchar), '[^0-9]', '', 'g')
    end
{%- endmacro %}

{#- Spark: regexp_replace replaces every match. -#}
{% macro spark__normalize_phone(column) -%}
    case
        when length(regexp_replace(cast({{ column }} as string), '[^0-9]', '')) < 8 then null
        when length(regexp_replace(cast({{ column }} as string), '[^0-9]', '')) = 10
            then '+{{ var("default_phone_country_code") }}'
            || regexp_replace(cast({{ column }} as string), '[^0-9]', '')
        else '+' || regexp_replace(cast({{ column }} as string), '[^0-9]', '')
    end
{%- endmacro %}

{% macro normalize_id(column) -%}
    nullif(trim(cast({{ column }} as {{ varchar_type() }})), '')
{%- endmacro %}

{#- A node of the identity graph: a typed identifier; account ids sort before e-mails before phones, so the root
    of a component is its smallest account id where it has one. -#}
{% macro identity_node(identifier_type, value) -%}
    case
        when {{ value }} is null then null
        when {{ identifier_type }} = 'account_id' then '1|account_id|' || {{ value }}
        when {{ identifier_type }} = 'email' then '2|email|' || {{ value }}
        when {{ identifier_type }} = 'phone' then '3|phone|' || {{ value }}
    end
{%- endmacro %}

{#- Pseudonymous customer key: sha256 of the salt and the resolved customer id. -#}
{% macro customer_key(customer_id) -%}
    {{- return(adapter.dispatch('customer_key', 'empathy_warehouse')(customer_id)) -}}
{%- endmacro %}

{% macro spark__customer_key(customer_id) -%}
    sha2('{{ empathy_salt() }}' || '|' || {{ customer_id }}, 256)
{%- endmacro %}

{% macro default__customer_key(customer_id) -%}
    sha256('{{ empathy_salt() }}' || '|' || {{ customer_id }})
{%- endmacro %}

{% macro empathy_salt() -%}
    {{- env_var('EMPATHY_SALT', 'empathy-demo-salt-not-secret') -}}
{%- endmacro %}

{% macro warn_if_demo_salt() %}
    {%- if execute and env_var('EMPATHY_SALT', '') == '' -%}
        {{ exceptions.warn(
            "\n" ~ "!" * 78 ~ "\n"
            ~ "!! EMPATHY_SALT is not set: customer keys are hashed with the PUBLIC demo salt.\n"
            ~ "!! Anyone can recompute them from an e-mail or account id. Set EMPATHY_SALT to a\n"
            ~ "!! secret before building on real data.\n"
            ~ "!" * 78
        ) }}
    {%- endif -%}
    select 1
{% endmacro %}

{#- Stable, traceable key of an interaction from its natural key (source_system, interaction_id). -#}
{% macro interaction_key(source_system, interaction_id) -%}
    md5({{ source_system }} || '|' || {{ interaction_id }})
{%- endmacro %}

{#- Resolve a row's customer from whichever identifiers it carries (they resolve to one customer, having been
    linked by that very row), preferring the account id, then the e-mail, then the phone. `identifiers` maps an
    identifier type to the row's column; `identifiers_cte` is the import CTE of identity_customer_identifiers.
    customer_id_from(...) gives the expression, join_identifiers(...) the joins it needs. -#}
{% macro join_identifiers(relation, identifiers, identifiers_cte='identifiers') -%}
    {%- for identifier_type, column in identifiers.items() %}
    left join {{ identifiers_cte }} as by_{{ identifier_type }}
        on {{ identity_node("'" ~ identifier_type ~ "'", relation ~ '.' ~ column) }} = by_{{ identifier_type }}.identity_node
    {%- endfor %}
{%- endmacro %}

{% macro customer_id_from(identifiers) -%}
    coalesce({% for identifier_type in identifiers %}by_{{ identifier_type }}.customer_id{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
