"""Cox proportional-hazards model of voluntary churn from the first contact after onboarding: per covariate the
coefficient, hazard ratio with 95% CI, p, n, events and concordance, robust (sandwich) errors clustered by
customer, and the proportional-hazards test with a flag where it fails (empathy/stats/survival.py, lifelines batch
algorithm). Customers whose first contact's transcript may not be used have unknown exposure and are left out."""
from empathy.frames import sorted_frame
from empathy.stats.survival import fit_cox
from empathy.vocabulary import COX, to_vocabulary

COVARIATES = [
    "is_first_contact_exposed", "plan", "segment", "tenure_at_first_contact_years",
    "first_contact_issue_type", "first_contact_is_resolved", "first_contact_handle_minutes",
]


def model(dbt, session):
    rows = sorted_frame(dbt.ref("int_lifelines_assembled"))
    rows = rows[rows["is_first_contact_exposed"].notna()].copy()
    rows["is_first_contact_exposed"] = rows["is_first_contact_exposed"].astype(bool)
    rows["first_contact_is_resolved"] = rows["first_contact_is_resolved"].astype(bool)
    rows["tenure_at_first_contact_years"] = rows["tenure_at_first_contact_days"] / 365.25
    rows["first_contact_handle_minutes"] = rows["first_contact_handle_minutes"].fillna(
        rows["first_contact_handle_minutes"].median())
    rows["duration_days"] = rows["duration_days"].clip(lower=0.5)
    result = fit_cox(rows, "duration_days", "is_voluntary_churn", COVARIATES, cluster_col="customer_key",
                     reference_levels={"first_contact_issue_type": "routine"})
    return to_vocabulary(result.table, COX)
