with

label_synonyms as (

    select * from {{ ref('label_synonyms') }}

),

source as (

    select * from {{ source('surveys', 'survey_invitations') }}

),

typed as (

    select
        {{ normalize_id('source.invitation_id') }} as invitation_id,
        cast(source.survey_type as {{ varchar_type() }}) as survey_type_label,
        {{ canonical_label('survey_type', 'source.survey_type') }} as survey_type,
        lower({{ normalize_id('source.source_system') }}) as source_system,
        {{ normalize_id('source.interaction_id') }} as interaction_id,
        {{ normalize_id('source.account_id') }} as account_id,
        {{ normalize_email('source.customer_email') }} as customer_email,
        lower({{ normalize_id('source.sampling_stratum') }}) as sampling_stratum,
        cast(source.selection_probability as double) as selection_probability,
        {{ to_utc('source.sent_at') }} as sent_at,
        {{ to_utc('source._loaded_at') }} as _loaded_at
    from source

),

classified as (

    {{ classify_rows(
        relation='typed',
        key_columns=['invitation_id'],
        version_order='typed._loaded_at desc nulls last',
        checks=[
            ['typed.survey_type is null', 'unmapped_survey_type', 'typed.survey_type_label'],
            ['typed.selection_probability is null or not (typed.selection_probability > 0 and typed.selection_probability <= 1)',
                'selection_probability_out_of_range'],
            ['typed.sent_at is null', 'invalid_sent_at'],
            ['typed.sampling_stratum is null', 'missing_sampling_stratum'],
            ["typed.survey_type = 'csat_pulse' and (typed.source_system is null or typed.interaction_id is null)",
                'pulse_without_interaction'],
            ["typed.survey_type = 'relationship_nps' and typed.account_id is null and typed.customer_email is null",
                'no_customer_identifier'],
        ]
    ) }}

),

final as (

    select * from classified

)

select * from final
