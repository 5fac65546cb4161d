"""Coefficients of the churn-risk models (log-odds of churning within the horizon per standard deviation of each
signal), fitted on the training weeks only (a seeded sample of them above var churn_risk.max_training_weeks;
labelled and drawn in the engine; empathy/stats/churn_risk.py; D28, D35, D40)."""
import json

import pandas as pd

from empathy.stats.churn_risk import ChurnRiskSettings, coefficient_table, fit_models, training_weeks
from empathy.vocabulary import to_vocabulary

COLUMNS = ["model", "feature", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "feature_mean",
           "feature_std_dev", "n_weeks", "n_events", "status"]


def model(dbt, session):
    settings = ChurnRiskSettings.from_config(json.loads(dbt.config.get("churn_risk_settings")))
    train, _ = training_weeks(dbt.ref("int_customer_weeks_signalled"), settings, session)
    table = pd.concat([coefficient_table(fitted) for fitted in fit_models(train).values()], ignore_index=True)
    return to_vocabulary(table, {}, columns=COLUMNS)
