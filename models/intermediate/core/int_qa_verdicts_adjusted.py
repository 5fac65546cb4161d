"""The QA verdicts the learned detector learns from and is judged against (empathy/stats/detection.py qa_verdicts):
per reviewed interaction x behaviour, the reviewers' mean score before and after removing each reviewer's
leniency (measured on the calibration sample), and whether the behaviour was present."""
from empathy.frames import sorted_frame
from empathy.stats.detection import qa_verdicts


def model(dbt, session):
    return qa_verdicts(sorted_frame(dbt.ref("consented_qa_reviews"),
                                    ["interaction_key", "behavior_code", "reviewer_id", "score"]),
                       sorted_frame(dbt.ref("int_qa_reviews_filtered_to_calibration"),
                                    ["interaction_key", "behavior_code", "reviewer_id", "score"]),
                       float(dbt.config.get("qa_present_min_score")))
