"""Effects of every registered experiment on every pre-registered metric, overall and in each pre-registered
subgroup: intention to treat by assigned unit, clustered on the unit (CR1 and the CR3 small-cluster correction),
randomisation-inference p-values, a CUPED estimate, Holm and Benjamini-Hochberg adjusted p-values, guardrail and
equity flags. Method: empathy/stats/experiment_analysis.py (experiment_results); decisions: docs/decisions.md D25."""
import json

from empathy.frames import key_ordered_frame, sorted_frame
from empathy.stats.experiment_analysis import ExperimentSettings, experiment_columns, experiment_results
from empathy.vocabulary import EXPERIMENTS, to_vocabulary


def model(dbt, session):
    settings = ExperimentSettings.from_config(json.loads(dbt.config.get("experiment_settings")))
    registrations = sorted_frame(dbt.ref("mart_experiment_registry"))
    metrics = sorted_frame(dbt.ref("int_experiment_metrics_listed"))
    fact = dbt.ref("fct_experiment_interactions")  # only the columns the analysis reads reach pandas (D40)
    interactions = key_ordered_frame(fact, experiment_columns(fact.columns, metrics),
                                     ["experiment_id", "interaction_key"])
    customers = sorted_frame(dbt.ref("fct_experiment_customers"))
    return to_vocabulary(experiment_results(registrations, metrics, interactions, customers, settings), EXPERIMENTS)
