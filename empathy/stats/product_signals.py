"""The product and policy feed (mart_product_policy_signals): segments where even full empathy does not recover the
outcome, so the problem is the product or the policy rather than the conversation (issue 14, D31).

Per segment (a tough-moment category, a contact reason or a product) and outcome (CSAT top-2 among answered
pulses, voluntary churn within 90 days), the share among the segment's full-empathy contacts is compared with the
share among the full-empathy contacts of every other segment of the same dimension: the difference of two
independent proportions with its Wald standard error, a normal 95% interval and a two-sided z test, with Holm's
adjustment over the tested segments of each dimension and outcome. A segment is flagged when it is worse (CSAT
top-2 below, churn above) with a Holm-adjusted p-value below 0.05, so that testing every segment does not flag
some by chance; flagged segments are ranked by the customers, then the recurring revenue, their contacts touch. Contacts of one customer are treated as independent, so intervals are a little
narrow when customers call often about the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..settings import settings_from_var
from .multiple_testing import holm_adjusted

#: the direction in which each outcome is worse
WORSE_WHEN = {"csat_top2": "lower", "voluntary_churn_90d": "higher"}
STATUSES = {
    "ok": "tested against the other segments of the dimension",
    "too_few_observations": "fewer full-empathy contacts with the outcome observed than var "
                            "coaching.signals_min_observations, or no other segment to compare with",
}
COLUMNS = ["dimension", "segment_value", "outcome", "n_interactions", "n_observations", "n_successes",
           "segment_share", "rest_share", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
           "p_value_adjusted", "n_customers_affected", "mrr_affected", "is_not_recovered_by_empathy",
           "priority_rank", "status"]
Z = stats.norm.ppf(0.975)
#: family-wise error rate of the flags (Holm, per dimension and outcome)
ALPHA = 0.05


@dataclass(frozen=True)
class SignalSettings:
    """The var `coaching` of dbt_project.yml (the keys read here)."""
    signals_min_observations: int = 30

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SignalSettings":
        return settings_from_var(cls, config)


def two_proportion_difference(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(difference p1 - p2, Wald standard error, two-sided p-value of the unpooled z test) for independent
    binomial samples; NaN where a sample is empty or the error is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = x1 / n1, x2 / n2
        se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        diff = p1 - p2
        p = np.where(se > 0, 2 * stats.norm.sf(np.abs(diff) / se), np.nan)
    return diff, np.where(se > 0, se, np.nan), p


def product_policy_signals(segments: pd.DataFrame, settings: SignalSettings = SignalSettings()) -> pd.DataFrame:
    """One row per input segment x outcome (module docstring)."""
    if segments.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = segments.copy()
    keys = ["dimension", "outcome"]
    totals = out.groupby(keys)[["n_observations", "n_successes"]].transform("sum")
    rest_n = (totals["n_observations"] - out["n_observations"]).to_numpy(float)
    rest_x = (totals["n_successes"] - out["n_successes"]).to_numpy(float)
    n, x = out["n_observations"].to_numpy(float), out["n_successes"].to_numpy(float)
    diff, se, p = two_proportion_difference(x, n, rest_x, rest_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["segment_share"] = np.where(n > 0, x / n, np.nan)
        out["rest_share"] = np.where(rest_n > 0, rest_x / rest_n, np.nan)
    testable = (n >= settings.signals_min_observations) & (rest_n > 0) & np.isfinite(se)
    out["estimate"] = np.where(testable, diff, np.nan)
    out["std_error"] = np.where(testable, se, np.nan)
    out["ci_lower"] = out["estimate"] - Z * out["std_error"]
    out["ci_upper"] = out["estimate"] + Z * out["std_error"]
    out["p_value"] = np.where(testable, p, np.nan)
    out["p_value_adjusted"] = np.nan
    for _, rows in out[testable].groupby(keys).groups.items():
        out.loc[rows, "p_value_adjusted"] = holm_adjusted(out.loc[rows, "p_value"])
    worse = np.where(out["outcome"].map(WORSE_WHEN).eq("lower"), out["estimate"] < 0, out["estimate"] > 0)
    out["is_not_recovered_by_empathy"] = testable & worse & (out["p_value_adjusted"] < ALPHA)
    out["status"] = np.where(testable, "ok", "too_few_observations")
    flagged = out[out["is_not_recovered_by_empathy"]].sort_values(
        ["n_customers_affected", "mrr_affected", "dimension", "segment_value", "outcome"],
        ascending=[False, False, True, True, True], kind="stable")
    out["priority_rank"] = pd.Series(np.arange(1, len(flagged) + 1), index=flagged.index).reindex(out.index)
    out["priority_rank"] = out["priority_rank"].astype("Int64")
    return out.sort_values(["priority_rank", "dimension", "segment_value", "outcome"], na_position="last",
                           kind="stable")[COLUMNS].reset_index(drop=True)
