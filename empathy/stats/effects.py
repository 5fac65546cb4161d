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
experiment and quasi-experiment marts answer the causal question. The behaviours are the rows of the
``empathy_behaviors`` seed (passed in), the churn windows those declared in ``var('churn_windows_days')``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from .multiple_testing import holm_adjusted

Z95 = 1.959963984540054

#: The timed acknowledgment is analysed as a behaviour of its own, beside the rubric's behaviour codes.
TIMED_ACKNOWLEDGMENT = "acknowledge_within_30s"
TIMED_BEHAVIOR = "acknowledge"
#: The seed's expected effect on churn is stated for this window (column expected_churn_90d_effect_pp).
EXPECTED_CHURN_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Outcome:
    """An outcome of the analysis frame and how it is expressed."""

    name: str
    column: str
    unit: str
    scale: float  # multiplies the outcome so the effect is in `unit`
    window_days: int | None = None
    expected_column: str | None = None  # column of the empathy_behaviors seed with the expected effect


CONTROLS = ("channel", "tough_moment_category", "resolution_status")
#: Columns of mart_interaction_outcomes that :func:`prepare` reads besides one has_<code> per behaviour.
BASE_INPUT_COLUMNS = (
    "interaction_key", "customer_key", "channel", "tough_moment_category", "is_resolved",
    "is_acknowledged_within_30s", "is_csat_top2", "next_nps_category",
)
RESULT_COLUMNS = [
    "behavior_code", "outcome", "outcome_window_days", "unit", "expected_effect", "n_interactions",
    "n_interactions_with_behavior", "n_customers", "mean_with_behavior", "mean_without_behavior", "raw_difference",
    "raw_ci_lower", "raw_ci_upper", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "p_value_adjusted",
    "adjusted_for", "is_consistent_with_expectation", "is_expected_within_ci", "status",
]


def input_columns(behavior_codes: list[str]) -> list[str]:
    """Columns of mart_interaction_outcomes the analysis reads, for the rubric's behaviour codes."""
    return [*BASE_INPUT_COLUMNS, *(f"has_{code}" for code in behavior_codes)]


def outcomes_for(churn_windows_days: list[int]) -> list[Outcome]:
    """CSAT top-2, next NPS and voluntary churn within every declared churn window."""
    return [
        Outcome("csat_top2", "is_csat_top2", "percentage_points", 100.0, None, "expected_csat_top2_effect_pp"),
        Outcome("nps", "next_nps_indicator", "nps_points", 1.0, None, "expected_nps_effect_points"),
        *(Outcome("voluntary_churn", f"is_voluntarily_churned_within_{days}d", "percentage_points", 100.0, days,
                  "expected_churn_90d_effect_pp" if days == EXPECTED_CHURN_WINDOW_DAYS else None)
          for days in sorted(churn_windows_days)),
    ]


def outcomes_with_churn_windows(outcomes: Any, churn_windows: Any, behavior_codes: list[str],
                                churn_windows_days: list[int]) -> pd.DataFrame:
    """The frame :func:`prepare` makes of mart_interaction_outcomes and mart_interaction_churn_windows, with the
    windows pivoted and joined in DuckDB (``outcomes`` and ``churn_windows`` are its relations): at a million
    customers tens of millions of long window rows and the interaction keys never reach pandas, and the customer
    keys arrive as numbers (D40). Pass it to :func:`behavior_effects` with an empty ``churn_windows``. Each declared
    window is a column, null where the interaction has no row for it (as the pivot leaves it)."""
    columns = [c for c in input_columns(behavior_codes) if c != "interaction_key"]
    pivot = ", ".join(
        f"bool_or(is_voluntarily_churned) filter (where churn_window_days = {int(days)}) "
        f"as is_voluntarily_churned_within_{int(days)}d" for days in sorted(churn_windows_days))
    wide = churn_windows.aggregate(f"interaction_key as _window_interaction_key, {pivot}" if pivot
                                   else "interaction_key as _window_interaction_key", "interaction_key")
    # the customer key as its rank among the keys: clusters and their count are the same, without ten million
    # key strings in pandas (clusters are numbered by first appearance, so the sandwich sums in the same order)
    rank = ("case when customer_key is null then null else dense_rank() over (order by customer_key) end "
            "as customer_key")
    selected = [*(rank if c == "customer_key" else f'"{c}"' for c in columns),
                *(f"is_voluntarily_churned_within_{int(days)}d" for days in sorted(churn_windows_days))]
    joined = outcomes.join(wide, "interaction_key = _window_interaction_key", how="left")
    # in the order of the interaction keys, as sorted_frame would give the outcomes (the fits' sums are in row order)
    return joined.query("_outcomes_joined", f"select {', '.join(selected)} from _outcomes_joined "
                                            "order by interaction_key").df()


