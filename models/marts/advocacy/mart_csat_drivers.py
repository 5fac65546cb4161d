"""Key drivers of CSAT: the relative importance (LMG and Johnson's relative weights, survey-weighted, customer
bootstrap) of each empathy behaviour of the interaction, its tough moment, resolution and handle time, and the
pulse's own items (felt understood, acknowledged my situation, clear next steps), beside each driver's performance
(empathy/stats/driver_analysis.py; D30)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.driver_analysis import COLUMNS, DriverSettings, csat_drivers
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = DriverSettings.from_config(json.loads(dbt.config.get("driver_settings")))
    answers = sorted_frame(dbt.ref("int_survey_answers_joined_to_contacts"))
    weights = sorted_frame(dbt.ref("fct_csat_pulse_weights"), ["invitation_id", "final_weight"])
    return to_vocabulary(csat_drivers(answers, weights, settings), {}, columns=COLUMNS)
