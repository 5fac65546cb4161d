"""Design-weighted shares of the verbatim themes: relationship NPS answers by category, pulses by CSAT band, both
by quarter, and emerging themes (share change over the last two quarters, z test, Holm)
(empathy/stats/theme_analysis.py; D30)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.theme_analysis import SHARE_COLUMNS, ShareSettings, theme_shares
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = ShareSettings.from_config(json.loads(dbt.config.get("theme_settings")))
    themed = sorted_frame(dbt.ref("restricted_open_text_themes"),
                          ["invitation_id", "survey_type", "customer_key", "responded_at", "assignment_status",
                           "theme_code", "theme_label"])
    answers = sorted_frame(dbt.ref("int_survey_answers_joined_to_contacts"), ["invitation_id", "nps_category", "csat"])
    weights = sorted_frame(dbt.ref("fct_relationship_nps_weights").project("invitation_id, final_weight").union(
        dbt.ref("fct_csat_pulse_weights").project("invitation_id, final_weight")))
    return to_vocabulary(theme_shares(themed, answers, weights, settings), {}, columns=SHARE_COLUMNS)
