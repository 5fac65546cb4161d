{#- Labels are compared by label_key (case, whitespace and separators ignored): two seed rows of one domain whose
    raw labels share a key must map to the same canonical label, or a raw label would map by chance. -#}
with

synonyms as (

    select * from {{ ref('label_synonyms') }}

),

final as (

    select
        synonyms.domain,
        {{ label_key('synonyms.raw_label') }} as label_key,
        count(distinct synonyms.canonical_label) as canonical_labels_count
    from synonyms
    group by synonyms.domain, {{ label_key('synonyms.raw_label') }}
    having count(distinct synonyms.canonical_label) > 1

)

select * from final
