"""Staggered difference-in-differences of the training rollout on the team-month panel: the group time table
(empathy/stats/did_analysis.py; estimators in empathy/stats/did.py; decisions: docs/decisions.md D26)."""
import json

from empathy.frames import sorted_frame
from empathy.shared_results import computed_once
from empathy.stats.did_analysis import COLUMNS, DidSettings, did_tables
from empathy.vocabulary import DID, to_vocabulary


def model(dbt, session):
    settings = DidSettings.from_config(json.loads(dbt.config.get("did_settings")))
    panel = sorted_frame(dbt.ref("fct_team_month_outcomes"))
    # one computation for the marts of the same fits (empathy/shared_results.py, D39)
    tables = computed_once("did_tables", panel, settings,
                           lambda: did_tables(panel, settings, robustness=False))
    table = tables["group_time"].copy()
    return to_vocabulary(table, DID, columns=COLUMNS["group_time"])
