"""Relationship NPS weighted to the accounts active at each wave (response model on the frame, raking within
waves): NPS (% promoters − % detractors) and promoter and detractor shares, overall and by wave, plan, segment and
prior exposure to acknowledgment; naive beside weighted, jackknife replicate standard errors and 95% t intervals
(Taylor-linearised beside them) (empathy/stats/survey_estimates.py)."""
from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import estimate_table, replicate_matrix
from empathy.vocabulary import SURVEY_ESTIMATES, to_vocabulary


def model(dbt, session):
    respondents = sorted_frame(dbt.ref("fct_relationship_nps_weights"))
    replicates = replicate_matrix(respondents, sorted_frame(dbt.ref("fct_relationship_nps_replicate_weights")))
    respondents["is_promoter"] = respondents["nps_category"].map({"promoter": True, "passive": False, "detractor": False})
    respondents["is_detractor"] = respondents["nps_category"].map({"promoter": False, "passive": False, "detractor": True})
    table = estimate_table(
        respondents,
        metrics=[("nps", "nps_category", "nps"), ("promoter_share", "is_promoter", "proportion"),
                 ("detractor_share", "is_detractor", "proportion")],
        groupings=["period", "plan", "segment", "exposure_group"],
        replicates=replicates,
    )
    return to_vocabulary(table, SURVEY_ESTIMATES)
