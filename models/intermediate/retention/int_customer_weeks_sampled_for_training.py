"""The training landmarks of the churn-risk models, drawn and labelled once: customer-weeks whose whole horizon ended
before the out-of-time test period and was observed, with their label (voluntary churn within the horizon), a seeded
sample of var churn_risk.max_training_weeks of them when there are more (empathy/stats/churn_risk.py; D35, D40, D41).
The coefficients mart and the customer-week scores both fit on these rows."""
import json

from empathy.stats.churn_risk import ChurnRiskSettings, training_table, training_weeks


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    train, _ = training_weeks(dbt.ref("int_customer_weeks_signalled"), settings, session)
    return training_table(train)
