"""The at-risk alert policy, week by week: customers selected by weekly capacity (alerted, or held out by a
salted hash of the customer key) or suppressed with the reason (contact opt-out, a conversation in progress, a
recent alert), each with the signals that drove the risk (empathy/outreach.py; D28)."""
import json

from empathy.frames import sorted_frame
from empathy.outreach import DECISION_COLUMNS, AlertSettings, alert_decisions, alert_period_filter


def model(dbt, session):
    settings = AlertSettings.from_config(json.loads(dbt.config.get("alert_settings")))
    scored_relation = dbt.ref("int_customer_weeks_scored")
    weeks_relation = dbt.ref("int_customer_weeks_signalled")
    # Only the alert period's weeks reach pandas (alert_decisions looks at no other, D35).
    period = alert_period_filter(scored_relation, settings)
    if period is not None:
        scored_relation, weeks_relation = scored_relation.filter(period), weeks_relation.filter(period)
    weeks = sorted_frame(weeks_relation, columns=[
        "customer_key", "week_start", "is_contact_opted_out", "has_open_contact"])
    scored = sorted_frame(scored_relation, columns=["customer_key", "week_start", "risk_full", "top_signals"])
    return alert_decisions(weeks.merge(scored, on=["customer_key", "week_start"]), settings)[DECISION_COLUMNS]
