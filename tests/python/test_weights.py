"""Tests of empathy.stats.weights: survey weights (design, nonresponse, raking, trimming), diagnostics and linearised SEs.

Reference checks: raking against the ``ipfn`` package, linearised SEs against statsmodels' sandwich (HC1 and
cluster-robust) variances and against hand-computed values of the with-replacement ratio-mean variance (Lohr,
*Sampling: Design and Analysis*, 3rd ed., sec. 9.1 / Wolter 2007 ch. 6), NPS SE against the multinomial formula
(Rocks 2016), and a simulation with a known oversampled low-scoring stratum.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from empathy.stats import weights as W
from empathy.stats.weights import WeightingError

TOUGH = ["tough_moment:escalation", "tough_moment:delayed_shipment", "tough_moment:billing_correction",
         "tough_moment:policy_exception"]
CHANNELS = ["chat", "email", "phone"]
PERIODS = ["2024-01", "2024-02", "2024-03"]


def _all_finite(frame: pd.DataFrame) -> bool:
    return bool(np.isfinite(frame.select_dtypes(include=[np.number]).to_numpy(dtype=float)).all())


def _sample(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Respondents with channel, tough category and period correlated with each other and unequal start weights."""
    rng = np.random.default_rng(seed)
    channel = rng.choice(CHANNELS, n, p=[0.5, 0.3, 0.2])
    tough_p = np.where(channel == "phone", 0.6, 0.3)
    is_tough = rng.random(n) < tough_p
    category = np.where(is_tough, rng.choice(TOUGH, n), "routine")
    period = np.where(channel == "chat", rng.choice(PERIODS, n, p=[0.5, 0.3, 0.2]), rng.choice(PERIODS, n))
    w = np.where(is_tough, 2.0, 20.0) * rng.uniform(0.8, 1.25, n)
    return pd.DataFrame({"channel": channel, "category": category, "period": period, "w": w})


MARGINS = {
    "channel": pd.Series({"chat": 5000.0, "email": 3000.0, "phone": 2000.0}),
    "category": pd.Series({"routine": 8500.0, TOUGH[0]: 500.0, TOUGH[1]: 400.0, TOUGH[2]: 350.0, TOUGH[3]: 250.0}),
    "period": pd.Series({"2024-01": 3000.0, "2024-02": 3300.0, "2024-03": 3700.0}),
}


# ---------------------------------------------------------------------------------------------------------------
# design weights
# ---------------------------------------------------------------------------------------------------------------


def test_design_weights_are_inverse_probabilities() -> None:
    p = pd.Series([1.0, 0.5, 0.25, 0.1], index=["a", "b", "c", "d"])
    w = W.design_weights(p)
    assert w.name == "design_weight"
    np.testing.assert_allclose(w.to_numpy(), [1, 2, 4, 10])
    assert list(w.index) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, np.nan, np.inf, "x"])
def test_design_weights_reject_probability_outside_unit_interval(bad: object) -> None:
    p = pd.Series([0.5, bad, 0.2], index=["r1", "r2", "r3"], dtype=object)
    stratum = pd.Series(["routine", "tough_moment:billing_correction", "routine"], index=p.index)
    with pytest.raises(WeightingError, match=r"'r2'.*tough_moment:billing_correction"):
        W.design_weights(p, stratum)


# ---------------------------------------------------------------------------------------------------------------
# nonresponse adjustment
# ---------------------------------------------------------------------------------------------------------------


def _invited() -> pd.DataFrame:
    return pd.DataFrame({
        "channel": ["chat", "chat", "chat", "phone", "phone", "phone", "email", "email"],
        "stratum": ["routine"] * 3 + ["tough", "tough", "routine", "routine", "routine"],
        "d": [10.0, 10.0, 20.0, 2.0, 4.0, 10.0, 5.0, 5.0],
        "responded": [True, False, True, True, False, True, False, True],
    }, index=[f"i{k}" for k in range(8)])


