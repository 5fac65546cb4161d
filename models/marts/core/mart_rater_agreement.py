"""Rater calibration: agreement between QA reviewers on the calibration sample (percent agreement, linear-weighted
Cohen's kappa per reviewer pair, Krippendorff's ordinal alpha), reviewer leniency against the others, and
agreement between the transcript lexicon and QA. Statistics and references: empathy/agreement.py."""
from empathy.agreement import agreement_table


def model(dbt, session):
    calibration = dbt.ref("int_qa_calibration_ratings").df()
    transcript_vs_qa = dbt.ref("int_transcript_qa_behavior_pairs").df()
    return agreement_table(calibration, transcript_vs_qa)
