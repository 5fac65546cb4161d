"""One row per answered relationship-NPS invitation with each weighting stage's weight: design (1/selection
probability), the response propensity estimated on the wave's frame of active accounts and the nonresponse-adjusted
weight (var nps_weighting.nonresponse_method), raked within each wave to the frame's margins (var
nps_weighting.margins), trimmed and re-raked (final). Empty when no invitation has been answered
(empathy/stats/survey_estimates.py)."""
import json

from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import NoRespondents, WeightingPlan, empty_frame, weight_relationship_nps

COLUMNS = [
    "invitation_id", "customer_key", "wave", "period", "plan", "segment", "region", "tenure_band",
    "had_tough_moment", "contacts_band", "exposure_group", "sampling_stratum", "selection_probability", "nps",
    "nps_category", "design_weight", "response_propensity", "nonresponse_weight", "raked_weight", "final_weight",
    "adjustment_cell", "trim_cap", "is_trimmed", "trim_rounds", "is_trim_cap_satisfied", "margin_collapses",
    "raking_status",
]
TEXT = ["invitation_id", "customer_key", "wave", "period", "plan", "segment", "region", "tenure_band",
        "contacts_band", "exposure_group", "sampling_stratum", "nps_category", "adjustment_cell", "margin_collapses",
        "raking_status"]


def model(dbt, session):
    frame = sorted_frame(dbt.ref("int_nps_frame_members_described"))
    plan = WeightingPlan.from_config(json.loads(dbt.config.get("weighting_plan")))
    try:
        weighted, _ = weight_relationship_nps(frame, plan)
        weighted = weighted.assign(period=weighted["wave"])[COLUMNS]
    except NoRespondents:
        weighted = empty_frame(COLUMNS, text=TEXT)
    return weighted
