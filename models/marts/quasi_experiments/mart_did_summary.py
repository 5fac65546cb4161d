"""Staggered difference-in-differences of the training rollout on the team-month panel: the summary table
(empathy/stats/did_analysis.py; estimators in empathy/stats/did.py; decisions: docs/decisions.md D26)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.did_analysis import COLUMNS, DidSettings, shared_did_tables
from empathy.vocabulary import DID, to_vocabulary


def model(dbt, session):
    settings = DidSettings.from_config(json.loads(dbt.config.get("did_settings")))
    panel = sorted_frame(dbt.ref("fct_team_month_outcomes"))
    tables = shared_did_tables(panel, settings)  # one computation for the three marts (D39)
    table = tables["summary"].copy()
    return to_vocabulary(table, DID, columns=COLUMNS["summary"])
