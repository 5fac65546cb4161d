{#-
    Identity resolution (raw contract, "Identity and privacy"): account ids, normalised e-mails and normalised
    phones that appear together on a CRM record, an interaction or a survey invitation belong to one customer.
    The customers are the connected components of that graph; a component's root (its smallest node, account ids
    first) is the customer_id. Consent events add their identifier as a node, so an e-mail that only ever gave
    consent is a customer of its own until a record links it.
-#}
with

customers as (

    select * from {{ ref('stg_crm__customers') }}
    where row_fate = 'kept'

),

interactions as (

    select * from {{ ref('stg_helpdesk__interactions') }}
    where row_fate = 'kept'

),

invitations as (

    select * from {{ ref('stg_surveys__survey_invitations') }}
    where row_fate = 'kept'

),

consent_events as (

    select * from {{ ref('stg_consent__consent_events') }}
    where row_fate = 'kept'

),

record_nodes as (

    select
        {{ identity_node("'account_id'", 'customers.account_id') }} as account_node,
        {{ identity_node("'email'", 'customers.email') }} as email_node,
        {{ identity_node("'phone'", 'customers.phone') }} as phone_node
    from customers

    union all

    select
        {{ identity_node("'account_id'", 'interactions.account_id') }} as account_node,
        {{ identity_node("'email'", 'interactions.customer_email') }} as email_node,
        {{ identity_node("'phone'", 'interactions.customer_phone') }} as phone_node
    from interactions

    union all

    select
        {{ identity_node("'account_id'", 'invitations.account_id') }} as account_node,
        {{ identity_node("'email'", 'invitations.customer_email') }} as email_node,
        null as phone_node
    from invitations

),

distinct_records as (

    select distinct
        record_nodes.account_node,
        record_nodes.email_node,
        record_nodes.phone_node
    from record_nodes

),

edges as (

    select distinct
        pairs.node_from,
        pairs.node_to
    from distinct_records
    {{ lateral_rows('distinct_records', [
        ['distinct_records.account_node', 'distinct_records.email_node'],
        ['distinct_records.email_node', 'distinct_records.account_node'],
        ['distinct_records.account_node', 'distinct_records.phone_node'],
        ['distinct_records.phone_node', 'distinct_records.account_node'],
        ['distinct_records.email_node', 'distinct_records.phone_node'],
        ['distinct_records.phone_node', 'distinct_records.email_node'],
    ], 'pairs', ['node_from', 'node_to']) }}
    where pairs.node_from is not null and pairs.node_to is not null

),

nodes as (

    select distinct all_nodes.node
    from (
        select distinct_records.account_node as node from distinct_records
        union all
        select distinct_records.email_node as node from distinct_records
        union all
        select distinct_records.phone_node as node from distinct_records
        union all
        select {{ identity_node('consent_events.identifier_type', 'consent_events.identifier_value') }} as node
        from consent_events
    ) as all_nodes
    where all_nodes.node is not null

),

reachable as (

    {{ component_roots('nodes', 'edges') }}

),

final as (

    select
        reachable.node as identity_node,
        split_part(reachable.node, '|', 2) as identifier_type,
        split_part(reachable.node, '|', 3) as identifier_value,
        reachable.customer_id,
        {{ customer_key('reachable.customer_id') }} as customer_key
    from reachable

)

select * from final
