{#- How an interaction meets an experiment's randomisation unit: one home for the mapping (docs/decisions.md D25).
    - queue: the interaction's routing queue (normalised like the assignments' unit_id: trimmed, lower case);
    - team: the handling agent's team in the HR roster (the latest roster row: the roster carries no history);
    - schedule_block: the block of the week in which the interaction started, `<mon..sun>_<HH>` with HH the block's
      first hour, in UTC shifted by var schedule_block_utc_offset_hours, blocks of var schedule_block_hours hours. -#}
{% macro experiment_unit_id(unit_type_column, queue_column, team_column, started_at_column) -%}
    case {{ unit_type_column }}
        when 'queue' then {{ queue_column }}
        when 'team' then {{ team_column }}
        when 'schedule_block' then {{ schedule_block(started_at_column) }}
    end
{%- endmacro %}

{% macro schedule_block(started_at_column) -%}
    {%- set hours = var('schedule_block_hours') | int -%}
    {%- set shifted -%}
        ({{ started_at_column }} + {{ interval_of(var('schedule_block_utc_offset_hours') | int, 'hours') }})
    {%- endset -%}
    {{- adapter.dispatch('schedule_block_label', 'empathy_warehouse')(shifted, hours) -}}
{%- endmacro %}

{% macro default__schedule_block_label(shifted, hours) -%}
    lower(strftime({{ shifted }}, '%a')) || '_'
    || lpad((hour({{ shifted }}) // {{ hours }} * {{ hours }})::varchar, 2, '0')
{%- endmacro %}

{% macro spark__schedule_block_label(shifted, hours) -%}
    lower(date_format({{ shifted }}, 'EEE')) || '_'
    || lpad(cast(div(hour({{ shifted }}), {{ hours }}) * {{ hours }} as string), 2, '0')
{%- endmacro %}

{#- An agent counts as new for var new_agent_days days after hire: at the build (dim_agents) or at a contact. -#}
{% macro is_new_agent(hired_at_column, at_column) -%}
    {{ date_diff('day', hired_at_column, at_column) }} < {{ var('new_agent_days') }}
{%- endmacro %}
