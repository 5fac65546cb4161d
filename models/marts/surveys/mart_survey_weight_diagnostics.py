"""Diagnostics of the survey weights, per survey type: per period and overall the Kish design effect, effective
sample size, minimum and maximum weight and share trimmed for every stage; for CSAT pulses, per raked margin the
weighted sample share beside the population share and the standardized differences before and after weighting
(empathy/stats/survey_estimates.py)."""
from empathy.frames import sorted_frame
import pandas as pd

from empathy.stats.survey_estimates import DIAGNOSTIC_COLUMNS, empty_frame, nps_diagnostics, pulse_diagnostics
from empathy.vocabulary import WEIGHT_DIAGNOSTICS, to_vocabulary

TEXT = ["survey_type", "diagnostic", "scope", "weight_stage", "margin", "category"]


def model(dbt, session):
    margins = sorted_frame(dbt.ref("int_pulse_margins_counted"))
    pulses = sorted_frame(dbt.ref("fct_csat_pulse_weights"))
    nps = sorted_frame(dbt.ref("fct_relationship_nps_weights"))
    ceiling = float(dbt.config.get("design_effect_ceiling"))
    parts = []
    if not pulses.empty:
        parts.append(pulse_diagnostics(pulses, margins, dbt.config.get("weighting_margins").split(","), ceiling))
    if not nps.empty:
        parts.append(nps_diagnostics(nps, ceiling))
    if parts:
        # all-null columns (no margins for relationship NPS) are left out of the concatenation, then restored
        diagnostics = pd.concat([part.dropna(axis=1, how="all") for part in parts], ignore_index=True)
        diagnostics = diagnostics.reindex(columns=DIAGNOSTIC_COLUMNS)
    else:
        diagnostics = empty_frame(DIAGNOSTIC_COLUMNS, text=TEXT)
    exceeds = (diagnostics["diagnostic"] == "weights") & (diagnostics["kish_design_effect"] > ceiling)
    diagnostics["status"] = exceeds.map({True: "design_effect_above_ceiling", False: "ok"})
    return to_vocabulary(diagnostics, WEIGHT_DIAGNOSTICS)
