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
    decisions = sorted_frame(dbt.ref("mart_at_risk_alerts"))
    decisions["week_start"] = pd.to_datetime(decisions["week_start"])
    weeks = sorted_frame(dbt.ref("int_customer_weeks_signalled"), columns=[
        "customer_key", "week_start", "contacts_during_week", "unresolved_contacts_during_week",
        "is_contact_opted_out", "is_voluntary_churn_in_week", "mrr_at_week_start", "is_week_complete"])
    complete = pd.to_datetime(weeks.loc[weeks["is_week_complete"].astype(bool), "week_start"])
    observed_until = complete.max() + pd.Timedelta(days=7)  # the end of the last complete week
    per_customer = customer_outcomes(decisions, weeks, settings, observed_until)
    return to_vocabulary(alert_outcome_table(per_customer, settings), {}, columns=COLUMNS)
