"""Evaluator calibration (mart_reviewer_calibration, mart_calibration_session_items): per QA reviewer and month,
how the reviewer scores against colleagues on the same work and against the transcript, whether that is drifting,
and which reviewers are due a calibration session with which interactions (issue 14, D31).

Input: the calibration sample's reviews (several reviewers score the same interaction x behaviour, 1-5) and the
transcript detector's verdict per interaction x behaviour. Per reviewer and month of review:

* **Leniency** against the consensus: the mean over the month's shared items (an item is an interaction x
  behaviour scored by at least one other reviewer, in any month) of own score minus the mean of the other
  reviewers' scores (empathy/stats/agreement.py's reviewer_leniency), with a normal interval.
* **Weighted kappa against peers**: linear-weighted Cohen's kappa (Cohen 1968, Fleiss-Cohen-Everitt SE) on every
  (own score, another reviewer's score) pair of the month's shared items.
* **Kappa against the transcript**: unweighted Cohen's kappa between the reviewer's presence verdict (score at least
  var qa_behavior_present_min_score) and the transcript detector's, on the month's reviews.
* **Drift**: this month's leniency minus the reviewer's leniency over all earlier months (its SE from the two
  independent means); drifting when its interval excludes 0 and it is beyond var drift_threshold points.
* **Session due** when the kappa against peers is below var kappa_threshold or the reviewer drifts; the session's
  interactions are the items of the month where the reviewer was furthest from colleagues (largest absolute
  deviation), n_session_items per reviewer-month.

Months with fewer shared items than var min_items say so in ``status`` and have no kappa or drift.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..settings import settings_from_var
from .agreement import Z_95, _deviations, cohen_kappa_table, collapse_duplicate_ratings, contingency_table

STATUSES = {
    "ok": "enough shared items this month to estimate agreement",
    "too_few_items": "fewer shared items this month than var reviewer_calibration.min_items: no kappa, no drift",
}
COLUMNS = ["reviewer_id", "month_start", "n_reviews", "n_items", "n_interactions", "leniency", "leniency_std_error",
           "leniency_ci_lower", "leniency_ci_upper", "kappa_vs_peers", "kappa_vs_peers_std_error",
           "kappa_vs_transcript", "n_transcript_pairs", "drift", "drift_std_error", "is_drifting",
           "is_session_due", "session_reason", "status"]
ITEM_COLUMNS = ["reviewer_id", "month_start", "item_rank", "interaction_key", "behavior_code", "score",
                "others_mean_score", "deviation", "n_other_reviewers"]


@dataclass(frozen=True)
class CalibrationSettings:
    """The var `reviewer_calibration` of dbt_project.yml, and the QA presence threshold."""
    min_items: int = 10
    kappa_threshold: float = 0.4
    drift_threshold: float = 0.5
    n_session_items: int = 5
    present_min_score: int = 3

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "CalibrationSettings":
        return settings_from_var(cls, config)


def _peer_pairs(month: pd.DataFrame, everyone: pd.DataFrame) -> pd.DataFrame:
    """(own score, other score) for every other reviewer's rating of the items the reviewer scored this month."""
    pairs = month[["interaction_key", "behavior_code", "reviewer_id", "score"]].merge(
        everyone[["interaction_key", "behavior_code", "reviewer_id", "score"]],
        on=["interaction_key", "behavior_code"], suffixes=("", "_other"))
    return pairs[pairs["reviewer_id"] != pairs["reviewer_id_other"]]


def _kappa(a: pd.Series, b: pd.Series, categories, weights) -> tuple[float, float]:
    if len(a) == 0:
        return np.nan, np.nan
    estimate = cohen_kappa_table(contingency_table(a.to_numpy(), b.to_numpy(), categories), weights=weights)
    return (estimate.kappa, estimate.se) if estimate.status == "ok" else (np.nan, np.nan)


def _mean_se(values: pd.Series) -> tuple[float, float]:
    n = len(values)
    return (float(values.mean()) if n else np.nan, float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan)


def _prepared(reviews: pd.DataFrame) -> pd.DataFrame:
    """One rating per reviewer x item (duplicates collapsed), its month of first review and its deviation from the
    other reviewers' mean (``deviation``; ``m`` reviewers on the item)."""
    data = reviews.copy()
    data["month_start"] = pd.to_datetime(data["reviewed_at"]).dt.to_period("M").dt.to_timestamp()
    keys = ["interaction_key", "behavior_code", "reviewer_id"]
    first_month = data.sort_values(["reviewed_at", "review_id"])[[*keys, "month_start"]].drop_duplicates(keys)
    return _deviations(collapse_duplicate_ratings(data).merge(first_month, on=keys, how="left"))


