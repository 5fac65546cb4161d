"""Staggered difference-in-differences (empathy.stats.did) against published references and simulations.

Data: ``tests/fixtures/mpdta.csv`` is the ``mpdta`` minimum-wage panel of R's ``did`` package (Callaway &
Sant'Anna 2021): 500 US counties x 2003-2007, log teen employment ``lemp``, first year of a minimum-wage rise
``first_treat`` (0 = never), log population ``lpop``. It was written once from
``moderndid/core/datasets/mpdta_long.pkl.gz`` inside the ``moderndid==0.2.0`` wheel (PyPI, sha256
8a734e115194af3f6121edb3c4807f169b2645ecb7538ca943185750630408b3), renaming ``first.treat`` to ``first_treat``,
dropping ``treat`` and sorting by county and year; moderndid is not a dependency.

References (R ``did``, control group never treated, no covariates, ``base_period="varying"``): the ATT(g,t),
``aggte`` and pre-test figures of the package's introductory vignette; the TWFE coefficient and the
Goodman-Bacon (2021) weights by comparison type as reported for mpdta with R ``bacondecomp``. Point estimates are
compared to 1e-4 (the published rounding). R prints multiplier-bootstrap standard errors by default, the module
computes the analytic influence-function ones, so standard errors are compared with an absolute tolerance of
0.002. The TWFE standard error is checked against statsmodels' OLS with unit and year dummies and CR1 clustering (on
every third county, to keep the dummy regression small).
The simulated panels (stores x weeks) are written here independently of the module.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from empathy.stats.did import (
    AGGREGATE_COLUMNS, ATT_GT_COLUMNS, aggregate, att_gt, bacon_decomposition, pretrend_wald, twfe,
)

MPDTA = Path(__file__).resolve().parents[1] / "fixtures" / "mpdta.csv"
COLUMNS = dict(unit="countyreal", period="year", group="first_treat", outcome="lemp")
SE_TOLERANCE = 0.002  # R's printed SEs are multiplier-bootstrap draws; ours are analytic


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    """The mpdta panel (2,500 county-years)."""
    return pd.read_csv(MPDTA)


@pytest.fixture(scope="module")
def never_treated_result(mpdta):
    """ATT(g,t) on mpdta with never-treated controls."""
    return att_gt(mpdta, **COLUMNS, control_group="never_treated")


def cell(result, group: int, period: int) -> pd.Series:
    """One ATT(g,t) row."""
    table = result.table
    return table[(table["group"] == group) & (table["period"] == period)].squeeze()


def labelled(frame: pd.DataFrame, label: str) -> pd.Series:
    """One aggregation row by label."""
    return frame[frame["label"] == label].squeeze()


# ---------------------------------------------------------------------------------------------------------------
# mpdta references
# ---------------------------------------------------------------------------------------------------------------

def test_fixture_is_the_mpdta_panel(mpdta):
    assert mpdta.shape == (2500, 5)
    assert list(mpdta.columns) == ["countyreal", "year", "lemp", "first_treat", "lpop"]
    assert sorted(mpdta["year"].unique()) == [2003, 2004, 2005, 2006, 2007]
    sizes = mpdta.drop_duplicates("countyreal")["first_treat"].value_counts().sort_index()
    assert sizes.to_dict() == {0: 309, 2004: 20, 2006: 40, 2007: 131}


def test_att_gt_matches_r_did(never_treated_result):
    table = never_treated_result.table
    assert list(table.columns) == ATT_GT_COLUMNS
    assert len(table) == 12 and (table["status"] == "ok").all()
    # R did vignette, never-treated controls: estimate (bootstrap SE)
    for (g, t), (estimate, se) in {(2004, 2004): (-0.0105, 0.0233), (2004, 2006): (-0.1373, 0.0364),
                                   (2007, 2007): (-0.0261, 0.0167)}.items():
        row = cell(never_treated_result, g, t)
        assert row["estimate"] == pytest.approx(estimate, abs=1e-4)
        assert row["std_error"] == pytest.approx(se, abs=SE_TOLERANCE)
        assert row["event_time"] == t - g
        assert row["ci_lower"] == pytest.approx(row["estimate"] - 1.959964 * row["std_error"], abs=1e-6)
    assert cell(never_treated_result, 2007, 2007)[["n_units_group", "n_units_control"]].tolist() == [131, 309]


def test_influence_functions_are_scaled_as_in_r(never_treated_result):
    influence = never_treated_result.influence
    n = never_treated_result.n_units
    assert influence.shape == (500, 12) and n == 500
    np.testing.assert_allclose(influence.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(np.sqrt((influence**2).sum(axis=0)) / n, never_treated_result.table["std_error"])
    # Varying base period: the pre-period cells compare t with t-1, the post cells with g-1
    table = never_treated_result.table
    pre = table["period"] < table["group"]
    assert (table.loc[pre, "base_period"] == table.loc[pre, "period"] - 1).all()
    assert (table.loc[~pre, "base_period"] == table.loc[~pre, "group"] - 1).all()
    assert never_treated_result.group_shares.round(3).to_dict() == {2004: 0.04, 2006: 0.08, 2007: 0.262}


def test_att_gt_equals_a_direct_difference_of_mean_changes(mpdta):
    """ATT(2006, 2006) with anticipation = 1: base period 2004, computed here straight from the rows."""
    result = att_gt(mpdta, **COLUMNS, anticipation=1)
    wide = mpdta.pivot(index="countyreal", columns="year", values="lemp")
    groups = mpdta.drop_duplicates("countyreal").set_index("countyreal")["first_treat"]
    change = wide[2006] - wide[2004]
    expected = change[groups == 2006].mean() - change[groups == 0].mean()
    row = cell(result, 2006, 2006)
    assert row["base_period"] == 2004 and row["estimate"] == pytest.approx(expected, abs=1e-12)
    # the 2004 cohort has no period before 2004 - anticipation: dropped like R did
    assert result.n_units_dropped == 20 and 2004 not in set(result.table["group"])


def test_simple_aggregate_matches_r_did(never_treated_result):
    simple = aggregate(never_treated_result, "simple")
    assert list(simple.columns) == AGGREGATE_COLUMNS and len(simple) == 1
    row = simple.iloc[0]
    assert row["label"] == "overall" and row["n_cells"] == 7
    assert row["estimate"] == pytest.approx(-0.0400, abs=1e-4)
    assert row["std_error"] == pytest.approx(0.0120, abs=SE_TOLERANCE)


def test_dynamic_aggregate_matches_r_did(never_treated_result):
    dynamic = aggregate(never_treated_result, "dynamic")
    assert dynamic["label"].tolist() == ["-3", "-2", "-1", "0", "1", "2", "3", "overall"]
    for e, estimate in {"0": -0.0199, "1": -0.0510, "2": -0.1373, "3": -0.1008}.items():
        assert labelled(dynamic, e)["estimate"] == pytest.approx(estimate, abs=1e-4)
    positive = dynamic[dynamic["label"].isin(["0", "1", "2", "3"])]
    assert labelled(dynamic, "overall")["estimate"] == pytest.approx(positive["estimate"].mean())
    # ATT(e=2) is the single cell ATT(2004, 2006): no weights to estimate, so the same SE
    assert labelled(dynamic, "2")["std_error"] == pytest.approx(cell(never_treated_result, 2004, 2006)["std_error"])


def test_group_and_calendar_aggregates(never_treated_result):
    group = aggregate(never_treated_result, "group")
    assert group["label"].tolist() == ["2004", "2006", "2007", "overall"]
    post_2004 = never_treated_result.table.query("group == 2004 and period >= 2004")["estimate"]
    assert labelled(group, "2004")["estimate"] == pytest.approx(post_2004.mean())
    shares = never_treated_result.group_shares
    by_group = group.iloc[:3].set_index("label")["estimate"].to_numpy()
    assert labelled(group, "overall")["estimate"] == pytest.approx((by_group * shares).sum() / shares.sum())
    calendar = aggregate(never_treated_result, "calendar")
    assert calendar["label"].tolist() == ["2004", "2005", "2006", "2007", "overall"]
    assert labelled(calendar, "2004")["estimate"] == pytest.approx(cell(never_treated_result, 2004, 2004)["estimate"])
    assert (group["std_error"] > 0).all() and (calendar["std_error"] > 0).all()
    with pytest.raises(ValueError):
        aggregate(never_treated_result, "cohort")


def test_pretrend_wald_matches_r_did(never_treated_result):
    statistic, df, p_value = pretrend_wald(never_treated_result)
    assert df == 5
    assert statistic == pytest.approx(7.791, abs=1e-3)
    assert p_value == pytest.approx(0.168, abs=1e-3)


def test_not_yet_treated_controls(mpdta, never_treated_result):
    result = att_gt(mpdta, **COLUMNS, control_group="not_yet_treated")
    first = cell(result, 2004, 2004)
    # controls: never treated plus the 2006 and 2007 cohorts, not yet treated in 2004
    assert first["n_units_control"] == 309 + 40 + 131
    never = cell(never_treated_result, 2004, 2004)
    assert first["estimate"] != pytest.approx(never["estimate"], abs=1e-4)
    assert abs(first["estimate"] - never["estimate"]) < never["std_error"]  # different, but consistent
    assert first["estimate"] == pytest.approx(-0.0194, abs=1e-4)
    assert first["std_error"] < never["std_error"]  # more controls
    # pre-period cell of the 2007 cohort in 2004: the 2006 cohort is not yet treated, the 2007 cohort itself is not
    assert cell(result, 2007, 2004)["n_units_control"] == 309 + 40
    # once nobody else is untreated, the never treated are the only controls again
    assert cell(result, 2004, 2007)["estimate"] == pytest.approx(cell(never_treated_result, 2004, 2007)["estimate"])


def test_twfe_matches_r_and_a_dummy_regression(mpdta):
    result = twfe(mpdta, **COLUMNS)
    assert result.status == "ok" and result.n_units == 500
    assert result.estimate == pytest.approx(-0.0365, abs=1e-4)
    # CR1 check on every third county (the dummy regression on all 500 is needlessly slow)
    counties = np.sort(mpdta["countyreal"].unique())[::3]
    data = mpdta[mpdta["countyreal"].isin(counties)]
    result = twfe(data, **COLUMNS)
    data = data.assign(d=((data["first_treat"] > 0) & (data["year"] >= data["first_treat"])).astype(float))
    design = pd.get_dummies(data[["countyreal", "year"]].astype(str), drop_first=True, dtype=float)
    design = sm.add_constant(pd.concat([data[["d"]], design], axis=1))
    fit = sm.OLS(data["lemp"], design).fit(cov_type="cluster", cov_kwds={"groups": data["countyreal"]}, use_t=True)
    assert result.n_units == len(counties)
    assert result.estimate == pytest.approx(fit.params["d"], abs=1e-10)
    assert result.std_error == pytest.approx(fit.bse["d"], rel=1e-8)
    assert result.p_value == pytest.approx(fit.pvalues["d"], rel=1e-6)
    assert [result.ci_lower, result.ci_upper] == pytest.approx(fit.conf_int().loc["d"].tolist(), rel=1e-6)


def test_bacon_decomposition_of_mpdta(mpdta):
    result = bacon_decomposition(mpdta, **COLUMNS)
    twfe_estimate = twfe(mpdta, **COLUMNS).estimate
    assert result.status == "ok"
    assert result.comparisons["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert result.twfe_estimate == pytest.approx(twfe_estimate, abs=1e-12)
    weights = result.by_type.set_index("comparison_type")["weight"]
    assert weights["treated_vs_never_treated"] == pytest.approx(0.863, abs=5e-4)
    assert weights["earlier_vs_later_treated"] == pytest.approx(0.083, abs=5e-4)
    assert weights["later_vs_earlier_treated"] == pytest.approx(0.054, abs=5e-4)
    assert len(result.comparisons) == 3 + 2 * 3


def test_bacon_2x2_estimates_are_twfe_on_their_subsamples(mpdta):
    """Each 2x2 estimate equals the TWFE coefficient on its two groups and time window (Goodman-Bacon, Fig. 2)."""
    result = bacon_decomposition(mpdta, **COLUMNS)
    for _, row in result.comparisons.iterrows():
        treated = int(row["treated_group"])
        control = 0 if row["control_group"] == "never_treated" else int(row["control_group"])
        sub = mpdta[mpdta["first_treat"].isin([treated, control])]
        if row["comparison_type"] == "earlier_vs_later_treated":
            sub = sub[sub["year"] < control]
        elif row["comparison_type"] == "later_vs_earlier_treated":
            sub = sub[sub["year"] >= control]
        assert twfe(sub, **COLUMNS).estimate == pytest.approx(row["estimate"], abs=1e-10)


# ---------------------------------------------------------------------------------------------------------------
# Simulated panels
# ---------------------------------------------------------------------------------------------------------------

WEEKS = np.arange(1, 7)
LAUNCH_WEEKS = np.array([0, 3, 4, 5])  # 0 = never launched
LAUNCH_PROBABILITIES = np.array([0.4, 0.2, 0.2, 0.2])
EFFECT_SLOPE = {3: 1.0, 4: 0.6, 5: 0.3}  # effect in event week e is slope * (1 + e): grows with exposure
STORE_COLUMNS = dict(unit="store", period="week", group="launch", outcome="sales")


def simulate_stores(rng: np.random.Generator, n_stores: int = 400) -> pd.DataFrame:
    """Balanced store x week panel: store levels correlated with launch, common weekly shocks, store-specific
    heterogeneity of effects growing with weeks since launch, i.i.d. noise."""
    launch = rng.choice(LAUNCH_WEEKS, size=n_stores, p=LAUNCH_PROBABILITIES)
    level = rng.normal(size=n_stores) + 0.5 * (launch > 0)
    weekly_shock = np.cumsum(rng.normal(0.5, 1.0, size=WEEKS.size))
    responsiveness = rng.normal(1.0, 0.3, size=n_stores)
    slope = np.array([EFFECT_SLOPE.get(int(g), 0.0) for g in launch])
    since = WEEKS[None, :] - launch[:, None]
    effect = np.where((launch[:, None] > 0) & (since >= 0), slope[:, None] * (1 + since), 0.0)
    sales = level[:, None] + weekly_shock[None, :] + effect * responsiveness[:, None]
    sales += rng.normal(size=sales.shape)
    return pd.DataFrame({"store": np.repeat([f"store-{i:03d}" for i in range(n_stores)], WEEKS.size),
                         "week": np.tile(WEEKS, n_stores), "launch": np.repeat(launch, WEEKS.size),
                         "sales": sales.ravel()})


def true_simple_att() -> float:
    """Population simple ATT: post-launch ATT(g,t) weighted by launch-cohort probabilities."""
    numerator = denominator = 0.0
    for g, p in zip(LAUNCH_WEEKS[1:], LAUNCH_PROBABILITIES[1:]):
        for t in WEEKS[WEEKS >= g]:
            numerator += p * EFFECT_SLOPE[int(g)] * (1 + t - g)
            denominator += p
    return numerator / denominator


def test_simulation_coverage_and_twfe_bias():
    rng = np.random.default_rng(20240601)
    truth = true_simple_att()
    covered, cs_errors, twfe_errors = 0, [], []
    for _ in range(100):
        stores = simulate_stores(rng)
        simple = aggregate(att_gt(stores, **STORE_COLUMNS), "simple").iloc[0]
        covered += simple["ci_lower"] <= truth <= simple["ci_upper"]
        cs_errors.append(simple["estimate"] - truth)
        twfe_errors.append(twfe(stores, **STORE_COLUMNS).estimate - truth)
    assert covered >= 90
    cs_errors, twfe_errors = np.array(cs_errors), np.array(twfe_errors)
    assert abs(cs_errors.mean()) < 3 * cs_errors.std() / 10
    assert abs(twfe_errors.mean()) > 5 * twfe_errors.std() / 10  # TWFE is biased under growing effects
    assert twfe_errors.mean() < -0.3


def test_bacon_with_always_and_late_treated_units():
    rng = np.random.default_rng(7)
    stores = simulate_stores(rng, n_stores=120)
    first_stores = stores["store"].isin([f"store-{i:03d}" for i in range(10)])
    late_stores = stores["store"].isin([f"store-{i:03d}" for i in range(10, 20)])
    stores.loc[first_stores, "launch"] = 1  # treated in every week
    stores.loc[late_stores, "launch"] = 9  # launched after the panel ends: never treated within it
    result = bacon_decomposition(stores, **STORE_COLUMNS)
    assert set(result.by_type["comparison_type"]) == {
        "treated_vs_never_treated", "treated_vs_always_treated", "earlier_vs_later_treated",
        "later_vs_earlier_treated"}
    assert result.comparisons["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert result.twfe_estimate == pytest.approx(twfe(stores, **STORE_COLUMNS).estimate, abs=1e-12)
    # att_gt drops the week-1 cohort (no pre-period) and counts week-9 stores as never treated
    cs = att_gt(stores, **STORE_COLUMNS)
    assert cs.n_units_dropped == 10 and 1 not in set(cs.table["group"])
    never = (stores.drop_duplicates("store")["launch"].isin([0, 9])).sum()
    assert (cs.table["n_units_control"] == never).all()


def test_missing_group_means_never_treated(mpdta, never_treated_result):
    with_nan = mpdta.assign(first_treat=mpdta["first_treat"].replace(0, np.nan))
    result = att_gt(with_nan, **COLUMNS)
    pd.testing.assert_frame_equal(result.table, never_treated_result.table)


# ---------------------------------------------------------------------------------------------------------------
# Degenerate input and invalid panels
# ---------------------------------------------------------------------------------------------------------------

def test_no_never_treated_units_gives_statuses(mpdta):
    treated_only = mpdta[mpdta["first_treat"] > 0]
    result = att_gt(treated_only, **COLUMNS, control_group="never_treated")
    assert (result.table["status"] == "no_control_units").all()
    assert result.table["estimate"].isna().all()
    simple = aggregate(result, "simple")
    assert simple["status"].tolist() == ["no_estimable_cells"] and np.isnan(simple["estimate"].iloc[0])
    assert np.isnan(pretrend_wald(result).statistic)
    # not-yet-treated controls still identify the early cells; the late ones have no controls left
    not_yet = att_gt(treated_only, **COLUMNS, control_group="not_yet_treated")
    assert cell(not_yet, 2004, 2004)["status"] == "ok"
    assert cell(not_yet, 2004, 2007)["status"] == "no_control_units"
    assert cell(not_yet, 2007, 2007)["status"] == "no_control_units"
    assert aggregate(not_yet, "simple")["status"].iloc[0] == "ok"


def test_no_treated_units_gives_statuses(mpdta):
    untreated = mpdta[mpdta["first_treat"] == 0]
    result = att_gt(untreated, **COLUMNS)
    assert result.table["status"].tolist() == ["no_treated_units"]
    assert aggregate(result, "dynamic")["status"].tolist() == ["no_estimable_cells"]
    assert twfe(untreated, **COLUMNS).status == "no_treatment_variation"
    bacon = bacon_decomposition(untreated, **COLUMNS)
    assert bacon.status == "no_treatment_variation" and bacon.comparisons.empty
    one_year = mpdta[mpdta["year"] == 2005]
    assert att_gt(one_year, **COLUMNS).table["status"].tolist() == ["too_few_periods"]


def test_invalid_panels_raise(mpdta):
    with pytest.raises(ValueError, match="not balanced"):
        att_gt(mpdta.iloc[1:], **COLUMNS)
    with pytest.raises(ValueError, match="more than once"):
        twfe(pd.concat([mpdta, mpdta.iloc[:1]]), **COLUMNS)
    varying = mpdta.copy()
    varying.loc[varying.index[0], "first_treat"] = 2004
    with pytest.raises(ValueError, match="group varies"):
        bacon_decomposition(varying, **COLUMNS)
    with pytest.raises(ValueError, match="control_group"):
        att_gt(mpdta, **COLUMNS, control_group="last_treated")
    with pytest.raises(ValueError, match="lacks column"):
        att_gt(mpdta, unit="county", period="year", group="first_treat", outcome="lemp")


def test_a_unit_left_out_of_the_wide_panel_fits_as_the_long_panel_without_it(mpdta):
    """without_unit (the leave-one-team-out refits) gives the panel balanced_panel makes of the long panel without
    the unit's rows, so the refit's ATT(g,t) table and influence functions are the same to the bit."""
    from empathy.stats.did import att_gt_of_panel, balanced_panel, without_unit

    wide = balanced_panel(mpdta, **COLUMNS)
    unit = mpdta.loc[mpdta["first_treat"] > 0, "countyreal"].iloc[0]
    expected = att_gt(mpdta[mpdta["countyreal"] != unit], **COLUMNS, control_group="not_yet_treated")
    got = att_gt_of_panel(without_unit(wide, unit), control_group="not_yet_treated")
    pd.testing.assert_frame_equal(got.table, expected.table)
    np.testing.assert_array_equal(got.influence, expected.influence)
    assert list(got.units) == list(expected.units) and unit not in set(got.units)
