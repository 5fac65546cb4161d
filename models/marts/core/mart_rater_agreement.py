"""Rater calibration: agreement between QA reviewers on the calibration sample (percent agreement, linear-weighted
Cohen's kappa per reviewer pair, Krippendorff's ordinal alpha), reviewer leniency against the others, and
agreement between the transcript lexicon and QA, per behaviour of the empathy_behaviors seed. Statistics and
references: empathy/stats/agreement.py."""
from empathy.stats.agreement import agreement_table
from empathy.frames import sorted_frame
from empathy.vocabulary import AGREEMENT, to_vocabulary


def model(dbt, session):
    behaviors = sorted_frame(dbt.ref("empathy_behaviors")).sort_values(["display_order", "behavior_code"])
    calibration = sorted_frame(dbt.ref("int_qa_reviews_filtered_to_calibration"))
    transcript_vs_qa = sorted_frame(dbt.ref("int_behaviors_paired_with_qa"))
    table = agreement_table(calibration, transcript_vs_qa, behaviors=list(behaviors["behavior_code"]))
    return to_vocabulary(table, AGREEMENT)
