"""The economics mart's arithmetic (empathy/stats/economics.py) on lifelines written here: the standardised RMST
equals the weighted sum of per-stratum Kaplan-Meier areas computed with lifelines directly, standardisation removes
confounding by the stratum variable, and degenerate input gives a status row."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time

from empathy.stats.economics import DAYS_PER_MONTH, EconomicsSettings, economics_table

EXPOSED = "acknowledged_within_30s"


def _lifelines(rng: np.random.Generator, n: int = 6000) -> pd.DataFrame:
    """Enterprise customers churn at a third of the basic rate and are more often exposed (confounding); exposure
    itself lowers the hazard by 30%; follow-up censored at 500 days."""
    plan = np.where(rng.random(n) < 0.4, "enterprise", "basic")
    exposed = rng.random(n) < np.where(plan == "enterprise", 0.6, 0.2)
    rate = 0.004 * np.where(plan == "enterprise", 1 / 3, 1.0) * np.where(exposed, 0.7, 1.0)
    time = rng.exponential(1 / rate)
    return pd.DataFrame({
        "customer_key": [f"k{i}" for i in range(n)], "plan": plan, "segment": "smb",
        "exposure_group": np.where(exposed, EXPOSED, f"not_{EXPOSED}"),
        "duration_days": np.minimum(time, 500).round(), "is_voluntary_churn": time < 500,
        "origin_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
    })


def _km_rmst(frame: pd.DataFrame, tau: float) -> float:
    kmf = KaplanMeierFitter().fit(frame["duration_days"], frame["is_voluntary_churn"])
    return float(restricted_mean_survival_time(kmf, t=tau))


def test_standardised_rmst_is_the_weighted_sum_of_stratum_areas_and_removes_plan_confounding():
    data = _lifelines(np.random.default_rng(5))
    settings = EconomicsSettings(horizon_days=365, standardize_by=("plan",))
    table = economics_table(data, pd.Series(100.0, index=data.index), EXPOSED, settings).set_index(
        ["metric", "exposure_group"])
    weights = data["plan"].value_counts(normalize=True)
    for group in (EXPOSED, f"not_{EXPOSED}"):
        expected = sum(weights[p] * _km_rmst(data[(data["plan"] == p) & (data["exposure_group"] == group)], 365)
                       for p in weights.index)
        row = table.loc[("expected_revenue_per_customer", group)]
        assert row["rmst_days"] == pytest.approx(expected, rel=1e-9)
        assert row["estimate"] == pytest.approx(100.0 * expected / DAYS_PER_MONTH, rel=1e-9)
    # the truth: each plan's exponential RMST with and without the 30% lower hazard, weighted by the plan shares
    truth = sum(weights[p] * ((1 - np.exp(-r * 0.7 * 365)) / (r * 0.7) - (1 - np.exp(-r * 365)) / r)
                for p, r in (("enterprise", 0.004 / 3), ("basic", 0.004)))
    difference = table.loc[("difference_per_customer", EXPOSED)]
    assert difference["ci_lower"] <= 100.0 * truth / DAYS_PER_MONTH <= difference["ci_upper"]
    crude = (_km_rmst(data[data["exposure_group"] == EXPOSED], 365)
             - _km_rmst(data[data["exposure_group"] != EXPOSED], 365))
    assert crude > 1.5 * truth, "without standardisation the plan mix inflates the difference"


def test_roll_up_scales_the_difference_by_first_contacts_per_year():
    data = _lifelines(np.random.default_rng(6))
    table = economics_table(data, pd.Series(50.0, index=data.index), EXPOSED,
                            EconomicsSettings(share_change=0.02)).set_index("metric")
    per_year = int((data["origin_at"] > data["origin_at"].max() - pd.Timedelta(days=365)).sum())
    roll_up = table.loc["value_per_point_per_year"]
    assert roll_up["n_customers"] == per_year
    assert roll_up["estimate"] == pytest.approx(0.02 * per_year * table.loc["difference_per_customer", "estimate"])


def test_one_empty_group_gives_status_rows():
    data = _lifelines(np.random.default_rng(7), n=200).assign(exposure_group=f"not_{EXPOSED}")
    table = economics_table(data, pd.Series(10.0, index=data.index), EXPOSED, EconomicsSettings())
    assert set(table["status"]) == {"one_group_empty"} and len(table) == 3


def test_mrr_at_the_origin_from_only_the_origin_weeks_equals_the_lookup_in_every_week():
    """weeks_at_origins fetches from DuckDB only the customer-weeks holding an origin; the MRR looked up in them is
    the MRR looked up in every week: an origin on a Monday, one late on a Sunday (UTC), one outside the customer's
    weeks (null), a missing origin (null)."""
    import duckdb

    from empathy.stats.economics import mrr_at, weeks_at_origins
    weeks = pd.DataFrame({
        "customer_key": ["a"] * 4 + ["b"] * 3,
        "week_start": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26",
                                      "2026-01-05", "2026-01-12", "2026-01-19"]).date,
        "mrr_at_week_start": [10.0, 20.0, 30.0, 40.0, 5.0, 6.0, 7.0],
    })
    lifelines = pd.DataFrame({
        "customer_key": ["a", "b", "a", "c", "b"],
        "origin_at": pd.to_datetime(["2026-01-12 00:00", "2026-01-18 23:59", "2026-03-02 10:00", "2026-01-12 09:00",
                                     None], utc=True),
    })
    con = duckdb.connect()
    con.register("weeks_frame", weeks)
    relation = con.sql("select * from weeks_frame")
    few = weeks_at_origins(relation, lifelines, con)
    assert len(few) == 2
    got = mrr_at(lifelines["origin_at"], lifelines["customer_key"], few)
    assert got.equals(mrr_at(lifelines["origin_at"], lifelines["customer_key"], weeks))
    assert got.tolist()[:2] == [20.0, 6.0] and got.iloc[2:].isna().all()
