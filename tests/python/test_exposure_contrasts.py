"""Exposed against unexposed (empathy/stats/exposure_contrasts.py): Brown-Forsythe against scipy, Bonett's interval
against the example of Bonett's R package statpsych and by coverage, the linearised promoter-share standard errors
against the textbook formulas, the house survey estimator, statsmodels' cluster-robust WLS and Poisson GLM and a
direct linearisation written here, and the statuses of degenerate input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import DescrStatsW

import empathy.stats.exposure_contrasts as module
from empathy.stats.exposure_contrasts import (COLUMNS, CONTRASTS, STATUSES, bonett_variance_ratio_ci, brown_forsythe,
                                              contrast_table, handle_time_variance_table, promoter_share_contrast,
                                              promoter_share_table, variance_contrast)
from empathy.stats.weights import survey_estimate

Z95 = float(stats.norm.ppf(0.975))


def respondents(rng: np.random.Generator, n: int = 600, n_customers: int | None = None,
                weighted: bool = False, p_unexposed: float = 0.3, p_exposed: float = 0.36) -> pd.DataFrame:
    """Respondents with a 0/1 exposure and promoter flag; customers may answer exposed and unexposed."""
    exposed = rng.random(n) < 0.45
    promoter = rng.random(n) < np.where(exposed, p_exposed, p_unexposed)
    frame = pd.DataFrame({"is_exposed": exposed, "is_promoter": promoter,
                          "channel": rng.choice(["chat", "email", "phone"], n)})
    if weighted:
        frame["weight"] = rng.gamma(2.0, 1.5, n) + 0.1
    if n_customers is not None:
        frame["customer_key"] = [f"c{c}" for c in rng.integers(0, n_customers, n)]
    return frame


# --------------------------------------------------------------------------------------------------------------
# Brown-Forsythe and the variance ratio
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed, draw", [
    (1, lambda r: (r.normal(300, 60, 80), r.normal(300, 40, 80))),
    (2, lambda r: (r.normal(0, 1, 23), r.normal(0, 2, 311))),
    (3, lambda r: (r.standard_t(2, 57) * 30 + 200, r.standard_t(2, 140) * 20 + 200)),
    (4, lambda r: (r.standard_cauchy(41), r.standard_cauchy(9))),
    (5, lambda r: (r.lognormal(5, 1.0, 200), r.lognormal(5, 0.6, 33))),
])
def test_brown_forsythe_equals_scipy_levene_median(seed: int, draw) -> None:
    a, b = draw(np.random.default_rng(seed))
    expected = stats.levene(a, b, center="median")
    statistic, p_value = brown_forsythe([a, b])
    assert statistic == pytest.approx(expected.statistic, abs=1e-10, rel=1e-10)
    assert p_value == pytest.approx(expected.pvalue, abs=1e-10)
    values = np.concatenate([a, b])
    groups = np.r_[np.ones(len(a), dtype=bool), np.zeros(len(b), dtype=bool)]
    result = variance_contrast(values, groups, min_units=5)
    assert result["status"] == "ok"
    assert result["statistic"] == pytest.approx(expected.statistic, abs=1e-10, rel=1e-10)
    assert result["p_value"] == pytest.approx(expected.pvalue, abs=1e-10)


def test_brown_forsythe_with_three_groups_equals_scipy() -> None:
    rng = np.random.default_rng(11)
    samples = [rng.normal(0, s, n) for s, n in [(1, 30), (1.5, 45), (3, 12)]]
    expected = stats.levene(*samples, center="median")
    assert brown_forsythe(samples) == pytest.approx((expected.statistic, expected.pvalue), abs=1e-10)


def test_variance_ratio_is_the_ratio_of_sample_variances() -> None:
    rng = np.random.default_rng(12)
    a, b = rng.gamma(2, 150, 90), rng.gamma(2, 100, 130)
    result = variance_contrast(pd.Series(np.r_[a, b]), pd.Series([1] * len(a) + [0] * len(b)))
    assert result["variance_exposed"] == pytest.approx(np.var(a, ddof=1), rel=1e-12)
    assert result["variance_unexposed"] == pytest.approx(np.var(b, ddof=1), rel=1e-12)
    assert result["estimate"] == pytest.approx(np.var(a, ddof=1) / np.var(b, ddof=1), rel=1e-12)
    assert result["ci_lower"] < result["estimate"] < result["ci_upper"]
    assert (result["n_interactions_exposed"], result["n_interactions_unexposed"]) == (90, 130)


def test_bonett_interval_reproduces_statpsych_example() -> None:
    """statpsych::ci.ratio.sd2(.05, y1, y2) documents SD1/SD2 = 0.8854257, LL 0.486279, UL 1.728396 (Bonett's R
    package, https://dgbonett.github.io/statpsych/reference/ci.ratio.sd2.html); the variance interval is its
    square."""
    y1 = np.array([32, 39, 26, 35, 43, 27, 40, 37, 34, 29], dtype=float)
    y2 = np.array([36, 44, 47, 42, 49, 39, 46, 31, 33, 48], dtype=float)
    lower, upper, _ = bonett_variance_ratio_ci(y1, y2, 0.05)
    assert np.sqrt(lower) == pytest.approx(0.486279, abs=1e-6)
    assert np.sqrt(upper) == pytest.approx(1.728396, abs=1e-6)
    result = variance_contrast(np.r_[y1, y2], [True] * 10 + [False] * 10)
    assert np.sqrt(result["estimate"]) == pytest.approx(0.8854257, abs=1e-7)
    assert (result["ci_lower"], result["ci_upper"]) == pytest.approx((lower, upper), rel=1e-12)


def test_bonett_equal_variance_pooling_is_the_paper_formula() -> None:
    """The 2006 paper's interval (kurtosis pooled as if the variances were equal), transcribed here from the NIST
    Dataplot reference (itl.nist.gov, "ratio of standard deviations confidence limits") with scipy's trimmed
    mean and statpsych's trim proportion 1/(2 sqrt(n - 4))."""
    rng = np.random.default_rng(13)
    a, b = rng.lognormal(0, 0.7, 37), 2 * rng.lognormal(0, 0.7, 52)
    n1, n2 = len(a), len(b)
    m1, m2 = stats.trim_mean(a, 1 / (2 * np.sqrt(n1 - 4))), stats.trim_mean(b, 1 / (2 * np.sqrt(n2 - 4)))
    kurtosis = (n1 + n2) * (np.sum((a - m1) ** 4) + np.sum((b - m2) ** 4)) / (
        np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2)) ** 2
    se = np.sqrt((kurtosis - (n1 - 3) / n1) / (n1 - 1) + (kurtosis - (n2 - 3) / n2) / (n2 - 1))
    c = (n1 / (n1 - Z95)) / (n2 / (n2 - Z95))
    centre = np.log(c * np.var(a, ddof=1) / np.var(b, ddof=1))
    lower, upper, se_log = bonett_variance_ratio_ci(a, b, 0.05, "equal_variance")
    assert (lower, upper) == pytest.approx((np.exp(centre - Z95 * se), np.exp(centre + Z95 * se)), rel=1e-12)
    assert se_log == pytest.approx(se, rel=1e-12)


