"""Relationship NPS weighted by design and nonresponse within sampling strata: NPS (% promoters − % detractors)
and promoter and detractor shares, overall and by period, segment and prior exposure to acknowledgment; naive
beside weighted, Taylor-linearised SE and 95% CI (empathy/stats/survey_estimates.py)."""
from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import estimate_table
from empathy.vocabulary import SURVEY_ESTIMATES, to_vocabulary


def model(dbt, session):
    respondents = sorted_frame(dbt.ref("fct_relationship_nps_weights"))
    respondents["is_promoter"] = respondents["nps_category"].map({"promoter": True, "passive": False, "detractor": False})
    respondents["is_detractor"] = respondents["nps_category"].map({"promoter": False, "passive": False, "detractor": True})
    table = estimate_table(
        respondents,
        metrics=[("nps", "nps_category", "nps"), ("promoter_share", "is_promoter", "proportion"),
                 ("detractor_share", "is_detractor", "proportion")],
        groupings=["period", "segment", "exposure_group"],
    )
    return to_vocabulary(table, SURVEY_ESTIMATES)
