"""Every customer-week scored by the churn-risk models (a landmark model of churn within the horizon and its usage-only
baseline), fitted once on the training sample (int_customer_weeks_sampled_for_training): weekly hazard, probability
of voluntary churn within the horizon, and the full model's top contributions (empathy/stats/churn_risk.py;
decisions: docs/decisions.md D28, D35, D40, D41). The weeks are scored whole customers at a time and written a chunk
at a time: tens of millions of customer-weeks never sit in pandas together."""
import json

from empathy.frames import written_in_chunks
from empathy.stats.churn_risk import ChurnRiskSettings, scored_chunks, training_frame


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    train = training_frame(dbt.ref("int_customer_weeks_sampled_for_training"))
    chunks, _ = scored_chunks(dbt.ref("int_customer_weeks_signalled"), settings, session, train)
    return written_in_chunks(session, "int_customer_weeks_scored", chunks)