@pytest.mark.parametrize("distribution, band", [("normal", (0.92, 0.98)), ("lognormal", (0.90, 0.99))])
def test_bonett_interval_covers_the_true_variance_ratio(distribution: str, band: tuple[float, float]) -> None:
    """400 seeded samples with a known variance ratio of 2.25 (SD ratio 1.5), unequal group sizes."""
    rng = np.random.default_rng(20240611)
    covered = 0
    for _ in range(400):
        if distribution == "normal":
            a, b = rng.normal(300, 60, 50), rng.normal(300, 40, 70)
        else:
            a, b = 1.5 * rng.lognormal(0, 0.8, 60), rng.lognormal(0, 0.8, 80)
        result = variance_contrast(np.r_[a, b], np.r_[np.ones(len(a)), np.zeros(len(b))])
        covered += result["ci_lower"] <= 2.25 <= result["ci_upper"]
    assert band[0] <= covered / 400 <= band[1]


# --------------------------------------------------------------------------------------------------------------
# promoter share
# --------------------------------------------------------------------------------------------------------------


def test_unit_weights_give_plain_proportions_and_textbook_standard_errors() -> None:
    """With unit weights and no clusters: plain shares; SEs are the unpooled two-proportion SE and Katz's log
    risk-ratio SE, each times sqrt(N/(N - 1)) (the survey convention on the whole file, N = n1 + n0)."""
    frame = respondents(np.random.default_rng(21))
    result = promoter_share_contrast(frame, exposed="is_exposed")
    exposed = frame.loc[frame["is_exposed"], "is_promoter"]
    unexposed = frame.loc[~frame["is_exposed"], "is_promoter"]
    p1, p0, n1, n0 = exposed.mean(), unexposed.mean(), len(exposed), len(unexposed)
    factor = np.sqrt((n1 + n0) / (n1 + n0 - 1))
    assert result["status"] == "ok"
    assert (result["share_exposed"], result["share_unexposed"]) == pytest.approx((p1, p0), abs=1e-14)
    assert result["difference"] == pytest.approx(p1 - p0, abs=1e-14)
    assert (result["n_respondents_exposed"], result["n_respondents_unexposed"]) == (n1, n0)
    textbook = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    assert result["difference_std_error"] == pytest.approx(factor * textbook, rel=1e-10)
    katz = np.sqrt((1 - p1) / (n1 * p1) + (1 - p0) / (n0 * p0))
    assert result["log_ratio_std_error"] == pytest.approx(factor * katz, rel=1e-10)
    assert result["estimate"] == pytest.approx(p1 / p0 - 1, rel=1e-12)
    assert result["std_error"] == pytest.approx(p1 / p0 * factor * katz, rel=1e-10)
    assert result["ci_lower"] == pytest.approx(p1 / p0 * np.exp(-Z95 * factor * katz) - 1, rel=1e-10)
    assert result["ci_upper"] == pytest.approx(p1 / p0 * np.exp(Z95 * factor * katz) - 1, rel=1e-10)
    assert result["difference_ci_lower"] == pytest.approx(p1 - p0 - Z95 * factor * textbook, rel=1e-10)
    assert result["p_value"] == pytest.approx(2 * stats.norm.sf(abs(np.log(p1 / p0)) / (factor * katz)), rel=1e-10)


