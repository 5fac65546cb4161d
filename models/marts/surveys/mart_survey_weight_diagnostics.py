"""Diagnostics of the survey weights, per survey type: per period (wave) and overall the Kish design effect,
effective sample size, minimum and maximum weight and share trimmed for every stage; per raked margin the weighted
sample share beside the population share; for CSAT pulses the standardized differences before and after weighting
on the margins; for relationship NPS, per wave and frame covariate, the response rates and the standardized
differences of respondents from the frame before and after weighting (empathy/stats/survey_estimates.py)."""
import json

import pandas as pd

from empathy.frames import sorted_frame
from empathy.stats.survey_estimates import DIAGNOSTIC_COLUMNS, empty_frame, nps_diagnostics, pulse_diagnostics
from empathy.vocabulary import WEIGHT_DIAGNOSTICS, to_vocabulary

TEXT = ["survey_type", "diagnostic", "scope", "weight_stage", "margin", "category"]


def model(dbt, session):
    margins = sorted_frame(dbt.ref("int_pulse_margins_counted"))
    pulses = sorted_frame(dbt.ref("fct_csat_pulse_weights"))
    nps = sorted_frame(dbt.ref("fct_relationship_nps_weights"))
    frame = sorted_frame(dbt.ref("int_nps_frame_members_described"))
    pulse_plan = json.loads(dbt.config.get("pulse_weighting_plan"))
    nps_plan = json.loads(dbt.config.get("nps_weighting_plan"))
    ceiling = float(pulse_plan["design_effect_ceiling"])
    parts = []
    if not pulses.empty:
        parts.append(pulse_diagnostics(pulses, margins, pulse_plan["margins"], ceiling))
    if not nps.empty:
        parts.append(nps_diagnostics(nps, frame, nps_plan["margins"], ceiling))
    if parts:
        # all-null columns (no margins for relationship NPS) are left out of the concatenation, then restored
        diagnostics = pd.concat([part.dropna(axis=1, how="all") for part in parts], ignore_index=True)
        diagnostics = diagnostics.reindex(columns=DIAGNOSTIC_COLUMNS)
    else:
        diagnostics = empty_frame(DIAGNOSTIC_COLUMNS, text=TEXT)
    exceeds = (diagnostics["diagnostic"] == "weights") & (diagnostics["kish_design_effect"] > ceiling)
    diagnostics["status"] = exceeds.map({True: "design_effect_above_ceiling", False: "ok"})
    not_raked = [survey for survey, weights in (("csat_pulse", pulses), ("relationship_nps", nps))
                 if not weights.empty and (weights["raking_status"] != "raked").any()]
    diagnostics.loc[(diagnostics["diagnostic"] == "margin") & diagnostics["survey_type"].isin(not_raked),
                    "status"] = "not_raked"
    return to_vocabulary(diagnostics, WEIGHT_DIAGNOSTICS)
