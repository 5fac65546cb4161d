"""Key drivers of relationship NPS: the relative importance (LMG and Johnson's relative weights, survey-weighted,
customer bootstrap) of each empathy behaviour received in the window before the answer, the tough moment,
resolution and handle time, beside each driver's performance (empathy/stats/driver_analysis.py; D30)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.driver_analysis import COLUMNS, DriverSettings, nps_drivers
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = DriverSettings.from_config(json.loads(dbt.config.get("driver_settings")))
    answers = sorted_frame(dbt.ref("int_survey_answers_joined_to_contacts"))
    weights = sorted_frame(dbt.ref("fct_relationship_nps_weights"), ["invitation_id", "final_weight"])
    return to_vocabulary(nps_drivers(answers, weights, settings), {}, columns=COLUMNS)
