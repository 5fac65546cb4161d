{#- Status (`granted` / `revoked`) of a customer's consent for a purpose at an instant, from the consent
    periods (`periods`: the calling model's import CTE of stg_identity__consent_periods), or the project default
    (vars consent_default_<purpose>) when no event precedes the instant. -#}
{% macro consent_status_at(customer_id, purpose, at, periods='consent_periods') -%}
    coalesce(
        (
            select periods.status
            from {{ periods }} as periods
            where periods.customer_id = {{ customer_id }}
                and periods.purpose = '{{ purpose }}'
                and periods.valid_from <= {{ at }}
                and (periods.valid_to is null or periods.valid_to > {{ at }})
        ),
        '{{ "granted" if var("consent_default_" ~ purpose) == "granted" else "revoked" }}'
    )
{%- endmacro %}
