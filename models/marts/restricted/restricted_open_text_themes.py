"""The theme and sentiment of every redacted open-text answer (empathy/stats/theme_analysis.py; D30). Restricted: a
row is one customer's answer, so it stays beside the text; marts carry only counts and shares."""
import json

from empathy.frames import sorted_frame
from empathy.stats.theme_analysis import answer_themes
from empathy.stats.themes import ThemeSettings


def model(dbt, session):
    settings = ThemeSettings.from_config(json.loads(dbt.config.get("theme_settings")))
    answers = sorted_frame(dbt.ref("restricted_open_text_answers"),
                           ["response_id", "invitation_id", "survey_type", "customer_key", "responded_at",
                            "answer_text_redacted"])
    named = sorted_frame(dbt.ref("verbatim_theme_names"))
    return answer_themes(answers, named, settings)