def test_weighted_shares_match_descrstatsw_and_the_house_survey_estimator() -> None:
    """Weighted shares equal DescrStatsW means; without clusters (or with customers inside one arm) the arms are
    independent and the variances are the sums of the per-arm (domain) variances of survey_estimate."""
    rng = np.random.default_rng(22)
    frame = respondents(rng, weighted=True)
    frame["customer_key"] = np.where(frame["is_exposed"], "e", "u") + rng.integers(0, 120, len(frame)).astype(str)
    for cluster in (None, "customer_key"):
        result = promoter_share_contrast(frame, exposed="is_exposed", weight="weight", cluster=cluster)
        arms = survey_estimate(frame, "is_promoter", "weight", statistic="proportion", by="is_exposed",
                               cluster_column=cluster).query("scope == 'group'").set_index("is_exposed")
        for flag, key in [(True, "share_exposed"), (False, "share_unexposed")]:
            rows = frame[frame["is_exposed"] == flag]
            assert result[key] == pytest.approx(DescrStatsW(rows["is_promoter"].astype(float),
                                                            weights=rows["weight"]).mean, rel=1e-12)
            assert result[key] == pytest.approx(arms.loc[flag, "estimate"], rel=1e-12)
        v1, v0 = arms.loc[True, "se"] ** 2, arms.loc[False, "se"] ** 2
        p1, p0 = result["share_exposed"], result["share_unexposed"]
        assert result["difference_std_error"] == pytest.approx(np.sqrt(v1 + v0), rel=1e-10)
        assert result["log_ratio_std_error"] == pytest.approx(np.sqrt(v1 / p1 ** 2 + v0 / p0 ** 2), rel=1e-10)


