"""Kaplan-Meier survival (no voluntary churn) by cohort definition x cohort x exposure group: time, survival,
95% CI (exponential Greenwood), at risk, events, censored (empathy/survival.py, lifelines)."""
from empathy.survival import kaplan_meier


def model(dbt, session):
    cells = dbt.ref("int_survival_cells").df()
    return kaplan_meier(cells, ["cohort_definition", "cohort", "exposure_group"], time_col="duration_days",
                        event_col="is_voluntary_churn", count_col="n")
