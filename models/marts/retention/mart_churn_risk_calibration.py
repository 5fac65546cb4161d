"""Calibration of the churn-risk models by risk decile at the horizon: mean predicted probability of voluntary
churn beside the Kaplan-Meier observed probability, customer-landmarks of the out-of-time test period pooled
(empathy/stats/churn_risk.py, risk_evaluation.py; D28)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.churn_risk import ChurnRiskSettings, calibration_table, landmark_followup
from empathy.vocabulary import to_vocabulary

COLUMNS = ["model", "risk_decile", "horizon_weeks", "n_customer_landmarks", "n_events", "min_predicted",
           "max_predicted", "mean_predicted", "observed", "std_error", "ci_lower", "ci_upper", "status"]


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    weeks = sorted_frame(dbt.ref("int_customer_weeks_signalled"), columns=[
        "customer_key", "week_start", "is_week_complete", "is_voluntary_churn_in_week", "is_involuntary_churn_in_week"])
    scored = sorted_frame(dbt.ref("int_customer_weeks_scored"))
    table = calibration_table(landmark_followup(weeks, scored, settings), settings)
    return to_vocabulary(table, {"n_customers": "n_customer_landmarks"}, columns=COLUMNS)