def direct_linearisation(frame: pd.DataFrame) -> tuple[float, float]:
    """SEs of p1 - p0 and log(p1/p0) written out: per-cluster totals of the scores, G/(G-1) times their sum of
    squares about their mean."""
    w, y, x = frame["weight"].to_numpy(), frame["is_promoter"].to_numpy(float), frame["is_exposed"].to_numpy()
    w1, w0 = w[x].sum(), w[~x].sum()
    p1, p0 = (w * y)[x].sum() / w1, (w * y)[~x].sum() / w0
    diff_totals, log_totals = {}, {}
    for customer, wk, yk, xk in zip(frame["customer_key"], w, y, x):
        d = wk * (yk - p1) / w1 if xk else -wk * (yk - p0) / w0
        g = d / p1 if xk else d / p0
        diff_totals[customer] = diff_totals.get(customer, 0.0) + d
        log_totals[customer] = log_totals.get(customer, 0.0) + g
    out = []
    for totals in (diff_totals, log_totals):
        t = np.array(list(totals.values()))
        out.append(float(np.sqrt(len(t) / (len(t) - 1) * np.sum((t - t.mean()) ** 2))))
    return out[0], out[1]


@pytest.mark.filterwarnings("ignore:cov_type not fully supported with var_weights")
def test_clusters_spanning_both_arms_match_statsmodels_and_a_direct_linearisation() -> None:
    """Customers answering both exposed and unexposed: the covariance of the arms counts. References: the
    cluster-robust WLS slope (difference) and Poisson-GLM log-link slope (log ratio), whose CR1 correction
    G/(G-1)(N-1)/(N-2) differs from the survey convention G/(G-1) by (N-1)/(N-2), and the sums written here."""
    rng = np.random.default_rng(23)
    frame = respondents(rng, n=700, n_customers=180, weighted=True)
    result = promoter_share_contrast(frame, exposed="is_exposed", weight="weight", cluster="customer_key")
    n = len(frame)
    design = sm.add_constant(frame["is_exposed"].astype(float))
    outcome = frame["is_promoter"].astype(float)
    groups = pd.factorize(frame["customer_key"])[0]
    wls = sm.WLS(outcome, design, weights=frame["weight"]).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert result["difference"] == pytest.approx(wls.params.iloc[1], rel=1e-10)
    assert result["difference_std_error"] == pytest.approx(wls.bse.iloc[1] * np.sqrt((n - 2) / (n - 1)), rel=1e-8)
    glm = sm.GLM(outcome, design, family=sm.families.Poisson(), var_weights=frame["weight"]).fit(
        cov_type="cluster", cov_kwds={"groups": groups})
    assert result["log_ratio"] == pytest.approx(glm.params.iloc[1], rel=1e-8)
    assert result["log_ratio_std_error"] == pytest.approx(glm.bse.iloc[1] * np.sqrt((n - 2) / (n - 1)), rel=1e-7)
    diff_se, log_se = direct_linearisation(frame)
    assert result["difference_std_error"] == pytest.approx(diff_se, rel=1e-10)
    assert result["log_ratio_std_error"] == pytest.approx(log_se, rel=1e-10)
    naive = promoter_share_contrast(frame, exposed="is_exposed", weight="weight")
    assert naive["log_ratio_std_error"] != pytest.approx(result["log_ratio_std_error"], rel=1e-3)


def test_clustered_log_ratio_interval_covers_the_true_relative_change() -> None:
    """Customers with their own promoter propensity u ~ U(0.1, 0.6), 1.2·u when exposed: the relative change is
    0.2 exactly; 300 seeded samples of 250 customers answering 1-5 times, exposed or not at random."""
    rng = np.random.default_rng(24)
    covered = 0
    for _ in range(300):
        answers = rng.integers(1, 6, 250)
        customer = np.repeat(np.arange(250), answers)
        u = rng.uniform(0.1, 0.6, 250)[customer]
        exposed = rng.random(len(customer)) < 0.5
        frame = pd.DataFrame({"is_exposed": exposed, "is_promoter": rng.random(len(customer)) < np.where(
            exposed, 1.2 * u, u), "customer_key": customer})
        result = promoter_share_contrast(frame, exposed="is_exposed", cluster="customer_key")
        covered += result["ci_lower"] <= 0.2 <= result["ci_upper"]
    assert 0.92 <= covered / 300 <= 0.98


