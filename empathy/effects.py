"""Behaviour effects: the association of each rubric behaviour with CSAT, NPS and churn, beside the effect the
rubric expects (the first draft of a measurement model that predicts change rather than describing it).

For each behaviour and outcome the table holds
* the raw difference in the outcome's mean between interactions with and without the behaviour, with a
  Welch-type normal-approximation 95% CI (difference of two independent means);
* the adjusted effect: the behaviour's coefficient in a linear probability / linear model of the outcome on the
  behaviour, the other behaviours, channel, tough-moment category and resolution status, fitted by OLS with
  standard errors clustered by customer (statsmodels, cluster-robust sandwich, Cameron & Miller 2015), since one
  customer contributes several interactions and the NPS outcome is the customer's next survey answer.
These are associations in observational data adjusted for observed confounders, not causal effects; the
experiment and quasi-experiment marts answer the causal question.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

Z95 = 1.959963984540054

BEHAVIORS = ("acknowledge", "name_emotion", "clarify_need", "offer_options", "close_loop")
TIMED_ACKNOWLEDGMENT = "acknowledge_within_30s"


@dataclass(frozen=True)
class Outcome:
    """An outcome column of the interaction-outcomes mart and how it is expressed."""

    name: str
    column: str
    unit: str
    scale: float  # multiplies the outcome so the effect is in `unit`


OUTCOMES = (
    Outcome("csat_top2", "is_csat_top2", "percentage_points", 100.0),
    Outcome("nps", "next_nps_indicator", "nps_points", 1.0),
    Outcome("voluntary_churn_90d", "is_voluntarily_churned_within_90d", "percentage_points", 100.0),
)
EXPECTED_COLUMNS = {
    "csat_top2": "expected_csat_top2_effect_pp",
    "nps": "expected_nps_effect_points",
    "voluntary_churn_90d": "expected_churn_90d_effect_pp",
}
CONTROLS = ("channel", "tough_moment_category", "resolution_status")
#: Columns of mart_interaction_outcomes that :func:`prepare` reads.
INPUT_COLUMNS = (
    "customer_key", "channel", "tough_moment_category", "is_resolved", "is_acknowledged_within_30s",
    *(f"has_{behavior}" for behavior in BEHAVIORS), "is_csat_top2", "next_nps_category",
    "is_voluntarily_churned_within_90d",
)
RESULT_COLUMNS = [
    "behavior_code", "outcome", "unit", "expected_effect", "n", "n_with_behavior", "mean_with_behavior",
    "mean_without_behavior", "raw_difference", "raw_ci_lower", "raw_ci_upper", "adjusted_effect",
    "adjusted_ci_lower", "adjusted_ci_upper", "adjusted_p_value", "adjusted_for", "customers",
    "is_consistent_with_expectation", "is_expected_within_ci", "status",
]


def prepare(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per-interaction analysis frame from mart_interaction_outcomes columns.

    Adds `next_nps_indicator` (100 for a promoter, 0 passive, -100 detractor: its mean is the NPS) and
    `resolution_status` (resolved / unresolved / unknown), and the timed-acknowledgment flag as a behaviour.
    """
    frame = outcomes.copy()
    frame["next_nps_indicator"] = frame["next_nps_category"].map({"promoter": 100.0, "passive": 0.0, "detractor": -100.0})
    resolved = frame["is_resolved"].astype("boolean")
    frame["resolution_status"] = np.select(
        [resolved.eq(True).fillna(False).to_numpy(bool), resolved.eq(False).fillna(False).to_numpy(bool)],
        ["resolved", "unresolved"],
        "unknown",
    )
    frame["tough_moment_category"] = frame["tough_moment_category"].fillna("routine")
    for behavior in BEHAVIORS:
        frame[behavior] = frame[f"has_{behavior}"].astype("boolean")
    frame[TIMED_ACKNOWLEDGMENT] = frame["is_acknowledged_within_30s"].astype("boolean")
    for outcome in OUTCOMES:
        frame[outcome.column] = pd.to_numeric(frame[outcome.column].astype("Float64"), errors="coerce")
    return frame


def raw_difference(y: np.ndarray, x: np.ndarray) -> tuple[float, float, float, float, float]:
    """Difference of means of y between x=1 and x=0 with a normal-approximation 95% CI.

    Returns (mean_with, mean_without, difference, ci_lower, ci_upper); the variance of each mean is its sample
    variance over n (unequal variances).
    """
    with_b, without_b = y[x == 1], y[x == 0]
    diff = with_b.mean() - without_b.mean()
    se = np.sqrt(with_b.var(ddof=1) / len(with_b) + without_b.var(ddof=1) / len(without_b))
    return with_b.mean(), without_b.mean(), diff, diff - Z95 * se, diff + Z95 * se


