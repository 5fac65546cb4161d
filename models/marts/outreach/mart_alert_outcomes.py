"""What the alerts did: alerted against held-out customers over the outcome window (later contacts, resolution,
contact opt-outs, voluntary churn, change in recurring revenue), the difference with a Welch interval
(empathy/outreach.py; D28)."""
import json

import pandas as pd

from empathy.frames import sorted_frame
from empathy.outreach import AlertSettings, alert_outcome_table, customer_outcomes
from empathy.vocabulary import to_vocabulary

COLUMNS = ["outcome", "description", "outcome_window_days", "n_customers_alerted", "n_customers_held_out",
           "mean_alerted", "mean_held_out", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "status"]


def model(dbt, session):
    settings = AlertSettings.from_config(json.loads(dbt.config.get("alert_settings")))
    alerts = dbt.ref("mart_at_risk_alerts")
    decisions = sorted_frame(alerts)
    decisions["week_start"] = pd.to_datetime(decisions["week_start"])
    signalled = dbt.ref("int_customer_weeks_signalled")
    last_complete = signalled.filter("is_week_complete").aggregate("max(week_start)").fetchone()[0]
    observed_until = pd.Timestamp(last_complete) + pd.Timedelta(days=7)  # the end of the last complete week
    # Only the weeks of selected customers reach pandas (customer_outcomes reads no other, D35).
    selected = alerts.filter("is_selected").project("customer_key").distinct()
    weeks = sorted_frame(signalled.join(selected, "customer_key", how="semi"), columns=[
        "customer_key", "week_start", "contacts_during_week", "unresolved_contacts_during_week",
        "is_contact_opted_out", "is_voluntary_churn_in_week", "mrr_at_week_start", "is_week_complete"])
    per_customer = customer_outcomes(decisions, weeks, settings, observed_until)
    return to_vocabulary(alert_outcome_table(per_customer, settings), {}, columns=COLUMNS)
