"""Cox model of voluntary churn with time-varying exposure (Andersen-Gill start/stop episodes): the hazard ratio
per empathetic contact received so far (dosage), adjusted for contacts so far, plan, segment and tenure. Covariates
only count the past, so exposure after churn never leaks in (empathy/stats/survival.py: a vectorised Efron fit equal to
lifelines' CoxTimeVaryingFitter and R coxph; model-based standard errors).

Offers and money conceded so far are carried by the episodes but left out of this model on purpose: save offers
are made in the cancellation conversation itself, so they are part of the churn process (a mediator, and on data
where every unaccepted offer is followed by churn they separate the outcome perfectly), not a prior exposure."""
from empathy.frames import sorted_frame
from empathy.stats.survival import fit_cox_time_varying
from empathy.vocabulary import COX, to_vocabulary

COVARIATES = [
    "empathetic_contacts_so_far", "contacts_so_far", "plan", "segment", "tenure_at_first_contact_years",
]


def model(dbt, session):
    episodes = sorted_frame(dbt.ref("int_exposure_episodes_accumulated"), columns=[
        "customer_key", "start_day", "stop_day", "is_voluntary_churn", "empathetic_contacts_so_far", "contacts_so_far",
        "plan", "segment", "tenure_at_first_contact_days"])
    episodes["tenure_at_first_contact_years"] = episodes["tenure_at_first_contact_days"] / 365.25
    episodes["is_voluntary_churn"] = episodes["is_voluntary_churn"].astype(bool)
    table = fit_cox_time_varying(episodes, "customer_key", "start_day", "stop_day", "is_voluntary_churn", COVARIATES)
    return to_vocabulary(table, COX)
