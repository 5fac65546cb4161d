"""Validation of ``empathy.stats.risk_evaluation`` against published numbers, independent implementations and
simulations with a known truth.

Where the reference numbers come from
-------------------------------------
* **Brier score 0.2088 at day 1825 and integrated Brier score 0.1816 over days 365..1825 on GBSG2**: the examples
  in the docstrings of ``sksurv.metrics.brier_score`` (prints ``[0.20881843]``) and
  ``sksurv.metrics.integrated_brier_score`` (prints ``0.1816``) of scikit-survival 0.28; its test suite pins the
  first as 0.208817407492645 (``test_brier_coxph``). Their set-up, reproduced here with lifelines: Cox model
  (Efron ties) on all 686 rows, tgrade coded I=1, II=2, III=3 (``map(len)``), horTh and menostat one-hot with one
  level dropped (the choice of the dropped level does not change the fit), train = test = all rows, the survival
  function a *step* function of the Breslow baseline hazard (lifelines' ``predict_survival_function(times=...)``
  interpolates linearly, so it is not used), the integral over every day ``np.arange(365, 1826)``. (The user
  guide "Evaluating Survival Models" itself shows GBSG2 integrated Brier scores only for a random train/test
  split with a penalised Cox model and a random survival forest, not reproducible here.)
* **Brier scores of the Nottingham-Prognostic-Index Kaplan–Meier predictions on GBSG2** (0.0763 ... 0.2338, and
  integrated 0.1979 / 0.1859 / 0.2316): scikit-survival's ``tests/test_metrics.py`` (``brier_npi_data``,
  ``test_ibs_nottingham_*``), a reference that does not depend on fitting a Cox model.
* **Time-dependent AUC**: scikit-survival's ``tests/test_metrics.py`` (``UnoCAucCases``: 15 and 20 hand-written
  customers with expected AUCs, including tied scores and tied times; the data are copied below as numbers). The
  user guide's AUC examples use the flchain and veterans data, which ship with scikit-survival only and depend
  on a random split. Also checked against a brute-force double loop over pairs written here from the definition
  with lifelines' Kaplan–Meier as the censoring estimate, scikit-learn's ROC AUC without censoring, and
  invariants.
* **Harrell's C 0.640 on Rossi**: the lifelines documentation (Cox model of ``arrest`` on all covariates,
  "Concordance = 0.64"), equal to ``CoxPHFitter.concordance_index_``.
* **Calibration**: per-bin Kaplan–Meier and interval checked against lifelines and the Greenwood standard error
  against statsmodels' ``SurvfuncRight``; coverage of the true decile probabilities in data simulated from a known
  exponential model, with a miscalibrated model that must fail the same check.

Optional oracle: when scikit-survival is installed (``pip install scikit-survival==0.28.0``; GPL, never imported
by ``empathy/``), the tests at the end compare with it directly; otherwise they are skipped.

No network: GBSG2 and Rossi are CSV files shipped inside the lifelines package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.datasets import load_gbsg2, load_rossi
from lifelines.utils import concordance_index
from sklearn.metrics import roc_auc_score

from empathy import vocabulary
from empathy.stats import risk_evaluation as rev

# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def gbsg2() -> pd.DataFrame:
    data = load_gbsg2()
    assert data.shape == (686, 10)
    return data


@pytest.fixture(scope="module")
def gbsg2_cox(gbsg2: pd.DataFrame) -> tuple[CoxPHFitter, pd.DataFrame]:
    """scikit-survival's docstring model, fitted with lifelines (Efron ties, the default)."""
    design = pd.DataFrame(
        {
            "age": gbsg2["age"], "estrec": gbsg2["estrec"], "pnodes": gbsg2["pnodes"],
            "progrec": gbsg2["progrec"], "tsize": gbsg2["tsize"], "tgrade": gbsg2["tgrade"].map(len),
            "horTh_yes": (gbsg2["horTh"] == "yes").astype(int),
            "menostat_Post": (gbsg2["menostat"] == "Post").astype(int),
            "time": gbsg2["time"], "cens": gbsg2["cens"],
        }
    )  # fmt: skip
    assert design["tgrade"].isin([1, 2, 3]).all()
    return CoxPHFitter().fit(design, "time", "cens"), design


