"""Per cohort definition and cohort: the log-rank test between customers whose first contact after onboarding
was acknowledged within 30 seconds and those whose was not, and the restricted mean survival time of each group
up to the var rmst_horizon_days with the difference from the not-acknowledged group (empathy/survival.py)."""
from empathy.frames import sorted_frame
import pandas as pd

from empathy.survival import logrank_by_cohort, rmst_difference

COMPARED = ["acknowledged_within_30s", "not_acknowledged_within_30s"]


def model(dbt, session):
    cells = sorted_frame(dbt.ref("int_survival_cells"))
    cells = cells[cells["exposure_group"].isin(COMPARED)]
    cohorts = ["cohort_definition", "cohort"]
    logrank = logrank_by_cohort(cells, cohorts, "exposure_group", time_col="duration_days",
                                event_col="is_voluntary_churn", count_col="n")
    rmst = rmst_difference(cells, "exposure_group", tau=float(dbt.config.get("rmst_horizon_days")),
                           time_col="duration_days", event_col="is_voluntary_churn", count_col="n",
                           reference_group="not_acknowledged_within_30s", by=cohorts)
    rmst = rmst.rename(columns={
        "group": "exposure_group", "tau": "rmst_horizon_days", "n": "customers", "events": "events",
        "max_time": "max_follow_up_days", "rmst": "rmst_days", "rmst_se": "rmst_se", "rmst_ci_lower": "rmst_ci_lower",
        "rmst_ci_upper": "rmst_ci_upper", "reference_group": "reference_group", "diff": "rmst_difference_days",
        "diff_se": "rmst_difference_se", "diff_ci_lower": "rmst_difference_ci_lower",
        "diff_ci_upper": "rmst_difference_ci_upper", "diff_p": "rmst_difference_p", "status": "rmst_status",
    })
    logrank = logrank.rename(columns={c: f"logrank_{c}" for c in logrank.columns if c not in cohorts})
    return rmst.merge(logrank, on=cohorts, how="left")
