{#- Item order is rotated upstream; this mart compares each numeric item's mean by the position it was shown at,
    so an order effect is visible (responses of consenting customers, excluded responses left out). -#}
with

responses as (

    select * from {{ ref('consented_survey_responses') }}
    where answer_numeric is not null

),

items as (

    select * from {{ ref('survey_items') }}

),

by_position as (

    select
        responses.item_code,
        responses.item_position,
        count(*) as answers_count,
        {{ ordered_aggregate('avg', 'responses.answer_numeric') }} as mean_answer,
        {{ ordered_aggregate('stddev_samp', 'responses.answer_numeric') }} as sd_answer
    from responses
    group by responses.item_code, responses.item_position

),

by_item as (

    select
        responses.item_code,
        count(*) as item_answers_count,
        {{ ordered_aggregate('avg', 'responses.answer_numeric') }} as item_mean_answer
    from responses
    group by responses.item_code

),

final as (

    select
        by_position.item_code,
        items.construct,
        items.scale_min,
        items.scale_max,
        by_position.item_position,
        by_position.answers_count as n_answers,
        by_position.mean_answer as estimate,
        by_position.sd_answer as answer_std_dev,
        by_position.sd_answer / sqrt(by_position.answers_count) as std_error,
        by_position.mean_answer - 1.959964 * by_position.sd_answer / sqrt(by_position.answers_count) as ci_lower,
        by_position.mean_answer + 1.959964 * by_position.sd_answer / sqrt(by_position.answers_count) as ci_upper,
        by_item.item_mean_answer,
        by_position.mean_answer - by_item.item_mean_answer as deviation_from_item_mean,
        case when by_position.answers_count < 2 then 'too_few_answers' else 'ok' end as status
    from by_position
    inner join by_item
        on by_position.item_code = by_item.item_code
    left join items
        on by_position.item_code = items.item_code

)

select * from final
