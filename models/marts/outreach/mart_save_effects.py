"""Save conversations judged by closure, not credits: adjusted comparisons of save rate, acceptance, callbacks,
renewal and money conceded for the closure behaviours, the money conceded and the save scripts, with agent fixed
effects and standard errors clustered by agent, naive estimates beside them, and the script x closure cells
(empathy/stats/save_effects.py; D29)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.save_effects import COLUMNS, SaveSettings, save_effects
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = SaveSettings.from_config(json.loads(dbt.config.get("save_settings")))
    offers = sorted_frame(dbt.ref("mart_save_conversations"))
    return to_vocabulary(save_effects(offers, settings), {}, columns=COLUMNS)
