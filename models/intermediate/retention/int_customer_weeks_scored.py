"""Every customer-week scored by the churn-risk models (a landmark model of churn within the horizon and its usage-only
baseline), fitted once on the training weeks: weekly hazard, probability of voluntary churn within the horizon,
and the full model's top contributions (empathy/stats/churn_risk.py; decisions: docs/decisions.md D28, D35)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.churn_risk import FIT_COLUMNS, ChurnRiskSettings, score_weeks


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    weeks = sorted_frame(dbt.ref("int_customer_weeks_signalled"), columns=list(FIT_COLUMNS))
    scored, _ = score_weeks(weeks, settings)
    return scored
