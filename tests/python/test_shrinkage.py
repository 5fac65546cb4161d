"""Empirical-Bayes shrinkage (empathy.stats.shrinkage): the ML fit against an independent maximisation of
scipy.stats.betabinom, recovery of simulated priors, Efron & Morris's (1975) batting averages, shrinkage behaviour,
group fallback and degenerate input."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from empathy.stats.shrinkage import (
    PRIOR_STATUSES,
    ROW_STATUSES,
    BetaPrior,
    fit_beta_binomial_ml,
    fit_beta_binomial_moments,
    shrink,
    shrink_within_groups,
)

FITS = [fit_beta_binomial_moments, fit_beta_binomial_ml]

# Efron, B., Morris, C. (1975). Data analysis using Stein's estimator and its generalizations. JASA 70, 311-319,
# Table 1: hits in the first 45 at-bats of the 1970 season (r) and the batting average over the remainder of the
# season (p), 18 players. Transcribed from the public copy of the table in R package pscl, data set EfronMorris
# (Rdatasets csv/pscl/EfronMorris.csv); the published grand mean of r / 45 is .265.
EFRON_MORRIS = pd.DataFrame({
    "player": ["Clemente", "F. Robinson", "Howard", "Johnstone", "Berry", "Spencer", "Kessinger", "L. Alvarado",
               "Santo", "Swoboda", "Unser", "Williams", "Scott", "Petrocelli", "E. Rodriguez", "Campaneris",
               "Munson", "Alvis"],
    "hits": [18, 17, 16, 15, 14, 14, 13, 12, 11, 11, 10, 10, 10, 10, 10, 9, 8, 7],
    "at_bats": 45,
    "rest_of_season": [.346, .298, .276, .222, .273, .270, .263, .210, .269, .230, .264, .256, .303, .264, .226,
                       .285, .316, .200],
})


def simulate(alpha: float, beta: float, units: int, seed: int, low: int = 5, high: int = 121) -> tuple:
    """Binomial counts of units whose rates are drawn from Beta(alpha, beta), with unequal trials."""
    rng = np.random.default_rng(seed)
    trials = rng.integers(low, high, units)
    return rng.binomial(trials, rng.beta(alpha, beta, units)), trials


def reference_ml(successes, trials) -> tuple[float, float]:
    """Independent beta-binomial ML: scipy.stats.betabinom.logpmf in (logit mean, log precision), a grid search then
    Nelder-Mead (the module uses betaln in (log alpha, log beta) with L-BFGS-B and an analytic gradient)."""
    def negative_loglik(theta):
        mean, precision = 1 / (1 + np.exp(-theta[0])), np.exp(theta[1])
        return -stats.betabinom.logpmf(successes, trials, mean * precision, (1 - mean) * precision).sum()

    grid = [(m, p) for m in np.linspace(-4, 4, 41) for p in np.linspace(-2, 10, 49)]
    start = min(grid, key=negative_loglik)
    result = optimize.minimize(negative_loglik, start, method="Nelder-Mead",
                               options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 50_000, "maxfev": 50_000})
    assert result.success, result.message
    mean, precision = 1 / (1 + np.exp(-result.x[0])), np.exp(result.x[1])
    return mean * precision, (1 - mean) * precision


@pytest.mark.parametrize("data", ["simulated", "efron_morris"])
def test_ml_fit_agrees_with_an_independent_maximisation(data: str) -> None:
    if data == "simulated":
        successes, trials = simulate(2.5, 7.5, units=400, seed=2024)
    else:
        successes, trials = EFRON_MORRIS["hits"].to_numpy(), EFRON_MORRIS["at_bats"].to_numpy()
    prior = fit_beta_binomial_ml(successes, trials)
    alpha, beta = reference_ml(successes, trials)
    assert prior.status == "ok" and prior.method == "ml" and prior.n_units == len(trials)
    assert prior.alpha == pytest.approx(alpha, rel=1e-4)
    assert prior.beta == pytest.approx(beta, rel=1e-4)
    assert prior.mean == pytest.approx(alpha / (alpha + beta), abs=1e-6)


@pytest.mark.parametrize("fit", FITS)
def test_fits_recover_the_simulated_prior_with_many_units(fit) -> None:
    successes, trials = simulate(3.0, 12.0, units=5000, seed=7)
    prior = fit(successes, trials)
    assert prior.status == "ok"
    assert prior.alpha == pytest.approx(3.0, rel=0.1)
    assert prior.beta == pytest.approx(12.0, rel=0.1)
    assert prior.mean == pytest.approx(0.2, abs=0.005)


def test_moments_with_equal_trials_reduce_to_the_anova_estimator() -> None:
    """Equal trials n: rho = (n * sum (y - ybar)^2 / (ybar (1 - ybar)) - (k - 1)) / ((k - 1)(n - 1))."""
    y, n, k = EFRON_MORRIS["hits"] / 45, 45, len(EFRON_MORRIS)
    ybar = y.mean()
    rho = (n * ((y - ybar) ** 2).sum() / (ybar * (1 - ybar)) - (k - 1)) / ((k - 1) * (n - 1))
    prior = fit_beta_binomial_moments(EFRON_MORRIS["hits"], EFRON_MORRIS["at_bats"])
    assert prior.precision == pytest.approx(1 / rho - 1, rel=1e-10)


def test_moments_with_unequal_trials_solve_kleinmans_weighted_equations() -> None:
    """Kleinman (1973): at rho = 1 / (alpha + beta + 1), with w = n / (1 + (n - 1) rho), the prior mean is the
    w-weighted mean rate and sum w (y - p)^2 equals its expectation p(1-p) sum c (1 + (n - 1) rho),
    c = w (1 - w / W) / n."""
    successes, trials = simulate(2.0, 5.0, units=300, seed=13, low=2, high=400)
    prior = fit_beta_binomial_moments(successes, trials)
    rho, y = 1 / (prior.precision + 1), successes / trials
    w = trials / (1 + (trials - 1) * rho)
    c = w * (1 - w / w.sum()) / trials
    p = np.sum(w * y) / w.sum()
    assert prior.status == "ok" and prior.mean == pytest.approx(p, rel=1e-9)
    assert np.sum(w * (y - p) ** 2) == pytest.approx(p * (1 - p) * np.sum(c * (1 + (trials - 1) * rho)), rel=1e-8)


@pytest.mark.parametrize("fit", FITS)
def test_efron_morris_batting_averages(fit) -> None:
    """Efron & Morris (1975), Table 1 (see EFRON_MORRIS). Their published estimates are James-Stein on the arcsine
    scale, which this module does not compute, so only what the beta-binomial method implies is asserted: with equal
    trials the moment prior mean is the grand mean 215/810 (published as .265); the shrunk averages keep the order
    of the raw ones; and, the paper's finding, they predict the rest-of-season averages with a smaller total squared
    error than the raw averages (here 0.0753 raw vs about 0.022 shrunk)."""
    hits, at_bats, truth = EFRON_MORRIS["hits"], EFRON_MORRIS["at_bats"], EFRON_MORRIS["rest_of_season"]
    prior = fit(hits, at_bats)
    assert prior.status == "ok" and prior.n_units == 18
    if fit is fit_beta_binomial_moments:
        assert prior.mean == pytest.approx(215 / 810, abs=1e-12)
        assert round(prior.mean, 3) == 0.265
    out = shrink(hits, at_bats, prior)
    raw = hits / at_bats
    for i in range(18):
        for j in range(18):
            if raw[i] > raw[j]:
                assert out["posterior_mean"][i] > out["posterior_mean"][j]
            elif raw[i] == raw[j]:
                assert out["posterior_mean"][i] == pytest.approx(out["posterior_mean"][j], abs=1e-15)
    weight = out["shrinkage_weight"]
    np.testing.assert_allclose(out["posterior_mean"], weight * raw + (1 - weight) * prior.mean, rtol=1e-12)
    assert ((out["posterior_mean"] - truth) ** 2).sum() < 0.5 * ((raw - truth) ** 2).sum()


@pytest.mark.parametrize("fit", FITS)
def test_eight_out_of_eight_is_not_ranked_above_a_large_sample_at_ninety_percent(fit) -> None:
    successes, trials = simulate(14.0, 6.0, units=200, seed=11, low=20, high=301)
    successes, trials = np.append(successes, [8, 360]), np.append(trials, [8, 400])
    out = shrink(successes, trials, fit(successes, trials))
    small, large = out.iloc[-2], out.iloc[-1]
    assert small["raw_rate"] == 1.0 and large["raw_rate"] == 0.9
    assert small["posterior_mean"] < large["posterior_mean"]
    assert small["lower_bound"] < large["lower_bound"]
    assert out["posterior_mean"].idxmax() != len(out) - 2
    assert out["lower_bound"].idxmax() != len(out) - 2
    assert small["ci_lower"] < small["lower_bound"] < small["posterior_mean"] < small["ci_upper"]


def test_weight_increases_with_trials_and_zero_trials_get_the_prior() -> None:
    prior = BetaPrior(alpha=6.0, beta=14.0, mean=0.3, n_units=50, method="moments", status="ok")
    trials = np.array([0, 1, 5, 20, 100, 1000])
    out = shrink(np.round(0.5 * trials), trials, prior)
    weight = out["shrinkage_weight"].to_numpy()
    assert np.all(np.diff(weight) > 0)
    np.testing.assert_allclose(weight, trials / (trials + 20.0))
    zero = out.iloc[0]
    assert zero["status"] == "no_trials" and np.isnan(zero["raw_rate"]) and zero["shrinkage_weight"] == 0
    assert zero["posterior_mean"] == pytest.approx(0.3)
    assert zero["ci_lower"] == pytest.approx(stats.beta.ppf(0.025, 6, 14))
    assert zero["ci_upper"] == pytest.approx(stats.beta.ppf(0.975, 6, 14))
    assert (out["status"].iloc[1:] == "ok").all()
    a, b = 6.0 + out["successes"], 14.0 + trials - out["successes"]
    np.testing.assert_allclose(out["posterior_mean"], a / (a + b))
    np.testing.assert_allclose(out["lower_bound"], stats.beta.ppf(0.05, a, b))
    np.testing.assert_allclose(out["ci_lower"], stats.beta.ppf(0.025, a, b))
    np.testing.assert_allclose(out["ci_upper"], stats.beta.ppf(0.975, a, b))


@pytest.mark.parametrize("fit", FITS)
def test_no_excess_variance_pools_fully(fit) -> None:
    successes, trials = [3, 30, 6, 15, 0], [10, 100, 20, 50, 0]  # every rate 0.3: less spread than binomial noise
    prior = fit(successes, trials)
    assert prior.status == "no_excess_variance" and np.isinf(prior.precision)
    assert prior.mean == pytest.approx(0.3) and prior.alpha >= 0 and prior.beta >= 0 and prior.n_units == 4
    out = shrink(successes, trials, prior)
    assert list(out["status"]) == ["no_excess_variance"] * 4 + ["no_trials"]
    np.testing.assert_allclose(out[["posterior_mean", "ci_lower", "ci_upper", "lower_bound"]], 0.3)
    assert (out["shrinkage_weight"] == 0).all()


@pytest.mark.parametrize("fit", FITS)
@pytest.mark.parametrize("successes, trials, status", [
    ([], [], "no_data"),
    ([0, 0], [0, 0], "no_data"),
    ([2], [5], "too_few_units"),
    ([0, 1, 1], [1, 1, 1], "too_few_units"),
    ([0, 0, 0], [3, 4, 5], "no_excess_variance"),
    ([5, 7, 9], [5, 7, 9], "no_excess_variance"),
    ([0, 4, 0, 5], [4, 4, 5, 5], "boundary"),
])
def test_degenerate_fits_have_a_status_and_no_negative_parameters(fit, successes, trials, status) -> None:
    prior = fit(successes, trials)
    assert prior.status == status and status in PRIOR_STATUSES
    assert not (prior.alpha < 0) and not (prior.beta < 0)
    out = shrink(successes, trials, prior)
    assert len(out) == len(trials) and set(out["status"]) <= set(ROW_STATUSES)


def test_invalid_counts_are_kept_with_a_status_and_left_out_of_the_fit() -> None:
    successes, trials = simulate(4.0, 4.0, units=100, seed=3)
    clean = fit_beta_binomial_moments(successes, trials)
    bad_s, bad_n = np.append(successes, [np.nan, -1, 7]), np.append(trials, [10, 10, 5])
    assert fit_beta_binomial_moments(bad_s, bad_n) == clean
    out = shrink(bad_s, bad_n, clean)
    assert list(out["status"].iloc[-3:]) == ["invalid_counts"] * 3
    assert out["posterior_mean"].iloc[-3:].isna().all() and out["posterior_mean"].iloc[:-3].notna().all()


def test_prior_is_frozen() -> None:
    prior = fit_beta_binomial_moments(EFRON_MORRIS["hits"], EFRON_MORRIS["at_bats"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        prior.alpha = 1.0  # type: ignore[misc]


def team_frame() -> pd.DataFrame:
    """Team A: 60 overdispersed agents; team B: 2 agents; team C: 6 agents at the same rate; one agent without team."""
    successes, trials = simulate(2.0, 6.0, units=60, seed=5)
    return pd.DataFrame({
        "team": ["A"] * 60 + ["B"] * 2 + ["C"] * 6 + [None],
        "ok": np.concatenate([successes, [9, 1], [2, 4, 6, 8, 10, 0], [3]]),
        "n": np.concatenate([trials, [10, 10], [10, 20, 30, 40, 50, 0], [12]]),
    }, index=pd.Index([f"agent_{i}" for i in range(69)], name="agent"))


def test_groups_fall_back_to_the_pooled_prior() -> None:
    frame = team_frame()
    out = shrink_within_groups(frame, "team", "ok", "n", min_units=5)
    pd.testing.assert_frame_equal(out[frame.columns], frame)
    pooled, team_a = fit_beta_binomial_moments(frame["ok"], frame["n"]), frame[frame["team"] == "A"]
    own = fit_beta_binomial_moments(team_a["ok"], team_a["n"])
    by_team = out.groupby(out["team"].fillna("none")).first()
    assert by_team.loc["A", "prior_source"] == "group" and by_team.loc["A", "prior_status"] == "ok"
    assert by_team.loc["A", "prior_alpha"] == pytest.approx(own.alpha)
    expected = {"B": "too_few_units", "C": "no_excess_variance", "none": "missing_group"}
    for team, reason in expected.items():
        assert by_team.loc[team, "prior_source"] == "pooled" and by_team.loc[team, "prior_status"] == reason
        assert by_team.loc[team, "prior_alpha"] == pytest.approx(pooled.alpha)
        assert by_team.loc[team, "prior_mean"] == pytest.approx(pooled.mean)
    assert out.loc["agent_67", "status"] == "no_trials"
    assert out.loc["agent_67", "posterior_mean"] == pytest.approx(pooled.mean)
    expected_rows = shrink(frame["ok"].iloc[60:62], frame["n"].iloc[60:62], pooled)
    np.testing.assert_allclose(out["posterior_mean"].iloc[60:62], expected_rows["posterior_mean"])


@pytest.mark.parametrize("method", ["moments", "ml"])
def test_grouped_degenerate_input_never_crashes_or_drops_rows(method: str) -> None:
    empty = shrink_within_groups(team_frame().iloc[:0], "team", "ok", "n", method=method)
    assert empty.empty and {"posterior_mean", "prior_source", "prior_status", "status"} <= set(empty.columns)
    no_trials = team_frame().assign(ok=0, n=0)
    out = shrink_within_groups(no_trials, "team", "ok", "n", method=method)
    assert len(out) == len(no_trials) and (out["status"] == "no_data").all()
    assert (out["prior_source"] == "pooled").all() and out["posterior_mean"].isna().all()
    assert set(out["prior_status"]) == {"no_data", "missing_group"}
