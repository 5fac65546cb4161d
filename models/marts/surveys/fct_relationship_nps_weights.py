"""One row per answered relationship-NPS invitation with its design weight (1/selection probability) and its
nonresponse-adjusted weight within the sampling stratum (final). No raking: the contract defines no population of
accounts to rake to. Empty when no invitation has been answered (empathy/stats/survey_estimates.py)."""
from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import NoRespondents, empty_frame, weight_relationship_nps

COLUMNS = [
    "invitation_id", "customer_key", "period", "segment", "exposure_group", "sampling_stratum",
    "selection_probability", "nps", "nps_category", "design_weight", "nonresponse_weight", "final_weight",
    "adjustment_cell",
]
TEXT = ["invitation_id", "customer_key", "period", "segment", "exposure_group", "sampling_stratum", "nps_category",
        "adjustment_cell"]


def model(dbt, session):
    invitations = sorted_frame(dbt.ref("int_survey_invitations_joined_to_cells"))
    nps = invitations[invitations["survey_type"] == "relationship_nps"].reset_index(drop=True)
    try:
        weighted = weight_relationship_nps(nps)[COLUMNS]
    except NoRespondents:
        weighted = empty_frame(COLUMNS, text=TEXT)
    return weighted
