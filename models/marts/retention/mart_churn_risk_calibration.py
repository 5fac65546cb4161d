"""Calibration of the churn-risk models by risk decile at the horizon: mean predicted probability of voluntary
churn beside the Kaplan-Meier observed probability, customer-landmarks of the out-of-time test period pooled
(empathy/stats/churn_risk.py, risk_evaluation.py; D28, D35)."""
import json

from empathy.stats.churn_risk import ChurnRiskSettings, calibration_table, landmark_followup, followup_frames
from empathy.vocabulary import to_vocabulary

COLUMNS = ["model", "risk_decile", "horizon_weeks", "n_customer_landmarks", "n_events", "min_predicted",
           "max_predicted", "mean_predicted", "observed", "std_error", "ci_lower", "ci_upper", "status"]


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    weeks, scored = followup_frames(dbt.ref("int_customer_weeks_signalled"), dbt.ref("int_customer_weeks_scored"))
    table = calibration_table(landmark_followup(weeks, scored, settings), settings)
    return to_vocabulary(table, {"n_customers": "n_customer_landmarks"}, columns=COLUMNS)
