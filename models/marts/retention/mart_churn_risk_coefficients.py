"""Coefficients of the churn-risk models (log-odds of churning this week per standard deviation of each signal),
fitted on the training weeks only (empathy/stats/churn_risk.py; D28)."""
import json

import pandas as pd

from empathy.frames import sorted_frame
from empathy.stats.churn_risk import MODELS, ChurnRiskSettings, coefficient_table, fit_hazard, split_weeks
from empathy.vocabulary import to_vocabulary

COLUMNS = ["model", "feature", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "feature_mean",
           "feature_std_dev", "n_weeks", "n_events", "status"]


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    train, _, _ = split_weeks(sorted_frame(dbt.ref("int_customer_weeks_signalled")), settings)
    table = pd.concat([coefficient_table(fit_hazard(train, name)) for name in MODELS], ignore_index=True)
    return to_vocabulary(table, {}, columns=COLUMNS)
