"""Evaluator calibration per QA reviewer and month: leniency against colleagues on the same work, weighted kappa
against peers and kappa against the transcript detector, drift against earlier months, and whether a calibration
session is due (empathy/stats/calibration.py; decisions: docs/decisions.md D31). The session's interactions are in
mart_calibration_session_items."""
import json

from empathy.frames import sorted_frame, with_keys_in
from empathy.stats.calibration import COLUMNS, CalibrationSettings, calibration
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    config = json.loads(dbt.config.get("calibration_settings"))
    config["present_min_score"] = int(dbt.config.get("qa_behavior_present_min_score"))
    settings = CalibrationSettings.from_config(config)
    calibrated = dbt.ref("int_qa_reviews_filtered_to_calibration")
    reviews = sorted_frame(calibrated)
    observed = dbt.ref("int_interaction_behaviors_observed")
    # only the reviewed interactions' detections reach pandas (a left join onto the reviews reads nothing else)
    detections = sorted_frame(with_keys_in(observed, calibrated),
                              columns=["interaction_key", "behavior_code", "is_detected_in_transcript"])
    return to_vocabulary(calibration(reviews, detections, settings), {}, columns=COLUMNS)
