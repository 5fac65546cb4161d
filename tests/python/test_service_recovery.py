"""Service recovery statistics (empathy/stats/service_recovery.py) on hand-written low scores, independent of the
demo generator: the transition matrix counts every low score once, the adjusted difference is the least-squares
coefficient a plain regression gives, a planted recovery lift is recovered, and thin data gives statuses."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from empathy.stats.service_recovery import (COLUMNS, GROUPS, RecoverySettings, adjusted_difference,
                                            service_recovery)


def low_scores(n: int, seed: int, lift: float = 0.0) -> pd.DataFrame:
    """n low scores; the chance of a non-detractor next answer rises by ``lift`` after an empathetic follow-up."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["nps_detractor", "csat_bottom_box"], n)
    prior = np.where(kind == "nps_detractor", rng.integers(0, 7, n), rng.integers(1, 3, n))
    tough = rng.random(n) < 0.4
    group = rng.choice(GROUPS, n, p=[0.3, 0.3, 0.1, 0.3])
    answered = rng.random(n) < 0.7
    p_recover = 0.25 + 0.03 * prior - 0.05 * tough + lift * (group == "empathetic_follow_up")
    recovered = rng.random(n) < p_recover
    promoter = recovered & (rng.random(n) < 0.3)
    category = np.where(~answered, "no_later_answer",
                        np.where(promoter, "promoter", np.where(recovered, "passive", "detractor")))
    days = rng.uniform(20, 400, n)
    return pd.DataFrame({
        "invitation_id": [f"inv{i}" for i in range(n)], "customer_key": [f"c{i // 2}" for i in range(n)],
        "low_score_kind": kind, "prior_score": prior, "had_tough_moment": tough, "follow_up_group": group,
        "next_nps_category": category, "is_recovered": answered & recovered,
        "days_to_recovery_or_censoring": days,
    })


def test_transition_matrix_counts_every_low_score_once() -> None:
    frame = low_scores(400, seed=1)
    table = service_recovery(frame, RecoverySettings())
    assert list(table.columns) == COLUMNS
    cells = table[(table["row_kind"] == "transition") & (table["low_score_kind"] == "all")]
    assert cells["n_low_scores"].sum() == len(frame)
    by_group = cells.groupby("follow_up_group")["share_of_low_scores"].sum()
    assert np.allclose(by_group.to_numpy(), 1.0)
    answered = cells[cells["next_nps_category"] != "no_later_answer"]
    assert np.allclose(answered.groupby("follow_up_group")["share_of_later_answers"].sum().to_numpy(), 1.0)
    per_kind = table[(table["row_kind"] == "transition") & (table["low_score_kind"] != "all")]
    assert per_kind["n_low_scores"].sum() == len(frame)


def test_adjusted_difference_is_the_regression_coefficient_with_customer_clusters() -> None:
    frame = low_scores(600, seed=2)
    frame = frame[frame["follow_up_group"].isin(["empathetic_follow_up", "no_follow_up"])].copy()
    y = frame["next_nps_category"].isin(["passive", "promoter"])
    treated = frame["follow_up_group"] == "empathetic_follow_up"
    estimate, se, p = adjusted_difference(frame, y, treated, ["prior_score", "had_tough_moment"],
                                          frame["customer_key"])
    data = frame.assign(y=y.astype(float), treated=treated.astype(float),
                        had_tough_moment=frame["had_tough_moment"].astype(float))
    reference = smf.ols("y ~ treated + prior_score + had_tough_moment", data=data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["customer_key"])[0]})
    assert estimate == pytest.approx(reference.params["treated"], abs=1e-12)
    assert se == pytest.approx(reference.bse["treated"], rel=1e-10)
    assert p == pytest.approx(reference.pvalues["treated"], rel=1e-8)


def test_a_planted_recovery_lift_is_covered() -> None:
    frame = low_scores(6000, seed=3, lift=0.15)
    table = service_recovery(frame, RecoverySettings())
    row = table[(table["row_kind"] == "adjusted_effect") & (table["low_score_kind"] == "all")
                & (table["comparison"] == "empathetic_vs_no_follow_up")
                & (table["outcome"] == "not_detractor_next")].iloc[0]
    assert row["status"] == "ok"
    assert row["ci_lower"] <= 0.15 <= row["ci_upper"], row.to_dict()
    assert row["ci_lower"] > 0
    effects = table[table["row_kind"] == "adjusted_effect"].dropna(subset=["p_value"])
    assert (effects["p_value_adjusted"] >= effects["p_value"] - 1e-15).all()


def test_time_to_recovery_matches_the_share_recovered_without_censoring_before_the_horizon() -> None:
    frame = low_scores(500, seed=4)
    frame["days_to_recovery_or_censoring"] = np.where(frame["is_recovered"], 30.0, 365.0)
    table = service_recovery(frame, RecoverySettings(horizon_days=180))
    rows = table[(table["row_kind"] == "time_to_recovery") & (table["low_score_kind"] == "all")]
    for _, row in rows.iterrows():
        cell = frame[frame["follow_up_group"] == row["follow_up_group"]]
        assert row["estimate"] == pytest.approx(cell["is_recovered"].mean())
        assert row["ci_lower"] <= row["estimate"] <= row["ci_upper"]


def test_thin_data_gives_rows_with_statuses_not_errors() -> None:
    frame = low_scores(12, seed=5)
    table = service_recovery(frame, RecoverySettings(min_low_scores=30))
    assert len(table) > 0
    effects = table[table["row_kind"] == "adjusted_effect"]
    assert set(effects["status"]) == {"too_few_low_scores"} and effects["estimate"].isna().all()
    times = table[table["row_kind"] == "time_to_recovery"]
    assert set(times["status"]) == {"too_few_low_scores"}
    only_empathetic = low_scores(200, seed=6).assign(follow_up_group="empathetic_follow_up")
    statuses = service_recovery(only_empathetic, RecoverySettings())
    assert set(statuses.loc[statuses["row_kind"] == "adjusted_effect", "status"]) == {"one_group_empty"}
