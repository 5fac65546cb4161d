"""Rater calibration: agreement between QA reviewers on the calibration sample (percent agreement, linear-weighted
Cohen's kappa per reviewer pair, Krippendorff's ordinal alpha), reviewer leniency against the others, and
agreement between the transcript lexicon and QA. Statistics and references: empathy/agreement.py."""
from empathy.frames import sorted_frame
from empathy.agreement import agreement_table


def model(dbt, session):
    calibration = sorted_frame(dbt.ref("int_qa_calibration_ratings"))
    transcript_vs_qa = sorted_frame(dbt.ref("int_transcript_qa_behavior_pairs"))
    return agreement_table(calibration, transcript_vs_qa)
