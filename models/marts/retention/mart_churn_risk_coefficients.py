"""Coefficients of the churn-risk models (log-odds of churning within the horizon per standard deviation of each
signal), fitted on the training weeks only (a seeded sample of them above var churn_risk.max_training_weeks;
empathy/stats/churn_risk.py; D28, D35)."""
import json

import pandas as pd

from empathy.frames import sorted_frame
from empathy.stats.churn_risk import FIT_COLUMNS, MODELS, ChurnRiskSettings, coefficient_table, fit_hazard, split_weeks
from empathy.vocabulary import to_vocabulary

COLUMNS = ["model", "feature", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "feature_mean",
           "feature_std_dev", "n_weeks", "n_events", "status"]


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    weeks = sorted_frame(dbt.ref("int_customer_weeks_signalled"), columns=list(FIT_COLUMNS))
    train, _, _ = split_weeks(weeks, settings)
    del weeks
    table = pd.concat([coefficient_table(fit_hazard(train, name)) for name in MODELS], ignore_index=True)
    return to_vocabulary(table, {}, columns=COLUMNS)
