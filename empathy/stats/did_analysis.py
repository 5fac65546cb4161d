"""The difference-in-differences marts (mart_did_group_time, mart_did_event_study, mart_did_summary,
mart_did_robustness) from the team-month panel (fct_team_month_outcomes). Estimators: empathy/stats/did.py
(Callaway & Sant'Anna, TWFE, Goodman-Bacon); decisions: docs/decisions.md D26.

Each outcome gets its own balanced panel: teams with a month whose outcome is unknown (no interaction, no answered
pulse) are left out of that outcome's panel, and the rows say how many teams remain.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..settings import settings_from_var
from ..shared_results import computed_once
from .did import (
    AGGREGATIONS, CONTROL_GROUPS, STATUS_OK, Z95, Panel, aggregate, att_gt, att_gt_of_panel, bacon_decomposition,
    balanced_panel, influence_se, pretrend_average, pretrend_wald, twfe, without_unit,
)

UNIT, PERIOD, GROUP = "team", "period_index", "adoption_period_index"
#: Columns of each mart, in the vocabulary (empathy.vocabulary.DID renames the estimator's words).
COLUMNS = {
    "group_time": ["outcome", "control_group", "cohort_period_index", "period_index", "base_period_index",
                   "event_time_months", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n_teams_cohort",
                   "n_teams_control", "status"],
    "event_study": ["outcome", "control_group", "event_time_months", "estimate", "std_error", "ci_lower", "ci_upper",
                    "p_value", "n_cells", "n_teams_treated", "n_teams_control", "n_teams_left_out", "status"],
    "summary": ["outcome", "control_group", "estimator", "aggregation", "label", "estimate", "std_error", "ci_lower",
                "ci_upper", "p_value", "statistic", "degrees_of_freedom", "weight", "n_cells", "n_teams_treated",
                "n_teams_control", "n_teams_left_out", "status"],
    "robustness": ["outcome", "check_name", "label", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
                   "statistic", "degrees_of_freedom", "n_teams_treated", "n_teams_control", "status", "detail"],
}


#: Statuses of the DiD marts (the one home of these values; the GE suites import them): an estimated row is ``ok``,
#: or says that one side has fewer teams than var did.min_treated_teams (still estimated); an outcome whose panel
#: has under two teams, or no treated team, gets one row per mart with its own status.
DID_FEW_TEAMS = ("few_treated_teams", "few_control_teams")
DID_ESTIMATED = (STATUS_OK, *DID_FEW_TEAMS)
DID_NO_PANEL = ("too_few_teams", "no_treated_teams")
DID_GROUP_TIME_STATUSES = (
    *DID_ESTIMATED, "no_treated_units", "no_control_units", "too_few_periods", *DID_NO_PANEL,
)  # fmt: skip
DID_EVENT_STUDY_STATUSES = (*DID_ESTIMATED, "no_estimable_cells", *DID_NO_PANEL)
DID_SUMMARY_STATUSES = (
    *DID_ESTIMATED, "no_estimable_cells", "no_post_treatment_cells", "no_pre_period_cells", "singular_covariance",
    "no_treatment_variation", "too_few_degrees_of_freedom", *DID_NO_PANEL,
)  # fmt: skip
DID_ROBUSTNESS_STATUSES = (
    "passed", "failed", *(f"inconclusive_{few}" for few in DID_FEW_TEAMS), "inconclusive_too_many_pre_cells",
    "estimated", "not_estimable", *DID_NO_PANEL,
)  # fmt: skip
DID_ROBUSTNESS_CHECKS = (
    "pretrend_wald", "pretrend_average", "in_time_placebo", "negative_control_outcome", "leave_one_team_out",
    "leave_one_team_out_range", "all",
)  # fmt: skip
DID_SUMMARY_ESTIMATORS = ("callaway_santanna", "twfe", "goodman_bacon")
DID_SUMMARY_AGGREGATIONS = (*AGGREGATIONS, "pretrend_wald", "twfe", "bacon_weight")


@dataclass(frozen=True)
class DidSettings:
    """The var `did` of dbt_project.yml."""
    outcomes: tuple[str, ...]
    negative_control_outcome: str | None = None
    placebo_shift_months: int = 3
    min_treated_teams: int = 5
    primary_control_group: str = "never_treated"
    alpha: float = 0.05
    # Leave-one-team-out refits the estimator once per treated team left out, each on the whole panel: quadratic in
    # the teams. Above this many treated teams a seeded simple random sample of them is left out in turn.
    max_leave_one_out_teams: int = 50
    seed: int = 20261127

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "DidSettings":
        return settings_from_var(cls, config, tuple_fields=["outcomes"])


def outcome_panel(panel: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, int]:
    """The balanced panel of one outcome: teams with any unknown month left out. Returns (panel, teams left out)."""
    frame = panel[[UNIT, PERIOD, GROUP, outcome]].copy()
    frame[GROUP] = pd.to_numeric(frame[GROUP], errors="coerce").fillna(0).astype(np.int64)
    incomplete = frame.loc[frame[outcome].isna(), UNIT].unique()
    kept = frame[~frame[UNIT].isin(incomplete)].reset_index(drop=True)
    kept[outcome] = kept[outcome].astype(float)
    return kept, int(len(incomplete))


def _team_counts(frame: pd.DataFrame) -> tuple[int, int]:
    groups = frame.drop_duplicates(UNIT)[GROUP]
    return int((groups > 0).sum()), int((groups == 0).sum())


def _few(n_treated: int, n_control: int, settings: DidSettings) -> str | None:
    if n_treated < settings.min_treated_teams:
        return "few_treated_teams"
    if n_control < settings.min_treated_teams:
        return "few_control_teams"
    return None


def _p_value(estimate: float, std_error: float) -> float:
    if not (np.isfinite(estimate) and np.isfinite(std_error)) or std_error <= 0:
        return math.nan
    return float(2 * stats.norm.sf(abs(estimate / std_error)))


def _summary_row(outcome: str, control_group: str | None, estimator: str, aggregation: str, label: str, **values):
    row = {"outcome": outcome, "control_group": control_group, "estimator": estimator, "aggregation": aggregation,
           "label": label, "estimate": math.nan, "std_error": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
           "p_value": math.nan, "statistic": math.nan, "degrees_of_freedom": None, "weight": math.nan,
           "n_cells": None, "n_teams_treated": 0, "n_teams_control": 0, "n_teams_left_out": 0, "status": None}
    row.update(values)
    return row


def _attach_counts(status: str, few: str | None) -> str:
    return few if (status == STATUS_OK and few) else status


def _cs_tables(outcome: str, frame: pd.DataFrame, left_out: int, settings: DidSettings) -> tuple[list, list, list]:
    group_time, event_study, summary = [], [], []
    n_treated, n_control = _team_counts(frame)
    few = _few(n_treated, n_control, settings)
    counts = dict(n_teams_treated=n_treated, n_teams_control=n_control, n_teams_left_out=left_out)
    for control_group in CONTROL_GROUPS:
        result = att_gt(frame, UNIT, PERIOD, GROUP, outcome, control_group=control_group)
        for row in result.table.to_dict("records"):
            group_time.append({"outcome": outcome, "control_group": control_group, **row,
                               "p_value": _p_value(row["estimate"], row["std_error"]),
                               "status": _attach_counts(row["status"], few)})
        for kind in AGGREGATIONS:
            table = aggregate(result, kind)
            for row in table.to_dict("records"):
                values = {k: row[k] for k in ("estimate", "std_error", "ci_lower", "ci_upper")}
                values["p_value"] = _p_value(row["estimate"], row["std_error"])
                status = _attach_counts(row["status"], few)
                if kind == "dynamic" and row["label"] != "overall":
                    event_study.append({"outcome": outcome, "control_group": control_group,
                                        "event_time_months": int(row["label"]), **values,
                                        "n_cells": int(row["n_cells"]), **counts, "status": status})
                if row["label"] == "overall" or kind == "group":
                    summary.append(_summary_row(outcome, control_group, "callaway_santanna", kind, str(row["label"]),
                                                **values, n_cells=row["n_cells"], **counts, status=status))
        wald = pretrend_wald(result)
        summary.append(_summary_row(
            outcome, control_group, "callaway_santanna", "pretrend_wald", "all_pre_periods",
            statistic=wald.statistic, degrees_of_freedom=wald.df, p_value=wald.p_value, **counts,
            status=_attach_counts(STATUS_OK if np.isfinite(wald.statistic) else
                                  "no_pre_period_cells" if wald.df == 0 else "singular_covariance", few)))
    return group_time, event_study, summary


def _twfe_rows(outcome: str, frame: pd.DataFrame, left_out: int, settings: DidSettings) -> list[dict]:
    n_treated, n_control = _team_counts(frame)
    few = _few(n_treated, n_control, settings)
    counts = dict(n_teams_treated=n_treated, n_teams_control=n_control, n_teams_left_out=left_out)
    fit = twfe(frame, UNIT, PERIOD, GROUP, outcome)
    rows = [_summary_row(outcome, None, "twfe", "twfe", "overall", estimate=fit.estimate, std_error=fit.std_error,
                         ci_lower=fit.ci_lower, ci_upper=fit.ci_upper, p_value=fit.p_value, **counts,
                         status=_attach_counts(fit.status, few))]
    bacon = bacon_decomposition(frame, UNIT, PERIOD, GROUP, outcome)
    for row in bacon.by_type.to_dict("records"):
        rows.append(_summary_row(outcome, None, "goodman_bacon", "bacon_weight", row["comparison_type"],
                                 estimate=row["estimate"], weight=row["weight"], n_cells=row["n_comparisons"],
                                 **counts, status=_attach_counts(bacon.status, few)))
    return rows


def _placebo_in_time(outcome: str, frame: pd.DataFrame, settings: DidSettings) -> dict:
    """In-time placebo: every treated team's adoption moved back by k months; the ATT over the cells between the
    fake and the real adoption (fake event times 0..k-1, before any real training) should be zero. Cells are
    weighted by group share; the standard error from their influence functions."""
    k = settings.placebo_shift_months
    shifted = frame.assign(**{GROUP: np.where(frame[GROUP] > 0, frame[GROUP] - k, 0)})
    result = att_gt(shifted, UNIT, PERIOD, GROUP, outcome, control_group=settings.primary_control_group)
    table = result.table
    chosen = ((table["status"] == STATUS_OK) & (table["event_time"] >= 0) & (table["event_time"] < k)).to_numpy()
    if not chosen.any():
        return {"estimate": math.nan, "std_error": math.nan, "status": "not_estimable",
                "detail": json.dumps({"shift_months": k, "reason": "no cell between the fake and the real adoption"})}
    shares = result.group_shares.reindex(table.loc[chosen, "group"].astype(np.int64)).to_numpy()
    weights = shares / shares.sum()
    estimate = float(weights @ table.loc[chosen, "estimate"].to_numpy())
    se = influence_se(result.influence[:, chosen] @ weights)
    return {"estimate": estimate, "std_error": se,
            "detail": json.dumps({"shift_months": k, "n_cells": int(chosen.sum())})}


def _simple_att(frame: pd.DataFrame | Panel, outcome: str, control_group: str) -> tuple[float, float]:
    """The simple aggregate ATT and its standard error, from a long panel or a wide one already validated."""
    result = (att_gt_of_panel(frame, control_group=control_group) if isinstance(frame, Panel)
              else att_gt(frame, UNIT, PERIOD, GROUP, outcome, control_group=control_group))
    row = aggregate(result, "simple").iloc[0]
    return float(row["estimate"]), float(row["std_error"])


def _robustness_row(outcome: str, check: str, label: str, estimate: float, std_error: float, status: str,
                    detail: str | None, counts: dict, **extra) -> dict:
    lower, upper = estimate - Z95 * std_error, estimate + Z95 * std_error
    row = {"outcome": outcome, "check_name": check, "label": label, "estimate": estimate, "std_error": std_error,
           "ci_lower": lower, "ci_upper": upper, "p_value": _p_value(estimate, std_error), "statistic": math.nan,
           "degrees_of_freedom": None, **counts, "status": status, "detail": detail}
    row.update(extra)
    return row


def _covers_zero_status(estimate: float, std_error: float, few: str | None) -> str:
    """passed when the 95% interval covers zero, failed otherwise; with few treated or control teams neither is
    trusted (the influence-function standard error needs several teams on each side), so inconclusive."""
    if not (np.isfinite(estimate) and np.isfinite(std_error)):
        return "not_estimable"
    if few:
        return f"inconclusive_{few}"
    return "passed" if estimate - Z95 * std_error <= 0 <= estimate + Z95 * std_error else "failed"


def leave_one_out_teams(treated_teams: list, settings: DidSettings) -> list:
    """The treated teams left out in turn: all of them, or above ``settings.max_leave_one_out_teams`` a seeded
    simple random sample of that many (sorted), so the check costs a bounded number of refits at any size."""
    if len(treated_teams) <= settings.max_leave_one_out_teams:
        return list(treated_teams)
    rng = np.random.default_rng(settings.seed)
    chosen = rng.choice(len(treated_teams), size=settings.max_leave_one_out_teams, replace=False)
    return [treated_teams[i] for i in sorted(chosen)]


def _robustness(outcome: str, frame: pd.DataFrame, settings: DidSettings, negative: pd.DataFrame | None
                ) -> list[dict]:
    n_treated, n_control = _team_counts(frame)
    few = _few(n_treated, n_control, settings)
    counts = {"n_teams_treated": n_treated, "n_teams_control": n_control}
    rows = []
    primary = att_gt(frame, UNIT, PERIOD, GROUP, outcome, control_group=settings.primary_control_group)
    wald = pretrend_wald(primary)
    n_teams = n_treated + n_control
    # Hotelling's small-sample form of the Wald test: the k x k covariance is estimated from n_teams clusters, so
    # F = W (G - k) / (k (G - 1)) ~ F(k, G - k); fewer than 10 spare teams leave it inconclusive.
    spare = n_teams - wald.df
    f_p = (float(stats.f.sf(wald.statistic * spare / (wald.df * (n_teams - 1)), wald.df, spare))
           if np.isfinite(wald.statistic) and spare > 0 else math.nan)
    status = ("not_estimable" if not np.isfinite(wald.statistic) else f"inconclusive_{few}" if few
              else "inconclusive_too_many_pre_cells" if spare < 10
              else "failed" if f_p < settings.alpha else "passed")
    rows.append(_robustness_row(outcome, "pretrend_wald", "all_pre_periods", math.nan, math.nan, status,
                                json.dumps({"control_group": settings.primary_control_group,
                                            "chi_square_p_value": wald.p_value, "small_sample": "Hotelling F",
                                            "n_teams": n_teams}), counts,
                                statistic=wald.statistic, degrees_of_freedom=wald.df, p_value=f_p,
                                ci_lower=math.nan, ci_upper=math.nan))
    estimate, se, _ = pretrend_average(primary)
    rows.append(_robustness_row(outcome, "pretrend_average", "mean_of_pre_event_times", estimate, se,
                                _covers_zero_status(estimate, se, few),
                                json.dumps({"control_group": settings.primary_control_group}), counts))
    placebo = _placebo_in_time(outcome, frame, settings)
    rows.append(_robustness_row(outcome, "in_time_placebo", f"shift_{settings.placebo_shift_months}_months",
                                placebo["estimate"], placebo["std_error"],
                                placebo.get("status") or _covers_zero_status(placebo["estimate"],
                                                                             placebo["std_error"], few),
                                placebo["detail"], counts))
    if negative is not None:
        estimate, se = _simple_att(negative, settings.negative_control_outcome, settings.primary_control_group)
        rows.append(_robustness_row(outcome, "negative_control_outcome", settings.negative_control_outcome,
                                    estimate, se, _covers_zero_status(estimate, se, few),
                                    json.dumps({"why": "training cannot change why customers call"}), counts))
    wide = balanced_panel(frame, UNIT, PERIOD, GROUP, outcome)  # validated once; each refit drops one team's row
    full, full_se = _simple_att(wide, outcome, settings.primary_control_group)
    treated_teams = sorted(frame.loc[frame[GROUP] > 0, UNIT].unique())
    left_out = leave_one_out_teams(treated_teams, settings)
    estimates = {}
    for team in left_out:
        estimate, se = _simple_att(without_unit(wide, team), outcome, settings.primary_control_group)
        estimates[team] = estimate
        rows.append(_robustness_row(outcome, "leave_one_team_out", str(team), estimate, se,
                                    "not_estimable" if not np.isfinite(estimate) else "estimated",
                                    None, counts))
    finite = [v for v in estimates.values() if np.isfinite(v)]
    if finite and np.isfinite(full):
        same_sign = all(np.sign(v) == np.sign(full) for v in finite)
        status = f"inconclusive_{few}" if few else "passed" if same_sign else "failed"
        detail = json.dumps({"full_sample_estimate": full, "min": min(finite), "max": max(finite),
                             "meaning": "every estimate without one treated team has the full estimate's sign",
                             "n_treated_teams": len(treated_teams), "n_teams_left_out_in_turn": len(left_out),
                             "teams_left_out": "all" if len(left_out) == len(treated_teams)
                             else f"seeded random sample (var did.max_leave_one_out_teams, seed {settings.seed})"})
        rows.append(_robustness_row(outcome, "leave_one_team_out_range", "all_treated_teams", full, full_se, status,
                                    detail, counts, ci_lower=min(finite), ci_upper=max(finite)))
    return rows


def _degenerate_rows(outcome: str, status: str, left_out: int) -> dict[str, dict]:
    """One row per mart saying why an outcome has no estimate."""
    common = {"outcome": outcome, "status": status}
    return {"group_time": {**common, "control_group": None},
            "event_study": {**common, "control_group": None},
            "summary": _summary_row(outcome, None, "callaway_santanna", "simple", "overall",
                                    n_teams_left_out=left_out, status=status),
            "robustness": {**common, "check_name": "all", "label": "all"}}


def shared_did_tables(panel: pd.DataFrame, settings: DidSettings) -> dict[str, pd.DataFrame]:
    """:func:`did_tables` without the robustness checks, computed once per dbt process for the group-time,
    event-study and summary marts, which show tables of the same fits (empathy/shared_results.py, D39)."""
    return computed_once("did_tables", panel, settings, lambda: did_tables(panel, settings, robustness=False))


def did_tables(panel: pd.DataFrame, settings: DidSettings, robustness: bool = True) -> dict[str, pd.DataFrame]:
    """The DiD marts for every outcome of the settings: group_time, event_study, summary and (when asked)
    robustness. An outcome whose panel has fewer than two teams, or no treated team, gets one row per mart with
    a status."""
    tables: dict[str, list] = {"group_time": [], "event_study": [], "summary": [], "robustness": []}
    negative = None
    if robustness and settings.negative_control_outcome:
        negative, _ = outcome_panel(panel, settings.negative_control_outcome)
    for outcome in settings.outcomes:
        frame, left_out = outcome_panel(panel, outcome)
        n_treated, n_control = _team_counts(frame) if not frame.empty else (0, 0)
        status = ("too_few_teams" if frame.empty or frame[UNIT].nunique() < 2 else
                  "no_treated_teams" if n_treated == 0 else None)
        if status:
            for name, row in _degenerate_rows(outcome, status, left_out).items():
                tables[name].append(row)
            continue
        gt, es, sm = _cs_tables(outcome, frame, left_out, settings)
        tables["group_time"] += gt
        tables["event_study"] += es
        tables["summary"] += sm + _twfe_rows(outcome, frame, left_out, settings)
        if robustness:
            tables["robustness"] += _robustness(outcome, frame, settings, negative)
    return {name: pd.DataFrame(rows) for name, rows in tables.items()}
