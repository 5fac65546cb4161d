"""The behaviour-effects analysis (empathy/stats/effects.py) read two ways from data written here: the long churn
windows pivoted in pandas, and pivoted and joined in DuckDB (outcomes_with_churn_windows, D40). Both give the same
table; the adjusted effect recovers the effect planted in the simulation."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from empathy.stats.effects import behavior_effects, input_columns, outcomes_with_churn_windows

CODES = ["acknowledge", "name_emotion"]
SEED = pd.DataFrame({"behavior_code": CODES, "display_order": [1, 2], "expected_csat_top2_effect_pp": [5.0, 3.0],
                     "expected_nps_effect_points": [4.0, 2.0], "expected_churn_90d_effect_pp": [-1.0, -0.5]})


def _simulated(rng: np.random.Generator, n: int = 4000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Interactions of 800 customers; naming the emotion raises CSAT top-2 by 10 points. The churn windows are
    long rows: the 90-day window missing for a tenth of the interactions (still open), an undeclared 365-day window
    present, some values null."""
    keys = [f"i{k:05d}" for k in rng.permutation(n)]
    acknowledge = rng.random(n) < 0.5
    name_emotion = rng.random(n) < 0.4
    outcomes = pd.DataFrame({
        "interaction_key": keys, "customer_key": [f"c{k % 800}" for k in range(n)],
        "channel": rng.choice(["chat", "voice", "email"], n), "tough_moment_category": rng.choice(["none", "billing"], n),
        "is_resolved": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
        "is_acknowledged_within_30s": acknowledge & (rng.random(n) < 0.7),
        "is_csat_top2": pd.array(np.where(rng.random(n) < 0.3, None, rng.random(n) < 0.5 + 0.1 * name_emotion),
                                 dtype="boolean"),
        "next_nps_category": rng.choice(["promoter", "passive", "detractor", None], n),
        "has_acknowledge": acknowledge, "has_name_emotion": name_emotion,
    })
    rows = []
    for key in keys:
        for days in (30, 90, 365):
            if days == 90 and rng.random() < 0.1:
                continue
            rows.append({"interaction_key": key, "churn_window_days": days,
                         "is_voluntarily_churned": None if rng.random() < 0.05 else bool(rng.random() < 0.1)})
    return outcomes, pd.DataFrame(rows)


def test_windows_pivoted_in_the_engine_give_the_same_effects_as_the_pandas_pivot():
    outcomes, churn = _simulated(np.random.default_rng(4))
    expected = behavior_effects(outcomes.sort_values("interaction_key", ignore_index=True)[input_columns(CODES)],
                                churn, SEED, [30, 90])
    con = duckdb.connect()
    con.register("outcomes_frame", outcomes)
    con.register("churn_frame", churn)
    frame = outcomes_with_churn_windows(con.sql("select * from outcomes_frame"), con.sql("select * from churn_frame"),
                                        CODES, [30, 90])
    assert "interaction_key" not in frame.columns and len(frame) == len(outcomes)
    assert pd.api.types.is_integer_dtype(frame["customer_key"]) and frame["customer_key"].nunique() == 800
    got = behavior_effects(frame, churn.head(0), SEED, [30, 90])
    pd.testing.assert_frame_equal(got, expected)
    assert set(got["outcome_window_days"].dropna()) == {30, 90}
    effect = got[(got["behavior_code"] == "name_emotion") & (got["outcome"] == "csat_top2")].iloc[0]
    assert effect["status"] == "ok" and effect["ci_lower"] < 10 < effect["ci_upper"], effect


def test_a_declared_window_without_rows_says_why():
    outcomes, churn = _simulated(np.random.default_rng(5), n=600)
    con = duckdb.connect()
    con.register("outcomes_frame", outcomes)
    con.register("churn_frame", churn[churn["churn_window_days"] != 30])
    frame = outcomes_with_churn_windows(con.sql("select * from outcomes_frame"), con.sql("select * from churn_frame"),
                                        CODES, [30])
    table = behavior_effects(frame, churn.head(0), SEED, [30])
    churn_rows = table[table["outcome"] == "voluntary_churn"]
    assert len(churn_rows) == 3 and set(churn_rows["status"]) == {"too_few_interactions"}
    assert (churn_rows["n_interactions"] == 0).all()
    with pytest.raises(KeyError):
        frame["is_voluntarily_churned_within_90d"]