def prepare(outcomes: pd.DataFrame, churn_windows: pd.DataFrame, behavior_codes: list[str]) -> pd.DataFrame:
    """Per-interaction analysis frame.

    `outcomes`: mart_interaction_outcomes columns (:func:`input_columns`); `churn_windows`: the long
    mart_interaction_churn_windows (interaction_key, churn_window_days, is_voluntarily_churned), pivoted here to
    one column per window. Adds `next_nps_indicator` (100 promoter, 0 passive, -100 detractor: its mean is the
    NPS), `resolution_status` (resolved / unresolved / unknown) and the timed acknowledgment as a behaviour.
    """
    frame = outcomes.copy()
    if not churn_windows.empty:
        wide = churn_windows.pivot(index="interaction_key", columns="churn_window_days",
                                   values="is_voluntarily_churned")
        wide.columns = [f"is_voluntarily_churned_within_{int(days)}d" for days in wide.columns]
        frame = frame.merge(wide, left_on="interaction_key", right_index=True, how="left")
    frame["next_nps_indicator"] = frame["next_nps_category"].map({"promoter": 100.0, "passive": 0.0, "detractor": -100.0})
    resolved = frame["is_resolved"].astype("boolean")
    frame["resolution_status"] = np.select(
        [resolved.eq(True).fillna(False).to_numpy(bool), resolved.eq(False).fillna(False).to_numpy(bool)],
        ["resolved", "unresolved"],
        "unknown",
    )
    for code in behavior_codes:
        frame[code] = frame[f"has_{code}"].astype("boolean")
    frame[TIMED_ACKNOWLEDGMENT] = frame["is_acknowledged_within_30s"].astype("boolean")
    return frame