def test_nonresponse_adjustment_inflates_within_cells() -> None:
    inv = _invited()
    res = W.nonresponse_adjust(inv, ["channel", "stratum"], "responded", "d")
    # chat/routine: invited 40, respondents 30 -> factor 4/3; phone/tough: 6/2 = 3; phone/routine 1; email 2
    expected = {"i0": 10 * 4 / 3, "i2": 20 * 4 / 3, "i3": 2 * 3.0, "i5": 10.0, "i7": 10.0}
    assert res.weights.to_dict() == pytest.approx(expected, rel=1e-12)
    assert res.weights.sum() == pytest.approx(inv["d"].sum(), rel=1e-12)  # design total of the invited kept
    assert res.collapsed == []
    assert set(res.cells["adjustment_factor"].round(6)) == {round(4 / 3, 6), 3.0, 1.0, 2.0}


def test_nonresponse_cell_without_respondents_raises_naming_the_cell() -> None:
    inv = _invited()
    inv.loc["i7", "responded"] = False  # email/routine: 2 invitations, no respondent
    with pytest.raises(WeightingError, match=r"\('email', 'routine'\).*0 respondent"):
        W.nonresponse_adjust(inv, ["channel", "stratum"], "responded", "d")


def test_nonresponse_collapse_mapping_and_ordering_are_reported() -> None:
    inv = _invited()
    inv.loc["i7", "responded"] = False
    res = W.nonresponse_adjust(inv, ["channel", "stratum"], "responded", "d",
                               collapse={("email", "routine"): ("phone", "routine")})
    assert res.collapsed[0]["cell"] == ("email", "routine") and res.collapsed[0]["into"] == ("phone", "routine")
    # pooled phone/routine + email/routine: invited 10 + 10 = 20, respondents 10 -> factor 2
    assert res.weights["i5"] == pytest.approx(20.0)
    assert res.weights.sum() == pytest.approx(inv["d"].sum())
    assert np.isfinite(res.weights).all()

    order = [("chat", "routine"), ("email", "routine"), ("phone", "routine"), ("phone", "tough")]
    res2 = W.nonresponse_adjust(inv, ["channel", "stratum"], "responded", "d", collapse=order)
    assert res2.collapsed[0]["into"] == ("phone", "routine")
    assert res2.weights.sum() == pytest.approx(inv["d"].sum())


def test_nonresponse_collapse_cycle_or_missing_entry_raises() -> None:
    inv = _invited()
    inv.loc[["i7"], "responded"] = False
    inv.loc[["i5"], "responded"] = False  # phone/routine empty too
    with pytest.raises(WeightingError, match="no neighbour outside the pooled cell"):
        W.nonresponse_adjust(inv, ["channel", "stratum"], "responded", "d",
                             collapse={("email", "routine"): ("phone", "routine"),
                                       ("phone", "routine"): ("email", "routine")})
    # a chain to a cell with respondents works
    res = W.nonresponse_adjust(inv, ["channel", "stratum"], "responded", "d",
                               collapse={("email", "routine"): ("phone", "routine"),
                                         ("phone", "routine"): ("phone", "tough")})
    assert res.weights.sum() == pytest.approx(inv["d"].sum())
    assert len(res.collapsed) == 2


# ---------------------------------------------------------------------------------------------------------------
# raking
# ---------------------------------------------------------------------------------------------------------------


