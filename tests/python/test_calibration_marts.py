"""Evaluator calibration (empathy/stats/calibration.py, mart_reviewer_calibration) on reviews written here,
independently of the demo generator: reviewers with known leniency, one of whom drifts, scoring shared
interactions; and on the demo, where the generator plants each reviewer's lenience."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa

from conftest import query
from empathy.stats.agreement import contingency_table
from empathy.stats.calibration import CalibrationSettings, calibration, session_items

BEHAVIOURS = ["acknowledge", "name_emotion", "clarify_need"]


def _reviews(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, float]]:
    """Six reviewers over six months; each interaction is scored by three of them on three behaviours; reviewer
    r5 adds +1.2 points from the fourth month on (drift)."""
    lenience = {f"r{i}": v for i, v in enumerate([-0.6, -0.3, 0.0, 0.3, 0.6, 0.0])}
    rows = []
    for month in range(6):
        for item in range(60):
            key = f"m{month}-i{item}"
            present = rng.random(len(BEHAVIOURS)) < 0.5
            for reviewer in rng.choice(list(lenience), 3, replace=False):
                shift = lenience[reviewer] + (1.2 if reviewer == "r5" and month >= 3 else 0.0)
                for b, p in zip(BEHAVIOURS, present):
                    score = int(np.clip(np.rint(1.8 + 2.2 * p + shift + rng.normal(0, 0.6)), 1, 5))
                    rows.append({"review_id": f"{key}-{reviewer}-{b}", "interaction_key": key, "behavior_code": b,
                                 "reviewer_id": reviewer, "score": score,
                                 "reviewed_at": pd.Timestamp(2026, month + 1, 10), "present": p})
    return pd.DataFrame(rows), lenience


def test_leniency_drift_and_sessions_are_recovered():
    reviews, lenience = _reviews(np.random.default_rng(8))
    detections = reviews.drop_duplicates(["interaction_key", "behavior_code"])[
        ["interaction_key", "behavior_code", "present"]].rename(columns={"present": "is_detected_in_transcript"})
    settings = CalibrationSettings(present_min_score=3)
    table = calibration(reviews.drop(columns="present"), detections, settings)
    items = session_items(reviews.drop(columns="present"), table, settings)
    assert (table["status"] == "ok").all() and len(table) == 36
    early = table[table["month_start"] < pd.Timestamp(2026, 4, 1)].groupby("reviewer_id")["leniency"].mean()
    assert stats.spearmanr(early.sort_index(), [lenience[r] for r in sorted(lenience)])[0] > 0.9
    drifting = table[table["is_drifting"]]
    assert set(drifting["reviewer_id"]) == {"r5"}, drifting[["reviewer_id", "month_start", "drift"]]
    assert (drifting["drift"] > 0.5).all() and drifting["is_session_due"].all()
    due = table[table["is_session_due"]]
    assert set(map(tuple, items[["reviewer_id", "month_start"]].drop_duplicates().to_numpy())) == set(
        map(tuple, due[["reviewer_id", "month_start"]].to_numpy()))
    r5 = items[(items["reviewer_id"] == "r5") & (items["month_start"] == pd.Timestamp(2026, 4, 1))]
    assert len(r5) == 5 and r5["deviation"].abs().is_monotonic_decreasing and (r5["deviation"] > 0).all()
    steady = ~table["is_drifting"]
    assert table.loc[steady, "kappa_vs_transcript"].between(0.4, 1).all(), "verdicts at 3+ track the transcript"
    assert table.loc[~steady, "kappa_vs_transcript"].max() < table.loc[steady, "kappa_vs_transcript"].min(), (
        "a reviewer drifting upward calls behaviours present that the transcript does not hold")


def test_kappa_with_peers_is_statsmodels_weighted_kappa_on_the_pairs():
    """Two reviewers sharing every item: the reviewer's kappa with peers is statsmodels' linear-weighted kappa of
    the two reviewers' scores (Cohen 1968)."""
    rng = np.random.default_rng(3)
    a = rng.integers(1, 6, 80)
    b = np.clip(a + rng.integers(-1, 2, 80), 1, 5)
    reviews = pd.DataFrame({
        "review_id": [f"x{i}" for i in range(160)], "interaction_key": [f"k{i}" for i in range(80)] * 2,
        "behavior_code": "acknowledge", "reviewer_id": ["a"] * 80 + ["b"] * 80, "score": np.concatenate([a, b]),
        "reviewed_at": pd.Timestamp("2026-01-05")})
    table = calibration(reviews, pd.DataFrame(columns=["interaction_key", "behavior_code",
                                                          "is_detected_in_transcript"]))
    reference = cohens_kappa(contingency_table(a, b, [1, 2, 3, 4, 5]), wt="linear")
    assert np.isclose(table.set_index("reviewer_id").loc["a", "kappa_vs_peers"], reference.kappa, atol=1e-12)


def test_a_month_with_few_shared_items_says_so():
    reviews, _ = _reviews(np.random.default_rng(9))
    few = reviews[reviews["interaction_key"].str.startswith("m0-i1")].drop(columns="present").head(12)
    table = calibration(few, pd.DataFrame(columns=["interaction_key", "behavior_code", "is_detected_in_transcript"]))
    items = session_items(few, table)
    assert (table["status"] == "too_few_items").all() and table["kappa_vs_peers"].isna().all()
    assert not table["is_session_due"].any() and items.empty
    empty_table = calibration(few.iloc[:0], few.iloc[:0])
    empty_items = session_items(few.iloc[:0], empty_table)
    assert empty_table.empty and empty_items.empty


def test_demo_calibration_recovers_planted_lenience(demo_db: Path, demo_manifest: dict) -> None:
    """The generator gives each QA reviewer a lenience (no drift); pooled over months, the mart's leniency ranks
    the reviewers as planted (measured Spearman 0.97), and every session item belongs to a session that is due."""
    planted = demo_manifest["effects"]["qa_reviewer_lenience"]["lenience_by_reviewer"]
    rows = query(demo_db, """
        select reviewer_id, sum(leniency * n_items) / sum(n_items) from marts.mart_reviewer_calibration
        where n_items > 0 group by reviewer_id""")
    assert len(rows) == len(planted)
    rho = stats.spearmanr([r[1] for r in rows], [planted[r[0]] for r in rows])[0]
    assert rho > 0.8, rho
    (orphans,), = query(demo_db, """
        select count(*) from marts.mart_calibration_session_items as items
        left join marts.mart_reviewer_calibration as cal using (reviewer_id, month_start)
        where not coalesce(cal.is_session_due, false)""")
    assert orphans == 0
