"""Rater calibration: agreement between QA reviewers on the calibration sample (percent agreement, linear-weighted
Cohen's kappa per reviewer pair, Krippendorff's ordinal alpha), reviewer leniency against the others, and
agreement between the transcript lexicon and QA. Statistics and references: empathy/agreement.py."""
from empathy.agreement import agreement_table


def model(dbt, session):
    calibration = dbt.ref("int_qa_calibration_ratings").df()
    behaviors = dbt.ref("int_interaction_behaviors_observed").df()
    transcript_vs_qa = behaviors.loc[
        behaviors["is_detected_in_transcript"].notna() & behaviors["is_present_in_qa"].notna(),
        ["interaction_key", "behavior_code", "is_detected_in_transcript", "is_present_in_qa"],
    ]
    return agreement_table(calibration, transcript_vs_qa)
