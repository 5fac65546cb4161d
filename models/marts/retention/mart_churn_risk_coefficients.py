"""Coefficients of the churn-risk models (log-odds of churning within the horizon per standard deviation of each
signal), fitted on the training sample (int_customer_weeks_sampled_for_training: the training landmarks, a seeded
sample of them above var churn_risk.max_training_weeks; empathy/stats/churn_risk.py; D28, D35, D40, D41)."""
import pandas as pd

from empathy.stats.churn_risk import coefficient_table, fit_models, training_frame
from empathy.vocabulary import to_vocabulary

COLUMNS = ["model", "feature", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "feature_mean",
           "feature_std_dev", "n_weeks", "n_events", "status"]


def model(dbt, session):
    train = training_frame(dbt.ref("int_customer_weeks_sampled_for_training"))
    table = pd.concat([coefficient_table(fitted) for fitted in fit_models(train).values()], ignore_index=True)
    return to_vocabulary(table, {}, columns=COLUMNS)
