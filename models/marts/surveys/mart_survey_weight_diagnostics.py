"""Diagnostics of the CSAT pulse weights: per period and overall the Kish design effect, effective sample size,
minimum and maximum weight and share trimmed for every stage; per raked margin the weighted sample share beside
the population share; standardized differences before and after weighting (empathy/survey_estimates.py)."""
from empathy.survey_estimates import pulse_diagnostics, weight_csat_pulses


def model(dbt, session):
    invitations = dbt.ref("int_survey_invitations_joined_to_cells").df()
    margins = dbt.ref("int_pulse_population_margins").df()
    weighted = dbt.ref("fct_csat_pulse_weights").df()
    margin_names = dbt.config.get("weighting_margins").split(",")
    pulses = invitations[invitations["survey_type"] == "csat_pulse"].reset_index(drop=True)
    _, summary = weight_csat_pulses(
        pulses, margins, margin_names,
        response_cells=dbt.config.get("weighting_response_cells").split(","),
        cap_rule=dbt.config.get("weighting_trim_cap_rule"),
        cap_value=float(dbt.config.get("weighting_trim_cap_value")),
    )
    return pulse_diagnostics(weighted, margins, margin_names, summary)