def adjusted_effect(frame: pd.DataFrame, outcome: str, exposure: str, covariates: list[str],
                    cluster: str) -> tuple[float, float, float, float]:
    """OLS coefficient of `exposure` on `outcome` adjusted for covariates, with cluster-robust SE.

    Boolean covariates enter as 0/1, text covariates as indicator columns (first level dropped); covariates with
    no variation in the sample are dropped. Returns (effect, ci_lower, ci_upper, p_value).
    """
    numeric = [c for c in covariates if frame[c].dtype == bool or pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in covariates if c not in numeric]
    design = pd.concat(
        [frame[[exposure]].astype(float), frame[numeric].astype(float),
         pd.get_dummies(frame[categorical], drop_first=True, dtype=float)],
        axis=1,
    )
    varying = [c for c in design.columns if c == exposure or design[c].nunique() > 1]
    design = sm.add_constant(design[varying], has_constant="add")
    groups = pd.factorize(frame[cluster])[0]
    fitted = sm.OLS(frame[outcome].astype(float).to_numpy(), design.to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    index = list(design.columns).index(exposure)
    effect, se = float(fitted.params[index]), float(fitted.bse[index])
    return effect, effect - Z95 * se, effect + Z95 * se, float(fitted.pvalues[index])


def behavior_effects(outcomes: pd.DataFrame, behaviors_seed: pd.DataFrame, min_group_size: int = 30) -> pd.DataFrame:
    """One row per behaviour (and the timed acknowledgment) and outcome: expected, raw and adjusted effects.

    Rows whose sample is too small or has no variation carry a `status` and null estimates instead of failing.
    """
    frame = prepare(outcomes)
    expected = behaviors_seed.set_index("behavior_code")
    rows = []
    for behavior in (*BEHAVIORS, TIMED_ACKNOWLEDGMENT):
        others = [b for b in BEHAVIORS if b not in (behavior, "acknowledge" if behavior == TIMED_ACKNOWLEDGMENT else None)]
        seed_code = "acknowledge" if behavior == TIMED_ACKNOWLEDGMENT else behavior
        for outcome in OUTCOMES:
            needed = [outcome.column, behavior, *others, *CONTROLS, "customer_key"]
            sample = frame.dropna(subset=[outcome.column, behavior, *others])[needed]
            y = sample[outcome.column].astype(float).to_numpy() * outcome.scale
            x = sample[behavior].astype(bool).to_numpy()
            expected_effect = (
                float(expected.loc[seed_code, EXPECTED_COLUMNS[outcome.name]])
                if seed_code in expected.index else np.nan
            )
            row = {
                "behavior_code": behavior, "outcome": outcome.name, "unit": outcome.unit,
                "expected_effect": expected_effect, "n": int(len(sample)), "n_with_behavior": int(x.sum()),
                "customers": int(sample["customer_key"].nunique()), "adjusted_for": ", ".join([*others, *CONTROLS]),
            }
            if min(x.sum(), (~x).sum()) < min_group_size:
                rows.append({**row, "status": f"too_few_interactions: fewer than {min_group_size} with or without"})
                continue
            if np.var(y) == 0:
                rows.append({**row, "status": "no_variance_in_outcome"})
                continue
            mean_with, mean_without, diff, lower, upper = raw_difference(y, x.astype(int))
            scaled = sample.assign(**{outcome.column: y, behavior: x})
            effect, a_lower, a_upper, p_value = adjusted_effect(
                scaled, outcome.column, behavior, [*others, *CONTROLS], "customer_key"
            )
            known = np.isfinite(expected_effect)
            consistent = bool(np.sign(effect) == np.sign(expected_effect)) if known else None
            within = bool(a_lower <= expected_effect <= a_upper) if known else None
            rows.append({
                **row, "mean_with_behavior": mean_with, "mean_without_behavior": mean_without,
                "raw_difference": diff, "raw_ci_lower": lower, "raw_ci_upper": upper, "adjusted_effect": effect,
                "adjusted_ci_lower": a_lower, "adjusted_ci_upper": a_upper, "adjusted_p_value": p_value,
                "is_consistent_with_expectation": consistent, "is_expected_within_ci": within, "status": "ok",
            })
    return pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS)
