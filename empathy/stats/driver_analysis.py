"""Key drivers of relationship NPS and of CSAT (issue 13, decision D30): which human signals account for how
customers score, read beside how often each happens (an importance-performance grid).

Each survey answer carries the contacts it speaks for (``int_survey_answers_joined_to_contacts``): a CSAT pulse its
own interaction, a relationship NPS answer the customer's contacts in the window before the invitation. The drivers
are each empathy behaviour (the share of those contacts that showed it; 0 or 1 for a pulse), the tough moment,
resolution and handle time, and for CSAT the pulse's own survey items (felt understood, acknowledged my situation,
clear next steps). The relative importance of each (empathy/stats/drivers.py: LMG and Johnson's relative weights,
weighted by the survey's final weight, with a bootstrap over customers) is computed for each outcome: NPS 0-10 and
promoter vs not; CSAT 1-5 and top-two box. Answers without an observed contact have no behaviour shares and are
counted in ``n_rows_dropped_missing``, not estimated. Relative importance describes; it is not a causal effect.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..settings import settings_from_var
from .drivers import COLUMNS as DRIVER_COLUMNS
from .drivers import driver_table

BEHAVIOUR_DRIVERS = ["acknowledge_share", "name_emotion_share", "clarify_need_share", "offer_options_share",
                     "close_loop_share"]
CONTEXT_DRIVERS = ["had_tough_moment", "resolved_share", "handle_time_seconds_mean"]
SURVEY_ITEM_DRIVERS = ["felt_understood", "acknowledged_situation", "clear_next_steps"]
DRIVER_KIND = {**{d: "empathy_behavior" for d in BEHAVIOUR_DRIVERS}, **{d: "context" for d in CONTEXT_DRIVERS},
               **{d: "survey_item" for d in SURVEY_ITEM_DRIVERS}}
NPS_OUTCOMES = ["nps", "is_promoter"]
CSAT_OUTCOMES = ["csat", "is_csat_top2"]
COLUMNS = ["outcome", "driver_kind", *DRIVER_COLUMNS]


@dataclass(frozen=True)
class DriverSettings:
    """Var ``nps_drivers`` (the contact window is read by the SQL model)."""

    bootstrap_replicates: int = 200
    seed: int = 20261127
    min_respondents: int = 50
    contact_window_days: int = 90

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "DriverSettings":
        return settings_from_var(cls, config)


def survey_drivers(answers: pd.DataFrame, weights: pd.DataFrame, survey_type: str, outcomes: list[str],
                   drivers: list[str], settings: DriverSettings) -> pd.DataFrame:
    """Driver rows of one survey: its answers with their final weight (an answer without one is counted as
    dropped), each outcome's LMG and relative weights with a bootstrap clustered by customer."""
    frame = answers[answers["survey_type"] == survey_type].merge(
        weights[["invitation_id", "final_weight"]], on="invitation_id", how="left")
    tables = []
    for outcome in outcomes:
        table = driver_table(frame, outcome, drivers, "final_weight", n_boot=settings.bootstrap_replicates,
                             seed=settings.seed, min_rows=settings.min_respondents, cluster="customer_key")
        table.insert(0, "driver_kind", table["driver"].map(DRIVER_KIND))
        table.insert(0, "outcome", outcome)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)[COLUMNS]


def nps_drivers(answers: pd.DataFrame, weights: pd.DataFrame, settings: DriverSettings) -> pd.DataFrame:
    """Drivers of relationship NPS (0-10 and promoter) among answers with an observed contact in the window."""
    return survey_drivers(answers, weights, "relationship_nps", NPS_OUTCOMES, BEHAVIOUR_DRIVERS + CONTEXT_DRIVERS,
                          settings)


def csat_drivers(answers: pd.DataFrame, weights: pd.DataFrame, settings: DriverSettings) -> pd.DataFrame:
    """Drivers of CSAT (1-5 and top-two box) among pulses whose interaction was observed."""
    return survey_drivers(answers, weights, "csat_pulse", CSAT_OUTCOMES,
                          BEHAVIOUR_DRIVERS + CONTEXT_DRIVERS + SURVEY_ITEM_DRIVERS, settings)
