"""Diagnostics of the CSAT pulse weights: per period and overall the Kish design effect, effective sample size,
minimum and maximum weight and share trimmed for every stage; per raked margin the weighted sample share beside
the population share; standardized differences before and after weighting (empathy/survey_estimates.py)."""
from empathy.survey_estimates import DIAGNOSTIC_COLUMNS, empty_frame, pulse_diagnostics


def model(dbt, session):
    margins = dbt.ref("int_pulse_population_margins").df()
    weighted = dbt.ref("fct_csat_pulse_weights").df()
    if weighted.empty:
        return empty_frame(DIAGNOSTIC_COLUMNS, text=["diagnostic", "scope", "weight_stage", "margin", "category"])
    return pulse_diagnostics(weighted, margins, dbt.config.get("weighting_margins").split(","),
                             design_effect_ceiling=float(dbt.config.get("design_effect_ceiling")))