def test_rake_reproduces_ipfn_per_cell() -> None:
    try:
        from ipfn import ipfn
    except ImportError:  # pragma: no cover - the reference must be installed, not skipped
        pytest.fail("ipfn is needed as the raking reference: pip install ipfn==1.4.4")
    sample = _sample()
    ours = W.rake(sample, "w", MARGINS, max_iter=500, tol=1e-12)
    assert ours.converged

    cells = sample.groupby(["channel", "category", "period"], as_index=False)["w"].sum()
    cells = cells.rename(columns={"w": "total"})
    aggregates = [MARGINS["channel"].rename_axis("channel"), MARGINS["category"].rename_axis("category"),
                  MARGINS["period"].rename_axis("period")]
    ref = ipfn.ipfn(cells.copy(), aggregates, [["channel"], ["category"], ["period"]], weight_col="total",
                    convergence_rate=1e-13, rate_tolerance=0.0, max_iteration=2000).iteration()
    ref = ref.set_index(["channel", "category", "period"])["total"].sort_index()

    mine = sample.assign(r=ours.weights).groupby(["channel", "category", "period"])["r"].sum().sort_index()
    assert len(mine) == len(ref) > 30
    rel = np.abs(mine.to_numpy() / ref.loc[mine.index].to_numpy() - 1)
    assert rel.max() < 1e-6, rel.max()
    # within a cell raking keeps the ratios of the starting weights (one common factor per cell)
    ratio = ours.weights / sample["w"]
    assert ratio.groupby([sample.channel, sample.category, sample.period]).std().fillna(0).max() < 1e-9


def test_rake_meets_every_margin_and_reports_deviation() -> None:
    sample = _sample()
    res = W.rake(sample, "w", MARGINS)
    comp = W.margin_comparison(sample, res.weights, MARGINS)
    assert np.abs(comp["weighted_total"] - comp["population_total"]).max() < 1e-6
    assert np.abs(comp["share_difference"]).max() < 1e-10
    assert set(res.max_abs_deviation) == set(MARGINS) and max(res.max_abs_deviation.values()) < 1e-6
    assert res.max_relative_error <= 1e-10 and res.converged and res.iterations >= 2
    assert _all_finite(comp)
    # before raking the sample is far off the population mix (tough moments oversampled)
    before = W.margin_comparison(sample, "w", MARGINS)
    assert np.abs(before["share_difference"]).max() > 0.02


def test_rake_unknown_sample_category_and_unreachable_margin_category_raise() -> None:
    sample = _sample()
    margins = dict(MARGINS)
    margins["channel"] = pd.Series({"chat": 5000.0, "email": 3000.0})  # phone missing from the margin
    with pytest.raises(WeightingError, match=r"'channel'.*'phone'"):
        W.rake(sample, "w", {**margins, "channel": margins["channel"] * 1.25})

    margins = dict(MARGINS)
    margins["channel"] = pd.Series({"chat": 5000.0, "email": 2500.0, "phone": 2000.0, "social": 500.0})
    with pytest.raises(WeightingError, match=r"margin 'channel'.*'social'.*no sample unit"):
        W.rake(sample, "w", margins)
    # with a configured collapse the category is pooled and reported
    res = W.rake(sample, "w", margins, collapse={"channel": {"social": "chat"}})
    assert res.collapsed == [{"margin": "channel", "category": "social", "into": "chat"}]
    assert res.targets["channel"]["chat"] == 5500.0
    # a zero-population category without sample units is dropped, not an error
    zero = {**MARGINS, "channel": pd.concat([MARGINS["channel"], pd.Series({"social": 0.0})])}
    assert W.rake(sample, "w", zero).dropped == [{"margin": "channel", "category": "social"}]


def test_rake_margin_totals_must_agree_or_be_rescaled() -> None:
    sample = _sample()
    margins = {**MARGINS, "period": MARGINS["period"] * 1.1}
    with pytest.raises(WeightingError, match="margin totals disagree"):
        W.rake(sample, "w", margins)
    res = W.rake(sample, "w", margins, rescale_margins=True)
    assert res.weights.sum() == pytest.approx(10000.0)  # the first margin's total
    assert res.targets["period"].sum() == pytest.approx(10000.0)


def test_rake_nonconvergence_raises_with_iterations_and_error() -> None:
    sample = _sample()
    with pytest.raises(WeightingError, match=r"after 1 iteration\(s\): max relative error \d"):
        W.rake(sample, "w", MARGINS, max_iter=1)
    # structurally infeasible: only (A, x) and (B, y) cells exist but the margins cross them
    hard = pd.DataFrame({"a": ["A"] * 5 + ["B"] * 5, "b": ["x"] * 5 + ["y"] * 5, "w": 1.0})
    with pytest.raises(WeightingError, match=r"did not converge after 1000 iteration.*margin '(a|b)'"):
        W.rake(hard, "w", {"a": pd.Series({"A": 50.0, "B": 50.0}), "b": pd.Series({"x": 30.0, "y": 70.0})},
               max_iter=1000)
    ret = W.rake(sample, "w", MARGINS, max_iter=1, on_nonconvergence="return")
    assert not ret.converged and np.isfinite(ret.weights).all()


