"""One row per answered CSAT pulse with each weighting stage's weight: design (1/selection probability),
nonresponse-adjusted within response cells, raked to the population of eligible interactions, and trimmed and
re-raked (final). Margin categories without respondents are pooled into their nearest neighbour (reported in
mart_survey_weight_diagnostics); with no usable response at all the table is empty. Method and references:
empathy/stats/weights.py, empathy/stats/survey_estimates.py."""
from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import NoRespondents, empty_frame, weight_csat_pulses

COLUMNS = [
    "invitation_id", "interaction_key", "customer_key", "channel", "tough_moment_category", "period",
    "exposure_group", "sampling_stratum", "selection_probability", "response_cell", "csat",
    "is_csat_top2", "felt_understood", "acknowledged_situation", "clear_next_steps",
    "design_weight", "nonresponse_weight", "raked_weight", "final_weight", "adjustment_cell", "trim_cap",
    "is_trimmed", "trim_rounds", "is_trim_cap_satisfied", "margin_collapses",
]
TEXT = [
    "invitation_id", "interaction_key", "customer_key", "channel", "tough_moment_category", "period",
    "exposure_group", "sampling_stratum", "response_cell", "adjustment_cell", "margin_collapses",
]


def model(dbt, session):
    invitations = sorted_frame(dbt.ref("int_survey_invitations_joined_to_cells"))
    margins = sorted_frame(dbt.ref("int_pulse_margins_counted"))
    pulses = invitations[invitations["survey_type"] == "csat_pulse"].reset_index(drop=True)
    try:
        weighted, _ = weight_csat_pulses(
            pulses,
            margins,
            margin_names=dbt.config.get("weighting_margins").split(","),
            response_cells=dbt.config.get("weighting_response_cells").split(","),
            cap_rule=dbt.config.get("weighting_trim_cap_rule"),
            cap_value=float(dbt.config.get("weighting_trim_cap_value")),
        )
        weighted = weighted[COLUMNS]
    except NoRespondents:
        weighted = empty_frame(COLUMNS, text=TEXT)
    return weighted
