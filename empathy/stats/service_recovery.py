"""Service recovery after a low score (issue 13, decision D30).

A low score is a relationship NPS detractor's answer or a CSAT pulse in the bottom box. What followed it is one row
of ``int_low_scores_joined_to_follow_ups``: the customer's first contact within the follow-up window (an empathetic
contact, another observed contact, one whose behaviours were not observed, or none) and the customer's later
relationship NPS answers. Three kinds of rows (column ``row_kind``):

* ``transition``: the transition matrix, low score -> next NPS category, per follow-up group: counts, the share of
  all low scores of the group and the share of those answered again.
* ``adjusted_effect``: among low scores answered again, the difference in the chance that the next answer is no
  longer a detractor's (``outcome`` = ``not_detractor_next``) or is a promoter's (``promoter_next``) between an
  empathetic follow-up and the comparison group (``comparison`` = ``empathetic_vs_other_follow_up`` or
  ``empathetic_vs_no_follow_up``), from a linear probability model adjusted for the prior score, the tough moment
  and (pooled over both kinds) the kind of low score; standard errors clustered by customer (CR1, as statsmodels'
  ``cov_type="cluster"``). Whoever is followed up differs from whoever is not, so this is an adjusted comparison,
  not an experiment. Holm's procedure adjusts the p-values over these rows.
* ``time_to_recovery``: Kaplan-Meier time from the low score to the first later answer that is not a detractor's
  (censored at churn or the as-of date): the median days (null while more than half have not recovered) and the
  share recovered within ``horizon_days`` with its 95% interval (lifelines' exponential Greenwood interval).

Status values: ``ok``; ``too_few_low_scores`` (fewer usable low scores than ``min_low_scores``); ``one_group_empty``
(a comparison arm has no low score); ``no_variation`` (the outcome is the same for everyone compared);
``median_not_reached`` (time to recovery: the estimate exists, the median does not).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from lifelines import KaplanMeierFitter
from scipy import stats

from ..settings import settings_from_var
from .multiple_testing import holm_adjusted

Z95 = float(stats.norm.ppf(0.975))
KINDS = ["all", "nps_detractor", "csat_bottom_box"]
GROUPS = ["empathetic_follow_up", "other_follow_up", "follow_up_not_observed", "no_follow_up"]
NEXT_CATEGORIES = ["detractor", "passive", "promoter", "no_later_answer"]
COMPARISONS = {"empathetic_vs_other_follow_up": "other_follow_up", "empathetic_vs_no_follow_up": "no_follow_up"}
OUTCOMES = {"not_detractor_next": lambda c: c != "detractor", "promoter_next": lambda c: c == "promoter"}
COLUMNS = ["row_kind", "low_score_kind", "follow_up_group", "next_nps_category", "comparison", "outcome",
           "n_low_scores", "n_customers", "share_of_low_scores", "share_of_later_answers", "estimate", "std_error",
           "ci_lower", "ci_upper", "p_value", "p_value_adjusted", "median_days_to_recovery", "horizon_days",
           "status"]


@dataclass(frozen=True)
class RecoverySettings:
    """Var ``service_recovery``: the follow-up window is read by the SQL model; these by the statistics."""

    min_low_scores: int = 30
    horizon_days: int = 180
    follow_up_window_days: int = 14

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "RecoverySettings":
        return settings_from_var(cls, config)


def _kinds(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [("all", frame)] + [(k, frame[frame["low_score_kind"] == k]) for k in KINDS[1:]]


def transition_rows(frame: pd.DataFrame) -> list[dict]:
    """The transition matrix: every kind x follow-up group x next category, zero counts included."""
    rows = []
    for kind, part in _kinds(frame):
        for group in GROUPS:
            cell = part[part["follow_up_group"] == group]
            answered = int((cell["next_nps_category"] != "no_later_answer").sum())
            for category in NEXT_CATEGORIES:
                n = int((cell["next_nps_category"] == category).sum())
                rows.append({
                    "row_kind": "transition", "low_score_kind": kind, "follow_up_group": group,
                    "next_nps_category": category, "n_low_scores": n,
                    "n_customers": int(cell.loc[cell["next_nps_category"] == category, "customer_key"].nunique()),
                    "share_of_low_scores": n / len(cell) if len(cell) else None,
                    "share_of_later_answers": (n / answered if answered and category != "no_later_answer" else None),
                    "status": "ok" if len(cell) else "one_group_empty",
                })
    return rows


def adjusted_difference(frame: pd.DataFrame, outcome: pd.Series, treated: pd.Series, controls: list[str],
                        cluster: pd.Series) -> tuple[float, float, float]:
    """Coefficient of ``treated`` in a linear probability model of ``outcome`` on it and ``controls`` (with an
    intercept), its cluster-robust standard error (CR1) and two-sided p-value (normal reference)."""
    x = sm.add_constant(pd.concat([treated.rename("treated").astype(float), frame[controls].astype(float)], axis=1),
                        has_constant="add")
    keep = [c for c in x.columns if c in ("const", "treated") or x[c].std() > 0]
    fit = sm.OLS(outcome.astype(float).to_numpy(), x[keep].to_numpy()).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(cluster)[0]})
    i = keep.index("treated")
    return float(fit.params[i]), float(fit.bse[i]), float(fit.pvalues[i])


def effect_rows(frame: pd.DataFrame, settings: RecoverySettings) -> list[dict]:
    """Empathetic follow-up against each comparison group, per kind and outcome, among low scores answered again."""
    rows = []
    answered = frame[frame["next_nps_category"] != "no_later_answer"]
    for kind, part in _kinds(answered):
        for comparison, reference in COMPARISONS.items():
            pair = part[part["follow_up_group"].isin(["empathetic_follow_up", reference])]
            treated = pair["follow_up_group"] == "empathetic_follow_up"
            controls = ["prior_score", "had_tough_moment"] + (["is_nps_detractor"] if kind == "all" else [])
            pair = pair.assign(is_nps_detractor=pair["low_score_kind"] == "nps_detractor")
            for outcome, rule in OUTCOMES.items():
                y = rule(pair["next_nps_category"])
                row = {"row_kind": "adjusted_effect", "low_score_kind": kind, "follow_up_group": "empathetic_follow_up",
                       "comparison": comparison, "outcome": outcome, "n_low_scores": int(len(pair)),
                       "n_customers": int(pair["customer_key"].nunique())}
                if len(pair) < settings.min_low_scores:
                    row["status"] = "too_few_low_scores"
                elif treated.all() or not treated.any():
                    row["status"] = "one_group_empty"
                elif y.nunique() < 2:
                    row["status"] = "no_variation"
                else:
                    estimate, se, p = adjusted_difference(pair, y, treated, controls, pair["customer_key"])
                    row.update(estimate=estimate, std_error=se, ci_lower=estimate - Z95 * se,
                               ci_upper=estimate + Z95 * se, p_value=p, status="ok")
                rows.append(row)
    return rows


def recovery_time_rows(frame: pd.DataFrame, settings: RecoverySettings) -> list[dict]:
    """Kaplan-Meier time to recovery per kind and follow-up group (lifelines)."""
    rows = []
    for kind, part in _kinds(frame):
        for group in GROUPS:
            cell = part[part["follow_up_group"] == group]
            row = {"row_kind": "time_to_recovery", "low_score_kind": kind, "follow_up_group": group,
                   "outcome": "recovered", "n_low_scores": int(len(cell)),
                   "n_customers": int(cell["customer_key"].nunique()), "horizon_days": settings.horizon_days}
            if len(cell) < settings.min_low_scores:
                row["status"] = "too_few_low_scores"
                rows.append(row)
                continue
            fitter = KaplanMeierFitter().fit(cell["days_to_recovery_or_censoring"].astype(float),
                                             cell["is_recovered"].astype(bool))
            survival = float(fitter.survival_function_at_times(settings.horizon_days).iloc[0])
            bounds = fitter.confidence_interval_survival_function_
            at = bounds[bounds.index <= settings.horizon_days].iloc[-1]
            median = float(fitter.median_survival_time_)
            row.update(estimate=1 - survival, ci_lower=1 - float(at.iloc[1]), ci_upper=1 - float(at.iloc[0]),
                       median_days_to_recovery=median if np.isfinite(median) else None,
                       status="ok" if np.isfinite(median) else "median_not_reached")
            rows.append(row)
    return rows


def service_recovery(frame: pd.DataFrame, settings: RecoverySettings) -> pd.DataFrame:
    """Every row of mart_service_recovery (module docstring), sorted for a stable order."""
    frame = frame.copy()
    frame["had_tough_moment"] = frame["had_tough_moment"].fillna(False).astype(bool)
    table = pd.DataFrame(transition_rows(frame) + effect_rows(frame, settings) + recovery_time_rows(frame, settings))
    table = table.reindex(columns=COLUMNS)
    effects = table["row_kind"] == "adjusted_effect"
    table.loc[effects, "p_value_adjusted"] = holm_adjusted(table.loc[effects, "p_value"])
    return table