def _expectation_applies(seed: pd.DataFrame, code: str, timed: bool) -> bool:
    """Whether the seed's expected effects of ``code`` describe this row: the seed column
    ``expected_effects_apply_to`` says `occurrence` (the behaviour at any time) or `within_time_limit` (the timed
    behaviour, e.g. acknowledgment within 30 seconds), so a timed expectation is never compared with the effect of
    the behaviour at any time, nor the reverse. Without the column, the expectation applies to occurrence."""
    applies_to = seed.loc[code, "expected_effects_apply_to"] if "expected_effects_apply_to" in seed.columns else None
    applies_to = applies_to if isinstance(applies_to, str) and applies_to else "occurrence"
    return (applies_to == "within_time_limit") == timed


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
                    cluster: str) -> tuple[float, float, float, float, float]:
    """OLS coefficient of `exposure` on `outcome` adjusted for covariates, with cluster-robust SE.

    Boolean covariates enter as 0/1, text covariates as indicator columns (first level dropped); covariates with
    no variation in the sample are dropped. Returns (effect, std_error, ci_lower, ci_upper, p_value).
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
    return effect, se, effect - Z95 * se, effect + Z95 * se, float(fitted.pvalues[index])


def behavior_effects(outcomes: pd.DataFrame, churn_windows: pd.DataFrame, behaviors_seed: pd.DataFrame,
                     churn_windows_days: list[int], min_group_size: int = 30) -> pd.DataFrame:
    """One row per behaviour of the seed (and the timed acknowledgment) and outcome: expected, raw and adjusted
    effects; p-values adjusted by Holm within each outcome (the family of behaviours tested on it).

    Rows whose sample is too small or has no variation carry a `status` and null estimates instead of failing.
    """
    seed = behaviors_seed.sort_values(["display_order", "behavior_code"], kind="stable")
    codes = list(seed["behavior_code"])
    frame = prepare(outcomes, churn_windows, codes)
    expected = seed.set_index("behavior_code")
    analysed = [*codes, TIMED_ACKNOWLEDGMENT] if TIMED_BEHAVIOR in codes else codes
    outcomes = outcomes_for(churn_windows_days)
    for outcome in outcomes:  # once, not once per behaviour: these columns hold a row per interaction
        values = frame[outcome.column] if outcome.column in frame.columns else pd.Series(np.nan, index=frame.index)
        frame[outcome.column] = pd.to_numeric(values.astype("Float64"), errors="coerce")
    rows = []
    for behavior in analysed:
        seed_code = TIMED_BEHAVIOR if behavior == TIMED_ACKNOWLEDGMENT else behavior
        others = [c for c in codes if c != seed_code]
        for outcome in outcomes:
            needed = [outcome.column, behavior, *others, *CONTROLS, "customer_key"]
            sample = frame.dropna(subset=[outcome.column, behavior, *others])[needed]
            y = sample[outcome.column].astype(float).to_numpy() * outcome.scale
            x = sample[behavior].astype(bool).to_numpy()
            expected_effect = (
                float(expected.loc[seed_code, outcome.expected_column])
                if outcome.expected_column and outcome.expected_column in expected.columns
                and pd.notna(expected.loc[seed_code, outcome.expected_column])
                and _expectation_applies(expected, seed_code, timed=behavior == TIMED_ACKNOWLEDGMENT) else np.nan
            )
            row = {
                "behavior_code": behavior, "outcome": outcome.name, "outcome_window_days": outcome.window_days,
                "unit": outcome.unit, "expected_effect": expected_effect, "n_interactions": int(len(sample)),
                "n_interactions_with_behavior": int(x.sum()), "n_customers": int(sample["customer_key"].nunique()),
                "adjusted_for": ", ".join([*others, *CONTROLS]),
            }
            if min(x.sum(), (~x).sum()) < min_group_size:
                rows.append({**row, "status": "too_few_interactions"})
                continue
            if np.var(y) == 0:
                rows.append({**row, "status": "no_variance_in_outcome"})
                continue
            mean_with, mean_without, diff, lower, upper = raw_difference(y, x.astype(int))
            scaled = sample.assign(**{outcome.column: y, behavior: x})
            effect, se, a_lower, a_upper, p_value = adjusted_effect(
                scaled, outcome.column, behavior, [*others, *CONTROLS], "customer_key"
            )
            known = np.isfinite(expected_effect)
            consistent = bool(np.sign(effect) == np.sign(expected_effect)) if known else None
            within = bool(a_lower <= expected_effect <= a_upper) if known else None
            rows.append({
                **row, "mean_with_behavior": mean_with, "mean_without_behavior": mean_without,
                "raw_difference": diff, "raw_ci_lower": lower, "raw_ci_upper": upper, "estimate": effect,
                "std_error": se, "ci_lower": a_lower, "ci_upper": a_upper, "p_value": p_value,
                "is_consistent_with_expectation": consistent, "is_expected_within_ci": within, "status": "ok",
            })
    table = pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS)
    family = table["outcome"] + "|" + table["outcome_window_days"].astype("string").fillna("")
    table["p_value_adjusted"] = table.groupby(family, sort=False)["p_value"].transform(holm_adjusted)
    table["outcome_window_days"] = table["outcome_window_days"].astype("Int64")
    for column in ("n_interactions", "n_interactions_with_behavior", "n_customers"):
        table[column] = table[column].astype("Int64")
    return table
