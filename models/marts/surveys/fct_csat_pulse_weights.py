"""One row per answered CSAT pulse with each weighting stage's weight: design (1/selection probability), the
response propensity and nonresponse-adjusted weight (var survey_weighting.nonresponse_method), raked to the
population of eligible interactions, trimmed and re-raked (final). Margin categories without respondents are pooled
into their nearest neighbour (reported in mart_survey_weight_diagnostics); with no usable response at all the table
is empty. Method and references: empathy/stats/survey_estimates.py, propensity.py, weights.py."""
import json

from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import NoRespondents, WeightingPlan, empty_frame, weight_csat_pulses

COLUMNS = [
    "invitation_id", "interaction_key", "customer_key", "channel", "tough_moment_category", "period",
    "exposure_group", "plan", "segment", "region", "tenure_band", "sampling_stratum", "selection_probability",
    "response_cell", "csat", "is_csat_top2", "felt_understood", "acknowledged_situation", "clear_next_steps",
    "design_weight", "response_propensity", "nonresponse_weight", "raked_weight", "final_weight", "adjustment_cell",
    "trim_cap", "is_trimmed", "trim_rounds", "is_trim_cap_satisfied", "margin_collapses", "raking_status",
]
TEXT = [
    "invitation_id", "interaction_key", "customer_key", "channel", "tough_moment_category", "period",
    "exposure_group", "plan", "segment", "region", "tenure_band", "sampling_stratum", "response_cell",
    "adjustment_cell", "margin_collapses", "raking_status",
]


def model(dbt, session):
    invitations = dbt.ref("int_survey_invitations_joined_to_cells")
    margins = sorted_frame(dbt.ref("int_pulse_margins_counted"))
    pulses = sorted_frame(invitations.filter("survey_type = 'csat_pulse'"))  # filtered in the engine
    plan = WeightingPlan.from_config(json.loads(dbt.config.get("weighting_plan")))
    try:
        weighted, _ = weight_csat_pulses(pulses, margins, plan)
        weighted = weighted[COLUMNS]
    except NoRespondents:
        weighted = empty_frame(COLUMNS, text=TEXT)
    return weighted