def _step_survival(cph: CoxPHFitter, design: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """S(t | x) = exp(-H0(t) exp(x'b)) with H0 the Breslow step function evaluated at the last time <= t."""
    baseline = cph.baseline_cumulative_hazard_.iloc[:, 0]
    index = np.searchsorted(baseline.index.to_numpy(), times, side="right") - 1
    h0 = np.where(index >= 0, baseline.to_numpy()[np.clip(index, 0, None)], 0.0)
    return np.exp(-np.outer(cph.predict_partial_hazard(design).to_numpy(), h0))


@pytest.fixture(scope="module")
def gbsg2_yearly_grid(gbsg2_cox: tuple[CoxPHFitter, pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    times = np.arange(365, 1826).astype(float)
    return times, _step_survival(*gbsg2_cox, times)


def _gbsg2_outcome(gbsg2: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return gbsg2["time"].to_numpy(float), gbsg2["cens"].to_numpy(int)


def _simulate(rng: np.random.Generator, n: int, beta: float = 0.8, base: float = 0.1, cens_max: float = 15.0):
    """Exponential churn times with hazard base * exp(beta x), x ~ N(0, 1), uniform censoring on (0, cens_max)."""
    x = rng.standard_normal(n)
    hazard = base * np.exp(beta * x)
    churn = rng.exponential(1.0 / hazard)
    censor = rng.uniform(0.0, cens_max, n)
    return x, hazard, np.minimum(churn, censor), (churn <= censor).astype(int)


# ------------------------------------------------------------------------------------------------ 1. G(t)


def test_censoring_survival_hand_computed_with_ties() -> None:
    """Times 1..5; churns at 1, 2, 4, censorings at 2, 3, 5. Churns tied with a censoring come first: at t = 2 the
    censoring risk set is 5 - 1 = 4, so G(2) = 3/4; G(3) = 3/4 * 2/3 = 1/2; G(5) = 0."""
    g = rev.censoring_survival([1, 2, 2, 3, 4, 5], [1, 0, 1, 0, 1, 0])
    np.testing.assert_allclose(g.times, [1, 2, 3, 4, 5])
    np.testing.assert_allclose(g.survival, [1.0, 0.75, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(g([0.5, 1, 2, 2.5, 3, 4.9, 5, 7]), [1, 1, 0.75, 0.75, 0.5, 0.5, 0, 0])
    np.testing.assert_allclose(g([2, 3, 5], before=True), [1.0, 0.75, 0.5])
    assert g.max_time == 5.0


def test_censoring_survival_is_undefined_past_follow_up_and_ignores_unusable_rows() -> None:
    g = rev.censoring_survival([1, 2, 3, 4, np.nan, -1, 2], [1, 0, 1, 1, 1, 0, np.nan])
    np.testing.assert_allclose(g.times, [1, 2, 3, 4])  # NaN duration, negative duration and NaN event dropped
    assert g(4.0) == pytest.approx(2 / 3)
    assert np.isnan(g(4.5))  # last observation a churn: G > 0 there, unknown beyond
    only_churns = rev.censoring_survival([3, 1, 2], [1, 1, 1])
    np.testing.assert_allclose(only_churns([0, 1, 2.5, 3]), 1.0)
    assert np.isnan(only_churns(3.5))
    empty = rev.censoring_survival([], [])
    assert np.isnan(empty(1.0)) and np.isnan(empty.max_time)
    assert np.isnan(g(np.nan))
    with pytest.raises(ValueError, match="differ in length"):
        rev.censoring_survival([1, 2], [1])


def test_censoring_survival_equals_lifelines_reverse_kaplan_meier_on_continuous_times() -> None:
    _, _, duration, event = _simulate(np.random.default_rng(1), 500)
    g = rev.censoring_survival(duration, event)
    km = KaplanMeierFitter().fit(duration, 1 - event)
    grid = np.quantile(duration, np.linspace(0.0, 1.0, 41))
    np.testing.assert_allclose(g(grid), km.survival_function_at_times(grid).to_numpy(), rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------------------------ 2-3. Brier


def test_brier_score_reproduces_scikit_survival_gbsg2_cox(gbsg2: pd.DataFrame, gbsg2_cox, gbsg2_yearly_grid) -> None:
    cph, _ = gbsg2_cox
    times, survival = gbsg2_yearly_grid
    assert cph.params_["tgrade"] == pytest.approx(0.2803, abs=1e-3)
    y, e = _gbsg2_outcome(gbsg2)
    score = rev.brier_score(y, e, y, e, survival[:, -1], 1825)
    assert times[-1] == 1825
    assert score == pytest.approx(0.20881843, abs=1e-6)  # sksurv docstring; its test: 0.208817407492645 (rel 1e-5)
    assert round(score, 4) == 0.2088
    # The convention matters at this precision: G(y-) for the churns gives Gerds & Schumacher's 0.20874.
    before = rev.brier_score(y, e, y, e, survival[:, -1], 1825, event_weight="before")
    assert before == pytest.approx(0.208745, abs=1e-5)
    assert abs(before - score) > 5e-5


def test_integrated_brier_score_reproduces_scikit_survival_gbsg2_cox(gbsg2: pd.DataFrame, gbsg2_yearly_grid) -> None:
    times, survival = gbsg2_yearly_grid
    y, e = _gbsg2_outcome(gbsg2)
    ibs = rev.integrated_brier_score(y, e, y, e, survival, times)
    assert round(ibs, 4) == 0.1816
    assert ibs == pytest.approx(0.1816, abs=5e-5)
    # The horizons may come in any order: columns travel with their horizon.
    order = np.random.default_rng(0).permutation(times.size)
    assert rev.integrated_brier_score(y, e, y, e, survival[:, order], times[order]) == pytest.approx(ibs, abs=1e-15)
    # Definition: trapezoid of the curve over the range.
    curve = rev.brier_score_curve(y, e, y, e, survival, times)
    assert ibs == pytest.approx(np.trapezoid(curve, times) / (1825 - 365), rel=1e-12)
    assert curve[-1] == pytest.approx(0.20881843, abs=1e-6)


def _npi_predictions(gbsg2: pd.DataFrame, times: list[float]) -> np.ndarray:
    """scikit-survival's Nottingham-Prognostic-Index fixture: three NPI groups, each predicted by its own KM."""
    grade = gbsg2["tgrade"].map({"I": 1, "II": 2, "III": 3}).astype(int)
    npi = 0.2 * gbsg2["tsize"] / 10 + 1 + grade
    group = np.where(npi < 3.4, 1, np.where(npi <= 5.4, 2, 3))
    predictions = np.empty((len(gbsg2), len(times)))
    for value in np.unique(group):
        member = group == value
        km = KaplanMeierFitter().fit(gbsg2.loc[member, "time"], gbsg2.loc[member, "cens"])
        predictions[member, :] = km.survival_function_at_times(times).to_numpy()
    return predictions


def test_brier_score_reproduces_scikit_survival_nottingham_prognostic_index(gbsg2: pd.DataFrame) -> None:
    times = [365.0, 730.0, 1095.0, 1460.0, 1825.0]
    expected = [0.0762922458520448, 0.182536421174199, 0.220017747254941, 0.234133800146671, 0.233822955042198]
    y, e = _gbsg2_outcome(gbsg2)
    predictions = _npi_predictions(gbsg2, times)
    np.testing.assert_allclose(rev.brier_score_curve(y, e, y, e, predictions, times), expected, rtol=0, atol=1e-9)
    five = np.linspace(365, 1825, 5)
    assert rev.integrated_brier_score(y, e, y, e, predictions, five) == pytest.approx(0.197936392255733, abs=1e-9)
    assert rev.integrated_brier_score(y, e, y, e, predictions[:, :4], five[:4]) == pytest.approx(
        0.185922397142833, abs=1e-9
    )
    daily = np.arange(1095, 1826).astype(float)
    daily_predictions = _npi_predictions(gbsg2, list(daily))
    assert rev.integrated_brier_score(y, e, y, e, daily_predictions, daily) == pytest.approx(
        0.231553687189643, abs=1e-9
    )


def test_brier_score_without_censoring_is_the_mean_squared_error() -> None:
    rng = np.random.default_rng(2)
    duration = rng.exponential(10.0, 300)
    event = np.ones(300, dtype=int)
    survival = rng.uniform(0, 1, 300)
    t = float(np.median(duration))
    expected = np.mean(((duration > t).astype(float) - survival) ** 2)
    assert rev.brier_score(duration, event, duration, event, survival, t) == pytest.approx(expected, rel=1e-12)
    assert rev.brier_score(duration, event, duration, event, np.full(300, 0.5), t) == pytest.approx(0.25)


def test_brier_score_degenerate_inputs() -> None:
    rng = np.random.default_rng(3)
    _, _, duration, event = _simulate(rng, 200)
    survival = rng.uniform(0, 1, 200)
    t = float(np.median(duration))
    assert np.isfinite(rev.brier_score(duration, event, duration, event, survival, t))
    # Outside the test follow-up [min, max): NaN (scikit-survival raises).
    assert np.isnan(rev.brier_score(duration, event, duration, event, survival, duration.max()))
    assert np.isnan(rev.brier_score(duration, event, duration, event, survival, duration.min() - 1))
    # A missing test duration or event, or a missing prediction.
    broken = duration.copy()
    broken[5] = np.nan
    assert np.isnan(rev.brier_score(duration, event, broken, event, survival, t))
    bad_event = event.astype(float)
    bad_event[0] = np.nan
    assert np.isnan(rev.brier_score(duration, event, duration, bad_event, survival, t))
    missing = survival.copy()
    missing[0] = np.nan
    assert np.isnan(rev.brier_score(duration, event, duration, event, missing, t))
    # Horizon past the training follow-up (G unknown there): NaN.
    short = duration < t / 2
    assert np.isnan(rev.brier_score(duration[short], event[short], duration, event, survival, t))
    # Empty test data; a single horizon for an integrated score.
    assert np.isnan(rev.brier_score(duration, event, [], [], [], t))
    assert np.isnan(rev.integrated_brier_score(duration, event, duration, event, survival[:, None], [t]))
    # Programming errors raise.
    with pytest.raises(ValueError, match="shape"):
        rev.brier_score_curve(duration, event, duration, event, survival, [t, t + 1])
    with pytest.raises(ValueError, match="repeat"):
        rev.brier_score_curve(duration, event, duration, event, np.c_[survival, survival], [t, t])
    with pytest.raises(ValueError, match="event_weight"):
        rev.brier_score(duration, event, duration, event, survival, t, event_weight="after")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ 4. AUC

# scikit-survival tests/test_metrics.py, BaseUnoCAucCases: 15 customers (train = test) and 20 training customers.
UNO_TIME = [10.88, 19.78, 40.92, 98.7, 70.19, 10.15, 28.95, 29.57, 17.9, 63.78, 36.22, 83.14, 13.69, 99.51, 3.19]
UNO_EVENT = [1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1]
UNO_SCORE = [-1.019, -0.016, 0.132, 0.269, -0.777, -1.077, 0.894, -1.227, -0.417, 0.072, -1.275, -0.91, -0.825,
             -0.292, -0.045]  # fmt: skip
UNO_TRAIN_TIME = [77.6, 57.6, 66.6, 67.0, 31.5, 5.5, 67.4, 43.7, 31.7, 71.9, 81.1, 56.2, 88.1, 2.9, 62.0, 17.2, 88.0,
                  26.4, 93.5, 79.9]  # fmt: skip
UNO_TRAIN_EVENT = [1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]


def test_cumulative_dynamic_auc_reproduces_scikit_survival_test_cases() -> None:
    y, e, s = UNO_TIME, UNO_EVENT, UNO_SCORE
    assert rev.cumulative_dynamic_auc(y, e, y, e, s, 28) == pytest.approx(0.362963, abs=1e-6)
    np.testing.assert_allclose(rev.cumulative_dynamic_auc_curve(y, e, y, e, s, [15, 66]), [0.3030303, 0.45], atol=1e-6)
    edges = [min(y), 15, 66, max(y) - 1e-6]
    np.testing.assert_allclose(
        rev.cumulative_dynamic_auc_curve(y, e, y, e, s, edges), [0.6428571, 0.3030303, 0.45, 0.3162996], atol=1e-6
    )
    # Censoring estimated on a separate training cohort.
    yt, et = UNO_TRAIN_TIME, UNO_TRAIN_EVENT
    np.testing.assert_allclose(
        rev.cumulative_dynamic_auc_curve(yt, et, y, e, s, [15, 66]), [0.3030303, 0.4357061], atol=1e-6
    )
    # Tied test times (customer 0 given customer 1's time).
    tied_time = list(y)
    tied_time[0] = tied_time[1]
    np.testing.assert_allclose(
        rev.cumulative_dynamic_auc_curve(yt, et, tied_time, e, s, [15, 66]), [0.375, 0.4357061], atol=1e-6
    )
    # Tied scores: customer 0 given the last customer's score; the lowest score tied with the second lowest.
    tied_score = list(s)
    tied_score[0] = tied_score[-1]
    np.testing.assert_allclose(
        rev.cumulative_dynamic_auc_curve(yt, et, y, e, tied_score, [15, 66]), [0.4242424, 0.539036], atol=1e-6
    )
    order = np.argsort(s)
    tied_min = np.array(s)
    tied_min[order[-1]] = tied_min[order[-2]]
    np.testing.assert_allclose(
        rev.cumulative_dynamic_auc_curve(yt, et, y, e, tied_min, [15, 66]), [0.3030303, 0.4174082], atol=1e-6
    )


def _brute_force_auc(train_d, train_e, test_d, test_e, score, t) -> float:
    """The definition as a double loop, with lifelines' Kaplan–Meier of the censoring times as G (times are
    continuous, so no churn is tied with a censoring)."""
    g = KaplanMeierFitter().fit(train_d, 1 - np.asarray(train_e))
    controls = [j for j in range(len(test_d)) if test_d[j] > t]
    numerator = denominator = 0.0
    for i in range(len(test_d)):
        if not (test_e[i] and test_d[i] <= t):
            continue
        weight = 1.0 / float(g.survival_function_at_times([test_d[i]]).iloc[0])
        for j in controls:
            numerator += weight * (1.0 if score[i] > score[j] else 0.5 if score[i] == score[j] else 0.0)
        denominator += weight * len(controls)
    return numerator / denominator


def test_cumulative_dynamic_auc_equals_brute_force_definition() -> None:
    rng = np.random.default_rng(4)
    _, _, d_train, e_train = _simulate(rng, 300)
    x_test, _, d_test, e_test = _simulate(rng, 200)
    score = np.round(x_test + rng.normal(0, 0.7, 200), 1)  # rounded: many tied scores
    assert len(np.unique(score)) < 150
    horizons = np.quantile(d_test[e_test == 1], [0.2, 0.5, 0.8])
    assert horizons.max() < d_train.max()
    got = rev.cumulative_dynamic_auc_curve(d_train, e_train, d_test, e_test, score, horizons)
    expected = [_brute_force_auc(d_train, e_train, d_test, e_test, score, t) for t in horizons]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # Time-dependent scores: one column per horizon.
    matrix = np.column_stack([score, -score, rng.normal(size=200)])
    got_matrix = rev.cumulative_dynamic_auc_curve(d_train, e_train, d_test, e_test, matrix, horizons)
    expected_matrix = [_brute_force_auc(d_train, e_train, d_test, e_test, matrix[:, j], t) for j, t in
                       enumerate(horizons)]  # fmt: skip
    np.testing.assert_allclose(got_matrix, expected_matrix, rtol=0, atol=1e-12)


def test_cumulative_dynamic_auc_invariants() -> None:
    rng = np.random.default_rng(5)
    x, hazard, duration, event = _simulate(rng, 4000)
    t = float(np.median(duration))
    auc = rev.cumulative_dynamic_auc(duration, event, duration, event, x, t)
    assert 0.6 < auc < 0.8
    # Monotone transforms of the score do not change it; reversing the score gives 1 - AUC (no ties).
    for transformed in (np.exp(x), 3 * x + 7, pd.Series(x).rank().to_numpy()):
        assert rev.cumulative_dynamic_auc(duration, event, duration, event, transformed, t) == pytest.approx(auc)
    assert rev.cumulative_dynamic_auc(duration, event, duration, event, -x, t) == pytest.approx(1 - auc)
    # A perfect score (minus the observed duration) is 1; a random score is near 0.5; a constant is exactly 0.5.
    assert rev.cumulative_dynamic_auc(duration, event, duration, event, -duration, t) == pytest.approx(1.0)
    noise = rng.normal(size=4000)
    assert abs(rev.cumulative_dynamic_auc(duration, event, duration, event, noise, t) - 0.5) < 0.03
    assert rev.cumulative_dynamic_auc(duration, event, duration, event, np.zeros(4000), t) == pytest.approx(0.5)
    # Without censoring it is the ordinary ROC AUC of "churned by t" against the score.
    churn = rng.exponential(1.0 / hazard)
    all_events = np.ones(4000, dtype=int)
    expected = roc_auc_score(churn <= t, x)
    assert rev.cumulative_dynamic_auc(churn, all_events, churn, all_events, x, t) == pytest.approx(expected)


def test_cumulative_dynamic_auc_degenerate_inputs() -> None:
    rng = np.random.default_rng(6)
    x, _, duration, event = _simulate(rng, 100)
    t = float(np.median(duration))
    first_churn = duration[event == 1].min()
    earlier = duration[duration < first_churn]
    assert earlier.size, "the seed needs a censoring before the first churn"
    assert np.isnan(rev.cumulative_dynamic_auc(duration, event, duration, event, x, float(earlier[0])))  # no case
    assert np.isnan(rev.cumulative_dynamic_auc(duration, event, duration, event, x, duration.max()))  # no control
    nan_score = x.copy()
    nan_score[3] = np.nan
    assert np.isnan(rev.cumulative_dynamic_auc(duration, event, duration, event, nan_score, t))
    assert np.isnan(rev.cumulative_dynamic_auc(duration, np.zeros(100), duration, np.zeros(100), x, t))
    with pytest.raises(ValueError, match="shape"):
        rev.cumulative_dynamic_auc_curve(duration, event, duration, event, x[:50], [t])


# ------------------------------------------------------------------------------------------------ 5. Harrell's C


def test_concordance_reproduces_lifelines_rossi() -> None:
    rossi = load_rossi()
    cph = CoxPHFitter().fit(rossi, "week", "arrest")
    risk = cph.predict_partial_hazard(rossi).to_numpy()  # higher = earlier re-arrest
    c = rev.concordance(rossi["week"], rossi["arrest"], risk)
    assert round(c, 3) == 0.640  # lifelines docs: "Concordance = 0.64"
    assert c == pytest.approx(cph.concordance_index_, abs=1e-12)
    assert rev.concordance(rossi["week"], rossi["arrest"], np.log(risk)) == pytest.approx(c)


def test_concordance_sign_convention_and_degenerate_inputs() -> None:
    rng = np.random.default_rng(7)
    x, _, duration, event = _simulate(rng, 300)
    c = rev.concordance(duration, event, x)
    assert c > 0.6  # x raises the hazard, so it is a risk score
    assert rev.concordance(duration, event, -x) == pytest.approx(1 - c)
    assert rev.concordance(duration, event, -duration) == pytest.approx(1.0)
    assert np.isnan(rev.concordance(duration, np.zeros(300), x))  # no comparable pair
    assert np.isnan(rev.concordance([1.0], [1], [0.3]))
    nan_score = x.copy()
    nan_score[0] = np.nan
    assert np.isnan(rev.concordance(duration, event, nan_score))
    with pytest.raises(ValueError, match="differ in length"):
        rev.concordance(duration, event, x[:10])


def _tied_survival_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Durations on a coarse integer grid, about a third of them churns, scores rounded so that many tie."""
    duration = rng.integers(1, 9, n).astype(float)
    event = rng.random(n) < 0.35
    score = np.round(rng.normal(size=n), 1)
    return duration, event, score


def _lifelines_c(duration: np.ndarray, event: np.ndarray, score: np.ndarray) -> float:
    """lifelines' Harrell's C with a higher score meaning earlier churn; NaN without a comparable pair."""
    if duration.size < 2 or not event.any():
        return float("nan")
    try:
        return float(concordance_index(duration, -score, event.astype(int)))
    except ZeroDivisionError:
        return float("nan")


@pytest.mark.parametrize("seed", range(40))
def test_concordance_equals_lifelines_on_random_data_with_ties(seed: int) -> None:
    """The O(n log n) count is lifelines' concordance_index to the last bit, tied times and scores included (both
    are ratios of the same integer counts), on continuous data too."""
    rng = np.random.default_rng(seed)
    duration, event, score = _tied_survival_data(rng, int(rng.integers(2, 400)))
    expected = _lifelines_c(duration, event, score)
    got = rev.concordance(duration, event, score)
    assert (np.isnan(expected) and np.isnan(got)) or got == expected
    continuous = rng.exponential(5.0, duration.size)
    risk = rng.normal(size=duration.size)
    expected = _lifelines_c(continuous, event, risk)
    got = rev.concordance(continuous, event, risk)
    assert (np.isnan(expected) and np.isnan(got)) or got == expected


@pytest.mark.parametrize("seed", range(20))
def test_concordance_with_frequency_weights_is_that_of_the_repeated_rows(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    duration, event, score = _tied_survival_data(rng, int(rng.integers(2, 200)))
    weights = rng.multinomial(duration.size, np.full(duration.size, 1 / duration.size))
    rows = np.repeat(np.arange(duration.size), weights)
    expected = _lifelines_c(duration[rows], event[rows], score[rows])
    got = rev.concordance(duration, event, score, weights)
    assert (np.isnan(expected) and np.isnan(got)) or got == expected
    unweighted = rev.concordance(duration, event, score)
    ones = rev.concordance(duration, event, score, np.ones(duration.size))
    assert (np.isnan(unweighted) and np.isnan(ones)) or ones == unweighted


# ------------------------------------------------------------------------------ 5b. One cohort, bootstrap weights

TIMES = np.arange(1.0, 9.0)


def _cohort(rng: np.random.Generator, n: int, tie_chains: bool = False) -> tuple[np.ndarray, ...]:
    """A landmark cohort as the churn-risk evaluation has it: weeks to churn or censoring, two models' horizon
    risks (one rounded so that scores tie, one with chains of scores closer than the AUC's tie tolerance when
    ``tie_chains``) and the survival curves of a constant weekly hazard."""
    duration = rng.integers(1, 20, n).astype(float)
    event = rng.random(n) < 0.3
    risk_a = np.round(rng.random(n), 2)
    risk_b = rng.random(n) if not tie_chains else np.round(rng.random(n), 2) + rng.integers(0, 3, n) * 0.6e-8
    survival = {}
    for name, risk in (("a", risk_a), ("b", risk_b)):
        hazard = 1 - (1 - risk) ** (1 / 8)
        survival[name] = (1 - hazard[:, None]) ** TIMES[None, :]
    return duration, event, risk_a, risk_b, survival["a"], survival["b"]


def _reference_metrics(duration, event, risk, survival) -> dict[str, float]:
    return {
        "concordance": rev.concordance(duration, event, risk),
        "auc_at_horizon": rev.cumulative_dynamic_auc(duration, event, duration, event, risk, 8.0),
        "brier_at_horizon": rev.brier_score(duration, event, duration, event, survival[:, -1], 8.0),
        "integrated_brier": rev.integrated_brier_score(duration, event, duration, event, survival, TIMES),
    }


@pytest.mark.parametrize("seed", range(25))
def test_cohort_metrics_equal_the_functions_and_weights_equal_repeated_rows(seed: int) -> None:
    """Unweighted: the functions' values to the last bit. Weighted (a bootstrap replicate as draw counts): the
    functions on the data set with every row repeated that often, up to the order of floating-point sums."""
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(5, 300))
    duration, event, risk_a, risk_b, survival_a, survival_b = _cohort(rng, n, tie_chains=seed % 2 == 1)
    cohort = rev.CohortMetrics(duration, event, {"a": (risk_a, survival_a), "b": (risk_b, survival_b)}, TIMES, 8.0)
    values = cohort.values()
    for name, risk, survival in (("a", risk_a, survival_a), ("b", risk_b, survival_b)):
        expected = _reference_metrics(duration, event, risk, survival)
        for metric, value in expected.items():
            assert (np.isnan(value) and np.isnan(values[name][metric])) or values[name][metric] == value, metric
    for _ in range(5):
        weights = rng.multinomial(n, np.full(n, 1 / n))
        rows = np.repeat(np.arange(n), weights)
        values = cohort.values(weights)
        for name, risk, survival in (("a", risk_a, survival_a), ("b", risk_b, survival_b)):
            expected = _reference_metrics(duration[rows], event[rows], risk[rows], survival[rows])
            for metric, value in expected.items():
                if np.isnan(value):
                    assert np.isnan(values[name][metric]), (name, metric)
                else:
                    assert values[name][metric] == pytest.approx(value, rel=1e-12, abs=1e-15), (name, metric)


def test_cohort_metrics_degenerate_weights_and_inputs() -> None:
    rng = np.random.default_rng(9)
    duration, event, risk_a, _, survival_a, _ = _cohort(rng, 50)
    cohort = rev.CohortMetrics(duration, event, {"a": (risk_a, survival_a)}, TIMES, 8.0)
    nothing = cohort.values(np.zeros(50))["a"]
    assert all(np.isnan(v) for v in nothing.values())
    only_censored = np.where(event, 0, 1)
    assert np.isnan(cohort.values(only_censored)["a"]["concordance"])
    unusable = duration.copy()
    unusable[0] = np.nan
    broken = rev.CohortMetrics(unusable, event, {"a": (risk_a, survival_a)}, TIMES, 8.0)
    assert all(np.isnan(v) for v in broken.values()["a"].values())
    without_first = np.r_[0, np.ones(49)]
    expected = _reference_metrics(duration[1:], event[1:], risk_a[1:], survival_a[1:])
    got = broken.values(without_first)["a"]
    for metric, value in expected.items():
        assert (np.isnan(value) and np.isnan(got[metric])) or got[metric] == pytest.approx(value, rel=1e-12), metric
    with pytest.raises(ValueError, match="horizon"):
        rev.CohortMetrics(duration, event, {"a": (risk_a, survival_a)}, TIMES, 9.5)
    with pytest.raises(ValueError, match="differ in length"):
        cohort.values(np.ones(10))


# ------------------------------------------------------------------------------------------------ 6. Calibration


def test_calibration_columns_speak_the_vocabulary() -> None:
    frame = rev.calibration_by_decile(np.linspace(0.1, 0.9, 50), np.arange(1, 51), np.ones(50), 25.0)
    assert list(frame.columns) == rev.CALIBRATION_COLUMNS
    assert not [c for c in frame.columns if vocabulary.FORBIDDEN_NAME.match(c)]
    assert frame["risk_decile"].tolist() == list(range(1, 11))
    assert frame["n_customers"].tolist() == [5] * 10


def test_calibration_bins_are_quantile_bins_with_ties_kept_together_and_order_free() -> None:
    rng = np.random.default_rng(8)
    predicted = np.round(rng.uniform(0, 1, 1003), 2)  # ties
    duration = rng.exponential(5.0, 1003)
    event = rng.integers(0, 2, 1003)
    frame = rev.calibration_by_decile(predicted, duration, event, 3.0)
    assert frame["n_customers"].sum() == 1003
    assert frame["n_customers"].between(80, 120).all()
    # Bins do not overlap: every prediction value lives in one bin.
    assert (frame["max_predicted"].to_numpy()[:-1] < frame["min_predicted"].to_numpy()[1:]).all()
    order = rng.permutation(1003)
    shuffled = rev.calibration_by_decile(predicted[order], duration[order], event[order], 3.0)
    pd.testing.assert_frame_equal(frame, shuffled)
    # Without ties the sizes differ by at most one.
    untied = rev.calibration_by_decile(rng.uniform(0, 1, 1003), duration, event, 3.0)
    assert untied["n_customers"].max() - untied["n_customers"].min() <= 1
    # Half the customers share one prediction: they fill one bin, the bins they would have spanned stay empty.
    heavy = np.where(np.arange(100) < 50, 0.2, np.linspace(0.3, 0.9, 100))
    tied_frame = rev.calibration_by_decile(heavy, duration[:100], event[:100], 3.0)
    assert tied_frame["n_customers"].tolist() == [50, 0, 0, 0, 0, 10, 10, 10, 10, 10]
    assert tied_frame.loc[1, "status"] == "no_customers" and np.isnan(tied_frame.loc[1, "observed"])


def test_calibration_observed_equals_lifelines_and_statsmodels_within_each_bin() -> None:
    rng = np.random.default_rng(9)
    _, hazard, duration, event = _simulate(rng, 2000)
    duration = np.ceil(duration)  # whole days: tied churn and censoring times
    t = 5.0
    predicted = 1 - np.exp(-hazard * t)
    frame = rev.calibration_by_decile(predicted, duration, event, t).set_index("risk_decile")
    members = _members(predicted, 10)
    for decile, row in frame.iterrows():
        member = members[decile - 1]
        km = KaplanMeierFitter().fit(duration[member], event[member])
        s = float(km.survival_function_at_times([t]).iloc[0])
        ci = km.confidence_interval_survival_function_
        ci_at = ci.loc[ci.index <= t].iloc[-1]
        statsmodels_fit = sm.SurvfuncRight(duration[member], event[member])
        position = np.searchsorted(statsmodels_fit.surv_times, t, side="right") - 1
        assert row["status"] == "ok"
        assert row["n_customers"] == member.sum()
        assert row["mean_predicted"] == pytest.approx(predicted[member].mean())
        assert row["observed"] == pytest.approx(1 - s, abs=1e-12)
        assert row["ci_lower"] == pytest.approx(1 - ci_at.iloc[1], abs=1e-10)
        assert row["ci_upper"] == pytest.approx(1 - ci_at.iloc[0], abs=1e-10)
        assert row["std_error"] == pytest.approx(statsmodels_fit.surv_prob_se[position], rel=1e-10)


def test_calibration_covers_the_truth_and_rejects_a_miscalibrated_model() -> None:
    """Exponential churn with a known hazard: the true probability of churn by t of a bin is the mean of its
    customers' 1 - exp(-λ t), which is ``mean_predicted`` for the true model. The intervals must cover it; a
    model that doubles the hazard must be caught by the same check."""
    rng = np.random.default_rng(10)
    _, hazard, duration, event = _simulate(rng, 5000)
    t = 5.0
    truth = 1 - np.exp(-hazard * t)
    frame = rev.calibration_by_decile(truth, duration, event, t)
    covered = (frame["ci_lower"] <= frame["mean_predicted"]) & (frame["mean_predicted"] <= frame["ci_upper"])
    assert covered.sum() >= 8, frame  # P(>= 8 of 10 | 95% intervals) = 0.99; 9 of 10 on this seed
    assert (frame["status"] == "ok").all()
    assert np.corrcoef(frame["observed"], frame["mean_predicted"])[0, 1] > 0.95

    doubled = 1 - np.exp(-2 * hazard * t)  # same ranking, twice the hazard
    wrong = rev.calibration_by_decile(doubled, duration, event, t)
    true_in_bin = [truth[doubled_bin].mean() for doubled_bin in _members(doubled, 10)]
    np.testing.assert_allclose(wrong["observed"], frame["observed"], atol=1e-12)  # same customers per bin
    caught = (wrong["mean_predicted"] > wrong["ci_upper"]) | (wrong["mean_predicted"] < wrong["ci_lower"])
    assert caught.sum() >= 9, wrong
    still_covered = (wrong["ci_lower"] <= true_in_bin) & (np.array(true_in_bin) <= wrong["ci_upper"])
    assert still_covered.sum() >= 8


def _members(predicted: np.ndarray, n_bins: int) -> list[np.ndarray]:
    rank = pd.Series(predicted).rank(method="min").to_numpy() - 1
    bins = np.floor(rank * n_bins / predicted.size) + 1
    return [bins == b for b in range(1, n_bins + 1)]


def test_calibration_interval_coverage_is_nominal_over_replications() -> None:
    rng = np.random.default_rng(11)
    hits = total = 0
    for _ in range(200):
        _, hazard, duration, event = _simulate(rng, 1000)
        truth = 1 - np.exp(-hazard * 5.0)
        frame = rev.calibration_by_decile(truth, duration, event, 5.0)
        covered = (frame["ci_lower"] <= frame["mean_predicted"]) & (frame["mean_predicted"] <= frame["ci_upper"])
        hits += int(covered.sum())
        total += len(frame)
    coverage = hits / total
    assert 0.925 <= coverage <= 0.975, coverage


def test_calibration_degenerate_bins_and_rows() -> None:
    predicted = np.array([0.1, 0.2, 0.3, 0.4, np.nan, 0.6])
    duration = np.array([5.0, 1.0, 2.0, 1.0, 3.0, -1.0])
    event = np.array([0, 0, 1, 1, 1, 1])
    frame = rev.calibration_by_decile(predicted, duration, event, 3.0, n_bins=4).set_index("risk_decile")
    assert frame["n_customers"].tolist() == [1, 1, 1, 1]  # NaN prediction and negative duration dropped
    assert frame["status"].str.endswith("; 2 unusable rows dropped").all()
    assert frame.loc[1, "status"].startswith("no_events")  # censored at 5: no churn by 3
    assert (frame.loc[1, "observed"], frame.loc[1, "std_error"], frame.loc[1, "ci_lower"]) == (0.0, 0.0, 0.0)
    assert frame.loc[2, "status"].startswith("beyond_follow_up") and np.isnan(frame.loc[2, "observed"])
    assert frame.loc[3, "status"].startswith("all_churned") and frame.loc[3, "observed"] == 1.0
    assert np.isnan(frame.loc[3, "std_error"])
    empty = rev.calibration_by_decile([], [], [], 3.0)
    assert len(empty) == 10 and (empty["status"] == "no_customers").all() and (empty["n_customers"] == 0).all()
    with pytest.raises(ValueError, match="n_bins"):
        rev.calibration_by_decile(predicted, duration, event, 3.0, n_bins=0)
    with pytest.raises(ValueError, match="differ in length"):
        rev.calibration_by_decile(predicted[:3], duration, event, 3.0)


# ------------------------------------------------------------------------------------------------ optional oracle


def _sksurv_y(duration, event):
    util = pytest.importorskip("sksurv.util")
    return util.Surv.from_arrays(event=np.asarray(event).astype(bool), time=np.asarray(duration, dtype=float))


def test_scikit_survival_docstring_example_matches_the_lifelines_set_up(gbsg2_cox) -> None:
    """The docstring example run with scikit-survival itself gives 0.2088 / 0.1816, and its Cox survival
    predictions equal the lifelines ones used above."""
    pytest.importorskip("sksurv")
    from sksurv.datasets import load_gbsg2 as sksurv_load_gbsg2
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.metrics import brier_score, integrated_brier_score
    from sksurv.preprocessing import OneHotEncoder

    x, y = sksurv_load_gbsg2()
    x["tgrade"] = x.loc[:, "tgrade"].map(len).astype(int)
    xt = OneHotEncoder().fit_transform(x)
    survs = CoxPHSurvivalAnalysis(ties="efron").fit(xt, y).predict_survival_function(xt)
    times = np.arange(365, 1826)
    predictions = np.vstack([fn(times) for fn in survs])  # the docstring calls fn(t) per day: same values
    assert brier_score(y, y, predictions[:, -1], 1825)[1][0] == pytest.approx(0.20881843, abs=1e-6)
    assert round(integrated_brier_score(y, y, predictions, times), 4) == 0.1816

    duration, event = y["time"].astype(float), y["cens"].astype(int)
    ours = rev.integrated_brier_score(duration, event, duration, event, predictions, times)
    assert ours == pytest.approx(integrated_brier_score(y, y, predictions, times), abs=1e-12)
    cph, design = gbsg2_cox
    lifelines_predictions = _step_survival(cph, design, times.astype(float))
    for column in (0, 730, -1):  # the same 686 predictions (row order aside) at days 365, 1095 and 1825
        np.testing.assert_allclose(
            np.sort(lifelines_predictions[:, column]), np.sort(predictions[:, column]), atol=1e-4
        )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scikit_survival_oracle_on_tied_integer_data(seed: int) -> None:
    """Whole-day durations (churns tied with censorings), a separate training cohort, tied scores."""
    pytest.importorskip("sksurv")
    from sksurv.metrics import brier_score, cumulative_dynamic_auc, integrated_brier_score
    from sksurv.nonparametric import CensoringDistributionEstimator

    rng = np.random.default_rng(seed)
    _, _, d_train, e_train = _simulate(rng, 400)
    x, hazard, d_test, e_test = _simulate(rng, 300)
    d_train, d_test = np.ceil(d_train), np.ceil(d_test)
    # scikit-survival raises when G is 0 at a test churn (ours returns NaN only for horizons that need it).
    keep = d_test < d_train.max()
    x, hazard, d_test, e_test = x[keep], hazard[keep], d_test[keep], e_test[keep]
    y_train, y_test = _sksurv_y(d_train, e_train), _sksurv_y(d_test, e_test)
    times = np.arange(2.0, min(d_test.max(), d_train.max()) - 1)
    survival = np.exp(-np.outer(hazard, times))
    score = np.round(x, 1)

    g = CensoringDistributionEstimator().fit(y_train)
    grid = np.arange(0.0, d_train.max() + 0.5, 0.5)
    np.testing.assert_allclose(rev.censoring_survival(d_train, e_train)(grid), g.predict_proba(grid), atol=1e-12)
    np.testing.assert_allclose(
        rev.brier_score_curve(d_train, e_train, d_test, e_test, survival, times),
        brier_score(y_train, y_test, survival, times)[1], atol=1e-12,
    )  # fmt: skip
    assert rev.integrated_brier_score(d_train, e_train, d_test, e_test, survival, times) == pytest.approx(
        integrated_brier_score(y_train, y_test, survival, times), abs=1e-12
    )
    np.testing.assert_allclose(
        rev.cumulative_dynamic_auc_curve(d_train, e_train, d_test, e_test, score, times),
        cumulative_dynamic_auc(y_train, y_test, score, times)[0], atol=1e-12,
    )  # fmt: skip
    risk_by_time = 1 - survival + rng.normal(0, 0.05, survival.shape)
    np.testing.assert_allclose(
        rev.cumulative_dynamic_auc_curve(d_train, e_train, d_test, e_test, risk_by_time, times),
        cumulative_dynamic_auc(y_train, y_test, risk_by_time, times)[0], atol=1e-12,
    )  # fmt: skip


def test_scikit_survival_oracle_concordance_on_continuous_data() -> None:
    """Harrell's C agrees with scikit-survival's ``concordance_index_censored`` when no times are tied."""
    pytest.importorskip("sksurv")
    from sksurv.metrics import concordance_index_censored

    x, _, duration, event = _simulate(np.random.default_rng(12), 500)
    expected = concordance_index_censored(event.astype(bool), duration, x)[0]
    assert rev.concordance(duration, event, x) == pytest.approx(expected, abs=1e-12)
