"""The instrumental-variables mart (mart_iv_estimates): the effect of the empathy behaviours a customer received
(behaviors_count, 0-5) on CSAT top-2 and repeat contact, instrumented by the timing of dated policy changes
(seeds/policy_changes.csv) with month and channel fixed effects, so that a policy's instrument is "its channel,
after its date" against the other channels in the same months. Standard errors are clustered by agent (an agent's
skill moves both the behaviours and the answers); the instrument itself varies by channel x month, and with a
handful of treated channel-months, clustering on those cells under-states the uncertainty badly (a test shows it),
so the design assumes no channel-specific shock in the policy's months beyond the fixed effects. Estimator: empathy/stats/iv.py (2SLS via
linearmodels, first-stage F, overidentification test, OLS beside it); decisions: docs/decisions.md D26.

Exclusion restriction each instrument needs: the policy changes CSAT and repeat contact only through the behaviours
agents show, and nothing else changed in that channel from that month (a new tool, a staffing change, a shift in
why customers call would break it). The overidentification test can only detect policies that disagree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..settings import settings_from_var
from .iv import RESULT_COLUMNS, iv_estimates

ENDOGENOUS = "behaviors_count"
COLUMNS = ["outcome", "instrument_set", *RESULT_COLUMNS]


@dataclass(frozen=True)
class IvSettings:
    """The var `iv` of dbt_project.yml."""
    outcomes: tuple[str, ...] = ("is_csat_top2", "has_repeat_contact")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "IvSettings":
        return settings_from_var(cls, config, tuple_fields=["outcomes"])


def instrument_frame(outcomes: pd.DataFrame, policies: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Interactions with one 0/1 instrument per policy that reached any of them (its channel, on or after its
    date) and month and channel dummies. Returns (frame, instruments, fixed-effect columns)."""
    frame = outcomes.copy()
    started = pd.to_datetime(frame["started_at"])
    frame["month"] = started.dt.strftime("%Y-%m")
    instruments = []
    for policy in policies.itertuples(index=False):
        column = f"policy__{policy.policy_id}"
        frame[column] = ((frame["channel"] == policy.channel)
                         & (started >= pd.Timestamp(policy.effective_date))).astype(float)
        if 0 < frame[column].sum() < len(frame):
            instruments.append(column)
    dummies = pd.get_dummies(frame[["month", "channel"]], drop_first=True, dtype=float)
    frame = pd.concat([frame, dummies], axis=1)
    for column in [ENDOGENOUS]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame, instruments, list(dummies.columns)


def iv_table(outcomes: pd.DataFrame, policies: pd.DataFrame, settings: IvSettings) -> pd.DataFrame:
    """Per outcome: 2SLS with every policy instrument together (overidentified when two or more) and with each alone,
    OLS beside each, clustered by agent."""
    frame, instruments, fixed = instrument_frame(outcomes, policies)
    rows = []
    for outcome in settings.outcomes:
        data = frame.assign(**{outcome: pd.to_numeric(frame[outcome].astype("Float64"), errors="coerce")})
        sets = ([("all", instruments)] if len(instruments) > 1 else []) + [(i.removeprefix("policy__"), [i])
                                                                           for i in instruments]
        if not sets:
            rows.append({"outcome": outcome, "instrument_set": None, "estimator": "2sls", "variable": ENDOGENOUS,
                         "status": "no_policy_reached_the_data"})
            continue
        for name, chosen in sets:
            table = iv_estimates(data, outcome, ENDOGENOUS, chosen, exog=fixed, cluster="agent_id")
            table.insert(0, "instrument_set", name)
            table.insert(0, "outcome", outcome)
            rows += table.to_dict("records")
    return pd.DataFrame(rows, columns=COLUMNS).replace({np.nan: None})
