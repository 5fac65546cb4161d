{#- One row per experiment and assigned unit. The intention-to-treat arm is the arm of the unit's first assignment;
    a later assignment to another arm is a switch (contamination), kept visible with its time. -#}
with

assignments as (

    select * from {{ ref('consented_experiment_assignments') }}

),

ordered as (

    select
        assignments.*,
        row_number() over (
            partition by assignments.experiment_id, assignments.unit_id
            order by assignments.assigned_at, assignments.arm
        ) as assignment_order
    from assignments

),

firsts as (

    select
        ordered.experiment_id,
        ordered.unit_type,
        ordered.unit_id,
        ordered.arm as itt_arm,
        ordered.assigned_at as first_assigned_at
    from ordered
    where ordered.assignment_order = 1

),

summarised as (

    select
        ordered.experiment_id,
        ordered.unit_id,
        count(*) as n_assignments,
        {{ arg_max('ordered.arm', 'ordered.assignment_order') }} as latest_arm,
        max(ordered.assigned_at) as last_assigned_at
    from ordered
    group by ordered.experiment_id, ordered.unit_id

),

switches as (

    select
        ordered.experiment_id,
        ordered.unit_id,
        min(ordered.assigned_at) as switched_at
    from ordered
    inner join firsts
        on ordered.experiment_id = firsts.experiment_id and ordered.unit_id = firsts.unit_id
    where ordered.arm != firsts.itt_arm
    group by ordered.experiment_id, ordered.unit_id

),

final as (

    select
        firsts.experiment_id,
        firsts.unit_type,
        firsts.unit_id,
        firsts.itt_arm,
        summarised.latest_arm,
        firsts.first_assigned_at,
        summarised.last_assigned_at,
        summarised.n_assignments,
        switches.switched_at,
        switches.switched_at is not null as has_switched_arm
    from firsts
    inner join summarised
        on firsts.experiment_id = summarised.experiment_id and firsts.unit_id = summarised.unit_id
    left join switches
        on firsts.experiment_id = switches.experiment_id and firsts.unit_id = switches.unit_id

)

select * from final
