{#- The order that picks a customer's subscription state at a moment: the latest event first, a cancellation before
    another event at the same instant (a same-instant cancel and renewal leaves the customer churned), then the
    event id as the last tie-break. One home for the rule that int_customers_joined_to_subscriptions (state at the
    build's as-of) and int_nps_frame_members_described (state at each wave's reference date) share. -#}
{% macro subscription_state_order(events) -%}
    {{ events }}.event_at desc,
    case {{ events }}.event_type when 'cancelled' then 0 else 1 end,
    {{ events }}.event_id desc
{%- endmacro %}