def test_rake_rejects_bad_weights_and_missing_categories() -> None:
    sample = _sample()
    bad = sample.copy()
    bad.loc[3, "w"] = np.nan
    with pytest.raises(WeightingError, match=r"row\(s\) 3"):
        W.rake(bad, "w", MARGINS)
    bad = sample.copy()
    bad.loc[5, "period"] = None
    with pytest.raises(WeightingError, match=r"'period' missing at row\(s\) 5"):
        W.rake(bad, "w", MARGINS)


def test_rake_is_vectorised_on_100k_rows() -> None:
    """Not a timed test: the 100k x 3-margin rake must simply finish (it takes ~0.05 s)."""
    rng = np.random.default_rng(3)
    n = 100_000
    big = pd.DataFrame({"channel": rng.choice(CHANNELS, n), "category": rng.choice(["routine", *TOUGH], n),
                        "period": rng.choice(PERIODS, n), "w": rng.uniform(1, 10, n)})
    res = W.rake(big, "w", MARGINS)
    assert res.converged and np.isfinite(res.weights).all()


# ---------------------------------------------------------------------------------------------------------------
# trimming and the full pipeline
# ---------------------------------------------------------------------------------------------------------------


def test_trim_and_rerake_caps_weights_and_keeps_margins() -> None:
    sample = _sample()
    sample.loc[sample.index[:4], "w"] *= 8  # a few extreme weights
    res = W.trim_and_rerake(sample, "w", MARGINS, cap_rule="mean_multiple", cap_value=3.0)
    assert res.cap == pytest.approx(3 * 10000 / len(sample))
    assert res.rounds >= 1 and res.cap_satisfied
    assert res.raked_weights.max() > res.cap  # there was something to trim
    assert res.weights.max() <= res.cap * (1 + 1e-6)
    assert 0 < res.share_trimmed < 0.5 and 0 < res.share_weight_trimmed < 1
    comp = W.margin_comparison(sample, res.weights, MARGINS)
    assert np.abs(comp["weighted_total"] - comp["population_total"]).max() < 1e-6
    assert W.kish_design_effect(res.weights) < W.kish_design_effect(res.raked_weights)
    # other cap rules; with max_rounds=0 nothing is trimmed and the flag says the cap is not met
    q = W.trim_and_rerake(sample, "w", MARGINS, cap_rule="quantile", cap_value=0.99)
    assert q.cap_satisfied and q.share_trimmed == pytest.approx(0.05, abs=0.04)
    none = W.trim_and_rerake(sample, "w", MARGINS, cap_rule="mean_multiple", cap_value=3.0, max_rounds=0)
    assert none.rounds == 0 and not none.cap_satisfied and none.share_trimmed == 0
    assert (none.weights.to_numpy() == none.raked_weights.to_numpy()).all()


def test_trim_cap_infeasible_for_a_margin_raises() -> None:
    sample = _sample()
    with pytest.raises(WeightingError, match=r"cap 5 is infeasible for margin 'channel'.*'chat'"):
        W.trim_and_rerake(sample, "w", MARGINS, cap_rule="absolute", cap_value=5.0)