def test_unusable_rows_are_left_out() -> None:
    frame = respondents(np.random.default_rng(25), weighted=True)
    clean = promoter_share_contrast(frame, exposed="is_exposed", weight="weight")
    noisy = pd.concat([frame, pd.DataFrame({
        "is_exposed": [None, True, "yes", False, 2, True], "is_promoter": [True, None, True, 7, True, False],
        "channel": "chat", "weight": [1.0, 1.0, 1.0, 1.0, 1.0, -3.0]})], ignore_index=True)
    noisy["is_exposed"] = noisy["is_exposed"].astype(object)
    result = promoter_share_contrast(noisy, exposed="is_exposed", weight="weight")
    assert result == pytest.approx(clean)
    as_integers = frame.assign(is_exposed=frame["is_exposed"].astype(int), is_promoter=frame["is_promoter"] * 1.0)
    assert promoter_share_contrast(as_integers, exposed="is_exposed", weight="weight") == pytest.approx(clean)


# --------------------------------------------------------------------------------------------------------------
# degenerate input: statuses
# --------------------------------------------------------------------------------------------------------------

STATISTICS = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]


def assert_null_statistics(result: dict) -> None:
    assert all(result[k] is None for k in STATISTICS), result
    assert result["status"] != "ok"


def test_every_status_is_documented_in_the_module_docstring() -> None:
    assert set(STATUSES) == {"ok", "no_units", "one_arm_empty", "too_few_units", "no_variation",
                             "not_pooled_across_channels"}
    for status in STATUSES:
        assert f"``{status}``" in module.__doc__


def test_promoter_share_statuses() -> None:
    frame = respondents(np.random.default_rng(31), n=200)
    only_exposed = frame[frame["is_exposed"]]
    cases = {
        "no_units": frame.iloc[:0],
        "one_arm_empty": only_exposed,
        "too_few_units": pd.concat([only_exposed.head(1), frame[~frame["is_exposed"]].head(1)]),
        "no_variation": frame.assign(is_promoter=frame["is_promoter"] & frame["is_exposed"]),
    }
    for status, data in cases.items():
        result = promoter_share_contrast(data, exposed="is_exposed")
        assert result["status"] == status
        assert_null_statistics(result)
        assert result["difference"] is None
    assert promoter_share_contrast(cases["one_arm_empty"], exposed="is_exposed")["share_exposed"] == \
        pytest.approx(only_exposed["is_promoter"].mean())
    everyone = promoter_share_contrast(frame.assign(is_promoter=True), exposed="is_exposed")
    assert everyone["status"] == "no_variation"
    assert (everyone["share_exposed"], everyone["share_unexposed"]) == (1.0, 1.0)
    one_customer = promoter_share_contrast(frame.assign(customer_key="c"), exposed="is_exposed",
                                           cluster="customer_key")
    assert one_customer["status"] == "too_few_units"
    two = pd.concat([only_exposed.head(2), frame[~frame["is_exposed"]].head(2)])
    assert promoter_share_contrast(two, exposed="is_exposed", min_units=2)["status"] in {"ok", "no_variation"}


