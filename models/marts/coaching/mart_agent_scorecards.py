"""Agent scorecards: per agent, month and metric, the rate shrunk toward the agent's team by empirical Bayes
(beta-binomial), with its credible interval and the contacts, reviews and survey answers behind it
(empathy/stats/scorecards.py, empathy/stats/shrinkage.py; decisions: docs/decisions.md D31)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.scorecards import COLUMNS, ScorecardSettings, scorecards
from empathy.vocabulary import to_vocabulary


def model(dbt, session):
    settings = ScorecardSettings.from_config(json.loads(dbt.config.get("coaching_settings")))
    cells = sorted_frame(dbt.ref("int_agent_months_counted"))
    return to_vocabulary(scorecards(cells, settings), {}, columns=COLUMNS)
