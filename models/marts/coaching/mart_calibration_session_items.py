"""The interactions to review together in each calibration session due (mart_reviewer_calibration): per reviewer
and month, the scored items furthest from the colleagues' mean (empathy/stats/calibration.py; D31). Keys and
scores only, no text."""
import json

from empathy.frames import sorted_frame
from empathy.stats.calibration import ITEM_COLUMNS, CalibrationSettings, session_items
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = CalibrationSettings.from_config(json.loads(dbt.config.get("calibration_settings")))
    reviews = sorted_frame(dbt.ref("int_qa_reviews_filtered_to_calibration"))
    sessions = sorted_frame(dbt.ref("mart_reviewer_calibration"),
                            columns=["reviewer_id", "month_start", "is_session_due"])
    return to_vocabulary(session_items(reviews, sessions, settings), {}, columns=ITEM_COLUMNS)