def test_variance_statuses() -> None:
    rng = np.random.default_rng(32)
    a, b = rng.normal(300, 50, 40), rng.normal(300, 50, 40)
    cases = {
        "no_units": ([], []),
        "one_arm_empty": (a, [True] * 40),
        "too_few_units": ([300.0, 320.0, 310.0, 305.0], [True, True, False, False]),
        "no_variation": (np.r_[np.full(40, 300.0), b], [True] * 40 + [False] * 40),
    }
    for status, (values, groups) in cases.items():
        result = variance_contrast(values, groups)
        assert result["status"] == status
        assert_null_statistics(result)
        assert result["statistic"] is None
    assert variance_contrast(cases["no_variation"][0], cases["no_variation"][1])["variance_exposed"] == 0.0
    # Bonett's trimmed mean needs five per arm whatever min_units says
    four = variance_contrast(np.r_[a[:4], b[:30]], [1] * 4 + [0] * 30, min_units=2)
    assert four["status"] == "too_few_units"
    nan_values = variance_contrast(np.r_[a, b, np.nan, np.inf], [1] * 40 + [0] * 40 + [1, 0])
    assert nan_values == pytest.approx(variance_contrast(np.r_[a, b], [1] * 40 + [0] * 40))


def test_tables_are_never_empty_and_keep_their_schema() -> None:
    empty_respondents = pd.DataFrame({"is_exposed": pd.Series(dtype=bool), "is_promoter": pd.Series(dtype=bool),
                                      "channel": pd.Series(dtype=str)})
    empty_interactions = pd.DataFrame({"is_exposed": pd.Series(dtype=bool),
                                       "handle_time_seconds": pd.Series(dtype=float),
                                       "channel": pd.Series(dtype=str)})
    table = contrast_table(empty_respondents, empty_interactions, by="channel")
    assert list(table.columns) == COLUMNS
    assert table["contrast"].tolist() == list(CONTRASTS)
    assert table["status"].tolist() == ["no_units", "no_units"]
    assert table[["estimate", "p_value", "p_value_adjusted"]].isna().all(axis=None)
    assert str(table["status"].dtype) == "string" and str(table["n_exposed"].dtype) == "Int64"


# --------------------------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------------------------


def interactions(rng: np.random.Generator, n: int = 900) -> pd.DataFrame:
    exposed = rng.random(n) < 0.5
    handle = rng.lognormal(np.log(420), np.where(exposed, 0.35, 0.5))
    return pd.DataFrame({"is_exposed": exposed, "handle_time_seconds": handle,
                         "channel": rng.choice(["chat", "email", "phone"], n)})


def test_contrast_table_rows_agree_with_the_contrasts_and_holm_within_each_contrast() -> None:
    rng = np.random.default_rng(41)
    answers = respondents(rng, n=900, n_customers=400, weighted=True)
    contacts = interactions(rng)
    contacts.loc[contacts["channel"] == "email", "is_exposed"] = False  # one group with an empty arm
    table = contrast_table(answers, contacts, by="channel", weight="weight", cluster="customer_key")
    assert list(table.columns) == COLUMNS
    assert len(table) == 8
    assert table.groupby("contrast")["group_value"].apply(list).to_dict() == {
        c: ["all", "chat", "email", "phone"] for c in CONTRASTS}
    share_rows = table[table["contrast"] == CONTRASTS[0]].set_index("group_value")
    for value, rows in [("all", answers), ("chat", answers[answers["channel"] == "chat"])]:
        expected = promoter_share_contrast(rows, exposed="is_exposed", weight="weight", cluster="customer_key")
        row = share_rows.loc[value]
        assert (row["estimate"], row["ci_lower"], row["p_value"]) == pytest.approx(
            (expected["estimate"], expected["ci_lower"], expected["p_value"]), rel=1e-12)
        assert (row["value_exposed"], row["n_unexposed"]) == pytest.approx(
            (expected["share_exposed"], expected["n_respondents_unexposed"]))
    spread = table[table["contrast"] == CONTRASTS[1]].set_index("group_value")
    assert spread.loc["email", "status"] == "one_arm_empty" and np.isnan(spread.loc["email", "p_value_adjusted"])
    phone = contacts[contacts["channel"] == "phone"]
    expected = variance_contrast(phone["handle_time_seconds"], phone["is_exposed"])
    assert spread.loc["phone", "estimate"] == pytest.approx(expected["estimate"], rel=1e-12)
    assert spread.loc["phone", "value_unexposed"] == pytest.approx(expected["variance_unexposed"], rel=1e-12)
    for contrast in CONTRASTS:
        rows = table[(table["contrast"] == contrast) & (table["group_by"] == "channel")]
        present = rows["p_value"].notna()
        reference = multipletests(rows.loc[present, "p_value"], method="holm")[1]
        np.testing.assert_allclose(rows.loc[present, "p_value_adjusted"], reference, rtol=1e-12)
        overall = table[(table["contrast"] == contrast) & (table["group_by"] == "overall")].iloc[0]
        assert overall["p_value_adjusted"] == overall["p_value"]
    assert (table.loc[table["status"] != "ok", ["estimate", "std_error", "p_value"]].isna()).all(axis=None)