def test_weight_survey_keeps_each_stage_as_a_column() -> None:
    rng = np.random.default_rng(11)
    n = 4000
    inv = pd.DataFrame({"channel": rng.choice(CHANNELS, n), "category": rng.choice(["routine", *TOUGH], n),
                        "period": rng.choice(PERIODS, n)})
    inv["p"] = np.where(inv["category"] == "routine", 0.05, 0.5)
    inv["responded"] = rng.random(n) < np.where(inv["channel"] == "phone", 0.2, 0.4)
    out = W.weight_survey(inv, probability_column="p", response_cell_columns=["channel", "category"],
                          responded_column="responded", margins=MARGINS, stratum_column="category")
    r = out.respondents
    for col in ["design_weight", "nonresponse_weight", "raked_weight", "final_weight"]:
        assert col in r and np.isfinite(r[col]).all() and (r[col] > 0).all()
    assert len(r) == int(inv["responded"].sum())
    assert list(out.summary.index) == ["design_weight", "nonresponse_weight", "raked_weight", "final_weight"]
    assert out.summary.loc["nonresponse_weight", "sum"] == pytest.approx((1 / inv["p"]).sum())
    assert out.summary.loc["final_weight", "share_trimmed"] == out.trim.share_trimmed
    assert _all_finite(out.summary)


# ---------------------------------------------------------------------------------------------------------------
# diagnostics
# ---------------------------------------------------------------------------------------------------------------


def test_kish_design_effect_and_effective_n() -> None:
    w = np.array([1.0, 1.0, 2.0, 4.0])  # n=4, sum=8, sum sq=22
    assert W.kish_design_effect(w) == pytest.approx(4 * 22 / 64)
    assert W.effective_sample_size(w) == pytest.approx(64 / 22)
    assert W.kish_design_effect(np.ones(10)) == pytest.approx(1.0)
    with pytest.raises(WeightingError):
        W.kish_design_effect(np.array([1.0, np.nan]))


def test_standardized_mean_differences_shrink_after_raking() -> None:
    sample = _sample()
    sample["handle_minutes"] = np.where(sample["category"] == "routine", 6.0, 14.0) + np.arange(len(sample)) % 3
    res = W.rake(sample, "w", MARGINS)
    shares = {k: v / v.sum() for k, v in MARGINS.items()}
    pop = {"channel": shares["channel"], "category": shares["category"], "handle_minutes": 6.0 * 0.85 + 14 * 0.15 + 1}
    smd = W.standardized_mean_differences(sample, pop, None, res.weights)
    cat = smd[smd.covariate.isin(["channel", "category"])]
    assert np.abs(cat["smd_weighted"]).max() < 1e-8
    assert np.abs(cat["smd_unweighted"]).max() > 0.1  # oversampled tough moments: imbalance before
    num = smd[smd.covariate == "handle_minutes"].iloc[0]
    assert abs(num["smd_weighted"]) < 0.1 < abs(num["smd_unweighted"])
    assert _all_finite(smd)


# ---------------------------------------------------------------------------------------------------------------
# linearised standard errors
# ---------------------------------------------------------------------------------------------------------------


def test_linearised_se_hand_computed_ratio_mean() -> None:
    """v(ȳ_w) = n/(n−1) Σ_i [w_i (y_i − ȳ_w)/Σw]² (Lohr 3rd ed. sec. 9.1, with-replacement PSUs), by hand:

    y = (2, 4, 6, 10), w = (1, 1, 2, 4): ȳ_w = 58/8 = 7.25; z = (−0.65625, −0.40625, −0.3125, 1.375);
    Σz² = 2.583984375; v = 4/3 · 2.583984375 = 3.4453125.
    """
    d = pd.DataFrame({"y": [2, 4, 6, 10], "w": [1.0, 1.0, 2.0, 4.0]})
    r = W.weighted_mean(d, "y", "w").iloc[0]
    assert r["estimate"] == pytest.approx(7.25, abs=1e-12)
    assert r["se"] ** 2 == pytest.approx(3.4453125, rel=1e-12)
    assert r["ci_lower"] == pytest.approx(7.25 - 1.959963984540054 * np.sqrt(3.4453125), rel=1e-12)
    assert r["naive_estimate"] == pytest.approx(5.5)
    assert r["effective_n"] == pytest.approx(64 / 22)


