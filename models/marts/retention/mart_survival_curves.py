"""Kaplan-Meier survival (no voluntary churn) by cohort definition x cohort x exposure group: time in days,
survival (the estimate), 95% CI (exponential Greenwood), at risk, events, censored (empathy/stats/survival.py, lifelines),
and the change of survival since the curve's previous time (never positive: validated)."""
from empathy.frames import sorted_frame
from empathy.stats.survival import kaplan_meier
from empathy.vocabulary import KAPLAN_MEIER, to_vocabulary

CURVE = ["cohort_definition", "cohort", "exposure_group"]


def model(dbt, session):
    cells = sorted_frame(dbt.ref("int_lifelines_grouped_into_cells"))
    curves = kaplan_meier(cells, CURVE, time_col="duration_days", event_col="is_voluntary_churn", count_col="n")
    curves = curves.sort_values([*CURVE, "time"], kind="stable").reset_index(drop=True)
    curves["survival_change"] = curves.groupby(CURVE, dropna=False)["survival"].diff().fillna(0.0)
    return to_vocabulary(curves, KAPLAN_MEIER)
