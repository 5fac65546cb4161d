"""Relationship NPS weighted by design and nonresponse within sampling strata: NPS (% promoters − % detractors)
and promoter share, overall and by period, segment and prior exposure to acknowledgment; naive beside weighted,
Taylor-linearised SE and 95% CI (empathy/survey_estimates.py)."""
from empathy.survey_estimates import NoRespondents, estimate_table, weight_relationship_nps


def model(dbt, session):
    invitations = dbt.ref("int_survey_invitations_joined_to_cells").df()
    nps = invitations[invitations["survey_type"] == "relationship_nps"].reset_index(drop=True)
    try:
        respondents = weight_relationship_nps(nps)
    except NoRespondents:
        respondents = nps.iloc[0:0].assign(final_weight=[])
    respondents["is_promoter"] = respondents["nps_category"].map({"promoter": True, "passive": False, "detractor": False})
    respondents["is_detractor"] = respondents["nps_category"].map({"promoter": False, "passive": False, "detractor": True})
    return estimate_table(
        respondents,
        metrics=[("nps", "nps", "nps"), ("promoter_share", "is_promoter", "proportion"),
                 ("detractor_share", "is_detractor", "proportion")],
        groupings=["period", "segment", "exposure_group"],
    )