def test_linearised_se_hand_computed_stratified() -> None:
    """Stratified: v = Σ_h n_h/(n_h−1) Σ_i (z_hi − z̄_h)². Stratum A: y=(1,3), w=1; B: y=(5,7,9), w=2.
    ȳ_w = 46/8 = 5.75; z_A = (−0.59375, −0.34375) → 2·0.03125 = 0.0625; z_B = (−0.1875, 0.3125, 0.8125) →
    3/2·0.5 = 0.75; v = 0.8125."""
    d = pd.DataFrame({"y": [1, 3, 5, 7, 9], "w": [1.0, 1, 2, 2, 2], "h": list("AABBB")})
    r = W.weighted_mean(d, "y", "w", strata_column="h").iloc[0]
    assert r["se"] ** 2 == pytest.approx(0.8125, rel=1e-12)
    with pytest.raises(WeightingError, match=r"'C'.*single PSU"):
        W.weighted_mean(pd.concat([d, pd.DataFrame({"y": [4], "w": [1.0], "h": ["C"]})], ignore_index=True),
                        "y", "w", strata_column="h")


def test_linearised_se_equals_statsmodels_sandwich() -> None:
    """Unstratified, one PSU per response: our variance = HC1 sandwich variance of the intercept of
    WLS(y ~ 1, weights=w), i.e. n/(n−1) Σ w²e²/(Σw)²; with clusters = statsmodels' cluster-robust variance
    (correction G/(G−1)·(N−1)/(N−1))."""
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"y": rng.normal(4, 1.2, n), "w": rng.uniform(1, 30, n), "agent": rng.integers(0, 40, n)})
    ols = sm.WLS(df["y"].to_numpy(), np.ones(n), weights=df["w"].to_numpy())
    hc1 = ols.fit(cov_type="HC1").bse[0]
    clu = ols.fit(cov_type="cluster", cov_kwds={"groups": df["agent"].to_numpy()}).bse[0]
    ours = W.weighted_mean(df, "y", "w").iloc[0]
    ours_c = W.weighted_mean(df, "y", "w", cluster_column="agent").iloc[0]
    assert ours["estimate"] == pytest.approx(np.average(df.y, weights=df.w), rel=1e-12)
    assert ours["se"] == pytest.approx(hc1, rel=1e-10)
    assert ours_c["se"] == pytest.approx(clu, rel=1e-10)


def test_equal_weights_reduce_to_s_over_sqrt_n() -> None:
    """Equal weights: v = n/(n−1)·Σ(y−ȳ)²/n² = s²/n with s² the (n−1)-divisor variance,
    so SE = s/√n exactly (= sqrt(Σ(y−ȳ)²/n)/√n · sqrt(n/(n−1)))."""
    rng = np.random.default_rng(1)
    y = rng.integers(1, 6, 57).astype(float)
    d = pd.DataFrame({"y": y, "w": 3.7})
    r = W.weighted_mean(d, "y", "w").iloc[0]
    assert r["se"] == pytest.approx(np.std(y, ddof=1) / np.sqrt(57), rel=1e-12)
    assert r["se"] == pytest.approx(np.sqrt(np.sum((y - y.mean()) ** 2)) / 57 * np.sqrt(57 / 56), rel=1e-12)
    assert r["naive_se"] == pytest.approx(r["se"], rel=1e-12)
    assert r["deff"] == pytest.approx(1.0) and r["deff_kish"] == pytest.approx(1.0)


def test_weighted_proportion_matches_mean_of_indicator() -> None:
    s = _sample()
    s["resolved"] = np.arange(len(s)) % 3 == 0
    p = W.weighted_proportion(s, "resolved", "w").iloc[0]
    m = W.weighted_mean(s.assign(r=s.resolved.astype(float)), "r", "w").iloc[0]
    assert p["estimate"] == pytest.approx(m["estimate"]) and p["se"] == pytest.approx(m["se"])
    p2 = W.weighted_proportion(s, "channel", "w", category="phone").iloc[0]
    assert p2["estimate"] == pytest.approx(s.w[s.channel == "phone"].sum() / s.w.sum())


