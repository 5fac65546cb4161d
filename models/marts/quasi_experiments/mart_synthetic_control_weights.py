"""Synthetic control of one adopting team against teams that never adopted: the weights table
(empathy/stats/synthetic_control_analysis.py; estimator in empathy/stats/synthetic_control.py; decisions:
docs/decisions.md D26)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.synthetic_control_analysis import COLUMNS, SyntheticSettings, shared_synthetic_tables
from empathy.vocabulary import SYNTHETIC_CONTROL, to_vocabulary


def model(dbt, session):
    settings = SyntheticSettings.from_config(json.loads(dbt.config.get("synthetic_control_settings")))
    panel = sorted_frame(dbt.ref("fct_team_month_outcomes"))
    tables = shared_synthetic_tables(panel, settings)  # one computation for the three marts (D39)
    table = tables["weights"].copy()
    return to_vocabulary(table, SYNTHETIC_CONTROL, columns=COLUMNS["weights"])
