"""Assignment health of every registered experiment: one row per experiment and check (sample ratio mismatch on
units and on interactions, balance of pre-period unit covariates, contamination, exposure), with a status.
Method: empathy/stats/experiment_analysis.py (experiment_health); decisions: docs/decisions.md D25."""
import json

from empathy.frames import sorted_frame
from empathy.stats.experiment_analysis import ExperimentSettings, experiment_health
from empathy.vocabulary import EXPERIMENTS, to_vocabulary


def model(dbt, session):
    settings = ExperimentSettings.from_config(json.loads(dbt.config.get("experiment_settings")))
    registrations = sorted_frame(dbt.ref("mart_experiment_registry"))
    units = sorted_frame(dbt.ref("fct_experiment_units"))
    interactions = sorted_frame(dbt.ref("fct_experiment_interactions"), columns=[
        "experiment_id", "period", "unit_id", "itt_arm", "is_in_assigned_unit", "agent_id"])
    return to_vocabulary(experiment_health(registrations, units, interactions, settings), EXPERIMENTS)