def _nps_categories(answers) -> np.ndarray:
    """Reichheld's categories of 0-10 answers (the warehouse takes the cut-offs from the survey_items seed)."""
    answers = np.asarray(answers)
    return np.where(answers >= 9, "promoter", np.where(answers <= 6, "detractor", "passive"))


def test_nps_equal_weights_matches_multinomial_formula() -> None:
    """NPS = 100(p_P − p_D); with equal weights SE = 100·sqrt((p_P + p_D − (p_P − p_D)²)/n)·sqrt(n/(n−1))."""
    answers = np.array([10, 9, 9, 8, 7, 6, 5, 0, 10, 3, 9, 7, 8, 10, 2, 9, 9, 1, 10, 6, 8, 9, 10])
    n = answers.size
    d = pd.DataFrame({"ltr": _nps_categories(answers), "w": 1.0})
    r = W.net_promoter_score(d, "ltr", "w").iloc[0]
    pp, pd_ = np.mean(answers >= 9), np.mean(answers <= 6)
    assert r["estimate"] == 100 * (pp - pd_)  # exact
    multinomial = 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / n)
    assert r["se"] == pytest.approx(multinomial * np.sqrt(n / (n - 1)), rel=1e-12)
    with pytest.raises(WeightingError, match=r"categories.*row\(s\) 1"):
        W.net_promoter_score(pd.DataFrame({"ltr": ["promoter", "fan"], "w": 1.0}), "ltr", "w")


def test_by_gives_overall_plus_one_row_per_group_as_domains() -> None:
    s = _sample()
    s["csat"] = np.where(s["category"] == "routine", 4.0, 2.5) + (np.arange(len(s)) % 2)
    s.loc[s.index[:5], "csat"] = np.nan  # item nonresponse: out of the domain
    out = W.weighted_mean(s, "csat", "w", by="channel")
    assert list(out["scope"]) == ["overall", "group", "group", "group"]
    assert out["channel"].iloc[0] is None and list(out["channel"].iloc[1:]) == sorted(CHANNELS)
    for _, row in out.iloc[1:].iterrows():
        sub = s[(s.channel == row["channel"]) & s.csat.notna()]
        assert row["estimate"] == pytest.approx(np.average(sub.csat, weights=sub.w), rel=1e-12)
        assert row["n"] == len(sub)
        # domain SE (unstratified) = subset SE × sqrt[(n/(n−1)) / (n_d/(n_d−1))]
        sub_se = W.weighted_mean(sub, "csat", "w").iloc[0]["se"]
        n, nd = len(s), len(sub)  # every response is a PSU of the design, with or without a value
        assert row["se"] == pytest.approx(sub_se * np.sqrt(n / (n - 1) / (nd / (nd - 1))), rel=1e-10)
    assert out.iloc[0]["n"] == len(s) - 5
    assert _all_finite(out.drop(columns=["channel"]))


# ---------------------------------------------------------------------------------------------------------------
# simulation: oversampled low-scoring tough moments
# ---------------------------------------------------------------------------------------------------------------


