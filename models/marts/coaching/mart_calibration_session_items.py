"""The interactions to review together in each calibration session due (mart_reviewer_calibration): per reviewer
and month, the scored items furthest from the colleagues' mean (empathy/stats/calibration.py; D31). Keys and
scores only, no text."""
import json

from empathy.frames import sorted_frame
from empathy.stats.calibration import ITEM_COLUMNS, CalibrationSettings, calibration
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    config = json.loads(dbt.config.get("calibration_settings"))
    config["present_min_score"] = int(dbt.config.get("qa_behavior_present_min_score"))
    settings = CalibrationSettings.from_config(config)
    reviews = sorted_frame(dbt.ref("int_qa_reviews_filtered_to_calibration"))
    detections = sorted_frame(dbt.ref("int_interaction_behaviors_observed"),
                              columns=["interaction_key", "behavior_code", "is_detected_in_transcript"])
    _, items = calibration(reviews, detections, settings)
    return to_vocabulary(items, {}, columns=ITEM_COLUMNS)