def calibration(reviews: pd.DataFrame, detections: pd.DataFrame,
                settings: CalibrationSettings = CalibrationSettings()) -> pd.DataFrame:
    """The reviewer x month table (COLUMNS). ``reviews``: review_id, interaction_key, behavior_code, reviewer_id,
    score, reviewed_at. ``detections``: interaction_key, behavior_code, is_detected_in_transcript."""
    if reviews.empty:
        return pd.DataFrame(columns=COLUMNS)
    data = _prepared(reviews).merge(detections, on=["interaction_key", "behavior_code"], how="left")
    categories = sorted(pd.unique(data["score"].dropna()))
    rows = []
    for (reviewer, month), own in data.groupby(["reviewer_id", "month_start"], sort=True):
        shared = own[own["deviation"].notna()]
        row = {"reviewer_id": reviewer, "month_start": month, "n_reviews": int(len(own)),
               "n_items": int(len(shared)), "n_interactions": int(own["interaction_key"].nunique())}
        row["leniency"], row["leniency_std_error"] = _mean_se(shared["deviation"])
        half = Z_95 * row["leniency_std_error"]
        row["leniency_ci_lower"], row["leniency_ci_upper"] = row["leniency"] - half, row["leniency"] + half
        enough = len(shared) >= settings.min_items
        pairs = _peer_pairs(shared, data)
        row["kappa_vs_peers"], row["kappa_vs_peers_std_error"] = (
            _kappa(pairs["score"], pairs["score_other"], categories, "linear") if enough else (np.nan, np.nan))
        judged = own.dropna(subset=["is_detected_in_transcript"])
        row["n_transcript_pairs"] = int(len(judged))
        row["kappa_vs_transcript"] = _kappa((judged["score"] >= settings.present_min_score).astype(int),
                                            judged["is_detected_in_transcript"].astype(int), [0, 1], None)[0]
        earlier = data[(data["reviewer_id"] == reviewer) & (data["month_start"] < month) & data["deviation"].notna()]
        before, before_se = _mean_se(earlier["deviation"])
        row["drift"] = row["leniency"] - before if enough and len(earlier) >= settings.min_items else np.nan
        row["drift_std_error"] = (np.hypot(row["leniency_std_error"], before_se)
                                  if not np.isnan(row["drift"]) else np.nan)
        row["is_drifting"] = bool(not np.isnan(row["drift"]) and abs(row["drift"]) > settings.drift_threshold
                                  and abs(row["drift"]) > Z_95 * row["drift_std_error"])
        low_kappa = enough and not np.isnan(row["kappa_vs_peers"]) and row["kappa_vs_peers"] < settings.kappa_threshold
        reasons = ([f"weighted kappa with peers {row['kappa_vs_peers']:.3f} below {settings.kappa_threshold}"]
                   if low_kappa else [])
        if row["is_drifting"]:
            reasons.append(f"leniency moved {row['drift']:+.2f} points against earlier months")
        row["is_session_due"] = bool(reasons)
        row["session_reason"] = "; ".join(reasons) or None
        row["status"] = "ok" if enough else "too_few_items"
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def session_items(reviews: pd.DataFrame, table: pd.DataFrame,
                  settings: CalibrationSettings = CalibrationSettings()) -> pd.DataFrame:
    """The items to review together (ITEM_COLUMNS) for every reviewer-month of ``table`` (calibration's output)
    with a session due: the month's shared items where the reviewer was furthest from colleagues' mean."""
    due = table.loc[table["is_session_due"].astype(bool), ["reviewer_id", "month_start"]] if len(table) else table
    if reviews.empty or due.empty:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    due = due.assign(month_start=pd.to_datetime(due["month_start"]))
    shared = _prepared(reviews).merge(due, on=["reviewer_id", "month_start"])
    shared = shared[shared["deviation"].notna()]
    items = []
    for (reviewer, month), own in shared.groupby(["reviewer_id", "month_start"], sort=True):
        worst = own.assign(size=own["deviation"].abs()).sort_values(
            ["size", "interaction_key", "behavior_code"], ascending=[False, True, True]).head(settings.n_session_items)
        for rank, item in enumerate(worst.itertuples(index=False), start=1):
            items.append({"reviewer_id": reviewer, "month_start": month, "item_rank": rank,
                          "interaction_key": item.interaction_key, "behavior_code": item.behavior_code,
                          "score": item.score, "others_mean_score": float(item.score - item.deviation),
                          "deviation": item.deviation, "n_other_reviewers": int(item.m - 1)})
    return pd.DataFrame(items, columns=ITEM_COLUMNS)