def _population(seed: int = 2024, size: int = 200_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    channel = rng.choice(CHANNELS, size, p=[0.5, 0.3, 0.2])
    tough = rng.random(size) < np.where(channel == "phone", 0.3, 0.12)
    category = np.where(tough, rng.choice(TOUGH, size, p=[0.4, 0.3, 0.2, 0.1]), "routine")
    period = rng.choice(PERIODS, size)
    base = np.where(tough, 2.6, 4.3) - np.where(channel == "email", 0.3, 0.0)
    csat = np.clip(np.round(base + rng.normal(0, 0.8, size)), 1, 5)
    ltr = np.clip(np.round(np.where(tough, 5.0, 8.6) + rng.normal(0, 1.8, size)), 0, 10)
    return pd.DataFrame({"channel": channel, "category": category, "period": period, "csat": csat, "ltr": ltr})


def _survey(pop: pd.DataFrame, margins: dict[str, pd.Series], rng: np.random.Generator) -> pd.DataFrame:
    p = np.where(pop["category"] == "routine", 0.004, 0.04)  # tough moments oversampled 10x
    invited = pop[rng.random(len(pop)) < p].copy()
    invited["selection_probability"] = np.where(invited["category"] == "routine", 0.004, 0.04)
    # nonresponse depends on channel x stratum (phone and tough moments answer less)
    rr = np.where(invited["channel"] == "phone", 0.25, 0.5) * np.where(invited["category"] == "routine", 1.0, 0.7)
    invited["responded"] = rng.random(len(invited)) < rr
    invited["stratum"] = np.where(invited["category"] == "routine", "routine", "tough_moment")
    out = W.weight_survey(invited, probability_column="selection_probability",
                          response_cell_columns=["channel", "stratum"], responded_column="responded",
                          margins=margins, cap_value=8.0)
    return out.respondents


def test_simulation_weighted_ci_covers_truth_naive_misses() -> None:
    pop = _population()
    margins = {c: pop[c].value_counts().astype(float) for c in ["channel", "category", "period"]}
    truth = pop["csat"].mean()
    truth_nps = 100 * (np.mean(pop["ltr"] >= 9) - np.mean(pop["ltr"] <= 6))
    resp = _survey(pop, margins, np.random.default_rng(99))
    est = W.weighted_mean(resp, "csat", "final_weight").iloc[0]
    # the weighted 95% CI covers the population mean ...
    assert est["ci_lower"] <= truth <= est["ci_upper"], (truth, est.to_dict())
    # ... the naive mean misses it by far more than its own 95% margin of error
    assert abs(est["naive_estimate"] - truth) > 4 * 1.96 * est["naive_se"]
    assert est["naive_estimate"] < est["naive_ci_upper"] < truth
    nps = W.net_promoter_score(resp.assign(ltr=_nps_categories(resp["ltr"])), "ltr", "final_weight").iloc[0]
    assert nps["ci_lower"] <= truth_nps <= nps["ci_upper"]
    assert abs(nps["naive_estimate"] - truth_nps) > 4 * 1.96 * nps["naive_se"]
    # design weights only, without the raking and nonresponse stages, are already unbiased for this design but
    # equal weights are not: the test would fail with wrong (e.g. inverted or unit) weights
    wrong = W.weighted_mean(resp.assign(bad=1.0 / resp["design_weight"]), "csat", "bad").iloc[0]
    assert not wrong["ci_lower"] <= truth <= wrong["ci_upper"]


def test_simulation_coverage_of_linearised_ci() -> None:
    """Repeated surveys of the same population: the linearised SE matches the spread of the estimates across
    surveys and the 95% CI covers the truth in ~95% of them.

    SEs treat the final weights as fixed (no variance reduction credited to the raking), so they are somewhat
    conservative here: over 400 draws mean(SE) / SD(estimates) = 1.18 and coverage 0.975. With 60 draws that
    ratio has a sampling error of ~9%, so [0.75, 1.5] still catches a SE off by a factor of 2 either way."""
    pop = _population(size=100_000, seed=5)
    margins = {c: pop[c].value_counts().astype(float) for c in ["channel", "category", "period"]}
    truth = pop["csat"].mean()
    rng = np.random.default_rng(12345)
    covered, naive_covered, estimates, ses = [], [], [], []
    for _ in range(60):
        resp = _survey(pop, margins, rng)
        e = W.weighted_mean(resp, "csat", "final_weight").iloc[0]
        estimates.append(e["estimate"])
        ses.append(e["se"])
        covered.append(e["ci_lower"] <= truth <= e["ci_upper"])
        naive_covered.append(e["naive_ci_lower"] <= truth <= e["naive_ci_upper"])
    ratio = np.mean(ses) / np.std(estimates, ddof=1)
    assert 0.75 <= ratio <= 1.5, ratio
    assert abs(np.mean(estimates) - truth) < 3 * np.std(estimates, ddof=1) / np.sqrt(60)  # unbiased
    assert np.mean(covered) >= 0.85, np.mean(covered)
    assert np.mean(naive_covered) == 0.0
