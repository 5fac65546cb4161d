"""The product and policy feed (empathy/stats/product_signals.py) on segments written here, independently of the
demo generator, and against statsmodels' test of two independent proportions."""
from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import test_proportions_2indep as two_independent_proportions

from empathy.stats.product_signals import SignalSettings, product_policy_signals, two_proportion_difference


def test_difference_and_p_value_equal_statsmodels_wald_test():
    diff, se, p = two_proportion_difference(np.array([29.0]), np.array([62.0]), np.array([400.0]), np.array([600.0]))
    reference = two_independent_proportions(29, 62, 400, 600, method="wald", compare="diff")
    assert np.isclose(diff[0], 29 / 62 - 400 / 600) and np.isclose(p[0], reference.pvalue, atol=1e-12)
    assert np.isclose(diff[0] / se[0], reference.statistic, atol=1e-12)


def _segments() -> pd.DataFrame:
    """Four products: 'legacy_router' keeps CSAT low even with full empathy (30% against 70%), 'tiny' has too few
    answers to say, the others are alike; churn is alike everywhere."""
    rows = []
    for product, n, share, customers in (("legacy_router", 200, 0.30, 900), ("app", 400, 0.70, 2000),
                                         ("web", 400, 0.71, 1800), ("tiny", 12, 0.10, 40)):
        rows.append({"dimension": "product", "segment_value": product, "outcome": "csat_top2", "n_interactions": n * 3,
                     "n_observations": n, "n_successes": int(round(share * n)), "n_customers_affected": customers,
                     "mrr_affected": customers * 50.0})
        rows.append({"dimension": "product", "segment_value": product, "outcome": "voluntary_churn_90d",
                     "n_interactions": n * 3, "n_observations": n * 2, "n_successes": int(round(0.1 * n * 2)),
                     "n_customers_affected": customers, "mrr_affected": customers * 50.0})
    return pd.DataFrame(rows)


def test_a_segment_empathy_cannot_rescue_is_flagged_and_ranked_and_a_small_one_says_why():
    table = product_policy_signals(_segments(), SignalSettings(signals_min_observations=30)).set_index(
        ["segment_value", "outcome"])
    flagged = table[table["is_not_recovered_by_empathy"]]
    assert list(flagged.index) == [("legacy_router", "csat_top2")]
    assert flagged["priority_rank"].tolist() == [1] and flagged["ci_upper"].iloc[0] < 0
    assert table.loc[("tiny", "csat_top2"), "status"] == "too_few_observations"
    assert np.isnan(table.loc[("tiny", "csat_top2"), "estimate"])
    assert not table.xs("voluntary_churn_90d", level="outcome")["is_not_recovered_by_empathy"].any()
    tested = table[table["status"] == "ok"]
    assert (tested["p_value_adjusted"] >= tested["p_value"]).all()


def test_alike_segments_are_not_flagged_and_empty_input_is_empty():
    segments = _segments()
    segments.loc[(segments["segment_value"] == "legacy_router") & (segments["outcome"] == "csat_top2"),
                 "n_successes"] = 141
    table = product_policy_signals(segments, SignalSettings(signals_min_observations=30))
    assert not table["is_not_recovered_by_empathy"].any() and table["priority_rank"].isna().all()
    assert product_policy_signals(segments.iloc[:0]).empty


def test_demo_feed_flags_only_segments_the_generator_made_worse(demo_db) -> None:
    """The generator lowers CSAT in every tough-moment category, whatever the behaviours (CSAT_CAT_OFF), and gives
    routine contacts none: a flagged CSAT row of the tough-moment dimension is never `routine`, every flag has a
    Holm-adjusted p-value below 0.05, and flags are ranked 1..n."""
    from conftest import query
    rows = query(demo_db, """
        select dimension, segment_value, outcome, p_value_adjusted, priority_rank
        from marts.mart_product_policy_signals where is_not_recovered_by_empathy order by priority_rank""")
    assert [rank for *_, rank in rows] == list(range(1, len(rows) + 1))
    assert all(p < 0.05 for *_, p, _ in rows)
    assert ("tough_moment_category", "routine", "csat_top2") not in {tuple(r[:3]) for r in rows}
    (n_rows,), = query(demo_db, "select count(*) from marts.mart_product_policy_signals")
    (n_cells,), = query(demo_db, "select count(*) from intermediate.int_segments_counted_for_signals")
    assert n_rows == n_cells > 0
