"""Out-of-time evaluation of the churn-risk model against a usage-only baseline: concordance, time-dependent AUC,
Brier score at the horizon and integrated Brier score, per landmark and averaged, with customer-bootstrap
intervals and the difference between the models (empathy/stats/churn_risk.py, risk_evaluation.py; D28, D35)."""
import json

from empathy.stats.churn_risk import ChurnRiskSettings, evaluation_table, landmark_followup, followup_frames
from empathy.vocabulary import to_vocabulary

COLUMNS = ["model", "landmark_week", "metric", "horizon_weeks", "estimate", "std_error", "ci_lower", "ci_upper",
           "n_customers", "n_events", "n_landmarks", "status"]


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    weeks, scored = followup_frames(dbt.ref("int_customer_weeks_signalled"), dbt.ref("int_customer_weeks_scored"))
    followup = landmark_followup(weeks, scored, settings)
    return to_vocabulary(evaluation_table(followup, settings), {}, columns=COLUMNS)