def test_the_two_tables_stack_into_the_contrast_table() -> None:
    rng = np.random.default_rng(42)
    answers, contacts = respondents(rng), interactions(rng)
    stacked = pd.concat([promoter_share_table(answers), handle_time_variance_table(contacts)], ignore_index=True)
    pd.testing.assert_frame_equal(contrast_table(answers, contacts), stacked)
    assert stacked["group_by"].tolist() == ["overall", "overall"]


# --------------------------------------------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------------------------------------------


def test_same_input_same_output_whatever_the_row_order() -> None:
    rng = np.random.default_rng(51)
    answers = respondents(rng, n=500, n_customers=200, weighted=True)
    contacts = interactions(rng)
    first = contrast_table(answers, contacts, by="channel", weight="weight", cluster="customer_key")
    again = contrast_table(answers.copy(), contacts.copy(), by="channel", weight="weight", cluster="customer_key")
    pd.testing.assert_frame_equal(first, again)
    shuffled = contrast_table(answers.sample(frac=1, random_state=3), contacts.sample(frac=1, random_state=4),
                              by="channel", weight="weight", cluster="customer_key")
    pd.testing.assert_frame_equal(first, shuffled, rtol=1e-10)


def test_acknowledgment_contrasts_reads_the_warehouse_shapes() -> None:
    """The mart's wrapper: NPS answers without a timed contact are not counted (no 'unknown' channel), the overall
    handle-time row is not pooled across channels, and the channel rows are estimated."""
    from empathy.stats.exposure_contrasts import acknowledgment_contrasts

    rng = np.random.default_rng(3)
    n = 600
    share = np.where(rng.random(n) < 0.1, np.nan, rng.choice([0.0, 0.5, 1.0], n))
    answers = pd.DataFrame({
        "invitation_id": [f"i{i}" for i in range(n)], "survey_type": "relationship_nps",
        "customer_key": [f"c{i // 2}" for i in range(n)], "acknowledged_within_30s_share": share,
        "is_promoter": rng.random(n) < np.where(share > 0, 0.3, 0.2),
        "last_contact_channel": np.where(np.isnan(share), None, rng.choice(["chat", "voice"], n)),
    })
    weights = answers[["invitation_id"]].assign(final_weight=rng.uniform(0.5, 2, n))
    m = 2000
    channel = rng.choice(["chat", "voice", "email"], m)
    interactions = pd.DataFrame({
        "channel": channel,
        "is_acknowledged_within_30s": pd.array(np.where(channel == "email", None, rng.random(m) < 0.4),
                                               dtype="boolean"),
        "handle_time_seconds": np.where(channel == "email", 90_000.0, 600.0) * rng.lognormal(0, 0.5, m),
    })
    table = acknowledgment_contrasts(answers, weights, interactions)
    promoter = table[table["contrast"] == "promoter_share_relative_change"]
    assert set(promoter["group_value"]) == {"all", "chat", "voice"}
    assert promoter.loc[promoter["group_value"] == "all", ["n_exposed", "n_unexposed"]].sum(axis=1).iloc[0] == (
        int((~np.isnan(share)).sum()))
    handle = table[table["contrast"] == "handle_time_variance_ratio"].set_index("group_value")
    assert handle.loc["all", "status"] == "not_pooled_across_channels" and pd.isna(handle.loc["all", "estimate"])
    assert handle.loc["chat", "status"] == "ok" and handle.loc["voice", "status"] == "ok"
    assert handle.loc["email", "status"] == "no_units"  # e-mail is never timed here
