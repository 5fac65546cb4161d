"""Per cohort definition and cohort: the restricted mean survival time of customers whose first contact after
onboarding was exposed (var exposure; by default acknowledged within 30 seconds) and of those whose was not, up to
var rmst_horizon_days, the difference from the unexposed group (the row's estimate), and the log-rank test between
the two groups
(empathy/stats/survival.py; names: empathy/vocabulary.py)."""
from empathy.frames import sorted_frame
from empathy.stats.survival import logrank_by_cohort, rmst_difference
from empathy.vocabulary import SURVIVAL_TESTS, to_vocabulary

COHORTS = ["cohort_definition", "cohort"]


def model(dbt, session):
    exposed = dbt.config.get("exposure_name")
    cells = sorted_frame(dbt.ref("int_lifelines_grouped_into_cells"))
    cells = cells[cells["exposure_group"].isin([exposed, f"not_{exposed}"])]
    logrank = logrank_by_cohort(cells, COHORTS, "exposure_group", time_col="duration_days",
                                event_col="is_voluntary_churn", count_col="n")
    rmst = rmst_difference(cells, "exposure_group", tau=float(dbt.config.get("rmst_horizon_days")),
                           time_col="duration_days", event_col="is_voluntary_churn", count_col="n",
                           reference_group=f"not_{exposed}", by=COHORTS)
    logrank = logrank.rename(columns={c: f"logrank_{c}" for c in logrank.columns if c not in COHORTS})
    return to_vocabulary(rmst.merge(logrank, on=COHORTS, how="left"), SURVIVAL_TESTS)
