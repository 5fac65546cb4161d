"""Validation of ``empathy.stats.iv`` on the textbook IV examples shipped with linearmodels (Mroz 1987 and Card 1995, as
in Wooldridge's *Introductory Econometrics*, Examples 15.4 and 15.5 / 15.8), against statsmodels' OLS and a direct
2SLS computation, on simulated data with a known effect and confounding, and on degenerate input.

No network: ``linearmodels.datasets.mroz`` and ``card`` read CSV files inside the linearmodels package.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.datasets import card, mroz
from linearmodels.iv import IV2SLS

from empathy.stats.iv import RESULT_COLUMNS, WEAK_INSTRUMENT_F, cluster_score_overid, iv_estimates

MROZ_EXOG = ["exper", "expersq"]
# Wooldridge, Example 15.4 (Card 1995): the controls that reproduce the published IV estimate.
CARD_EXOG = ["exper", "expersq", "black", "smsa", "south", "smsa66", *(f"reg66{i}" for i in range(2, 10))]


@pytest.fixture(scope="module")
def women() -> pd.DataFrame:
    """Mroz's married women, restricted to those in the labour force (the 428 with a wage)."""
    data = mroz.load()
    data = data[data["inlf"] == 1]
    assert len(data) == 428 and data["lwage"].notna().all()
    return data


@pytest.fixture(scope="module")
def card_data() -> pd.DataFrame:
    return card.load()


def row(table: pd.DataFrame, estimator: str) -> pd.Series:
    return table.set_index("estimator").loc[estimator]


def test_mroz_matches_wooldridge(women: pd.DataFrame) -> None:
    """Wooldridge Example 15.5 / 15.8: educ 0.0614 (0.0314) by 2SLS with motheduc and fatheduc; Sargan 0.378,
    p = 0.539. The homoskedastic, dof-corrected (s^2 = SSR / (n - k)) standard error reproduces 0.0314."""
    table = iv_estimates(women, "lwage", "educ", ["motheduc", "fatheduc"], MROZ_EXOG)
    assert list(table.columns) == RESULT_COLUMNS and list(table["estimator"]) == ["2sls", "ols"]
    iv = row(table, "2sls")
    assert iv["status"] == "ok" and iv["n_observations"] == 428 and iv["covariance"] == "unadjusted"
    assert iv["estimate"] == pytest.approx(0.0614, abs=5e-5)
    assert iv["std_error"] == pytest.approx(0.0314, abs=5e-5)
    assert iv["overid_test"] == "sargan"
    assert iv["overid_statistic"] == pytest.approx(0.378, abs=5e-4)
    assert iv["overid_p_value"] == pytest.approx(0.539, abs=1e-3)
    assert iv["first_stage_f_kind"] == "partial_f" and not iv["is_weak_instrument"]
    assert iv["ci_lower"] < iv["estimate"] < iv["ci_upper"]
    coefficients = json.loads(iv["first_stage_coefficients"])["educ"]
    assert set(coefficients) == {"motheduc", "fatheduc"}


def test_mroz_first_stage_f_is_the_classical_partial_f(women: pd.DataFrame) -> None:
    table = iv_estimates(women, "lwage", "educ", ["motheduc", "fatheduc"], MROZ_EXOG)
    unrestricted = sm.OLS(women["educ"], sm.add_constant(women[[*MROZ_EXOG, "motheduc", "fatheduc"]])).fit()
    restricted = sm.OLS(women["educ"], sm.add_constant(women[MROZ_EXOG])).fit()
    partial_f = ((restricted.ssr - unrestricted.ssr) / 2) / (unrestricted.ssr / unrestricted.df_resid)
    iv = row(table, "2sls")
    assert iv["first_stage_f"] == pytest.approx(partial_f, rel=1e-8)
    coefficients = json.loads(iv["first_stage_coefficients"])["educ"]
    assert coefficients["motheduc"] == pytest.approx(unrestricted.params["motheduc"], rel=1e-8)
    assert coefficients["fatheduc"] == pytest.approx(unrestricted.params["fatheduc"], rel=1e-8)


def test_mroz_2sls_and_ols_against_direct_computation(women: pd.DataFrame) -> None:
    table = iv_estimates(women, "lwage", "educ", ["motheduc", "fatheduc"], MROZ_EXOG)
    exog = sm.add_constant(women[MROZ_EXOG]).to_numpy()
    z = np.column_stack([exog, women[["motheduc", "fatheduc"]].to_numpy()])
    x = np.column_stack([exog, women["educ"].to_numpy()])
    x_hat = z @ np.linalg.lstsq(z, x, rcond=None)[0]
    beta = np.linalg.solve(x_hat.T @ x, x_hat.T @ women["lwage"].to_numpy())
    assert row(table, "2sls")["estimate"] == pytest.approx(beta[-1], rel=1e-10)
    ols = sm.OLS(women["lwage"], sm.add_constant(women[[*MROZ_EXOG, "educ"]])).fit()
    assert row(table, "ols")["estimate"] == pytest.approx(ols.params["educ"], rel=1e-10)
    assert row(table, "ols")["std_error"] == pytest.approx(ols.bse["educ"], rel=1e-8)
    assert row(table, "ols")["p_value"] == pytest.approx(ols.pvalues["educ"], rel=1e-6, abs=1e-12)
    assert np.isnan(row(table, "ols")["first_stage_f"]) and pd.isna(row(table, "ols")["overid_test"])


def test_mroz_robust_and_clustered(women: pd.DataFrame) -> None:
    robust = row(iv_estimates(women, "lwage", "educ", ["motheduc", "fatheduc"], MROZ_EXOG, robust=True), "2sls")
    reference = IV2SLS(women["lwage"], sm.add_constant(women[MROZ_EXOG]), women["educ"],
                       women[["motheduc", "fatheduc"]]).fit(cov_type="robust", debiased=True)
    assert robust["covariance"] == "robust" and robust["first_stage_f_kind"] == "robust_wald_f"
    assert robust["std_error"] == pytest.approx(reference.std_errors["educ"], rel=1e-10)
    assert robust["overid_test"] == "wooldridge_score"
    assert robust["overid_statistic"] == pytest.approx(reference.wooldridge_overid.stat, rel=1e-10)
    # The cluster-robust score test with every observation its own cluster is the heteroskedasticity-robust one.
    singletons = women.assign(cell=np.arange(len(women)))
    own = row(iv_estimates(singletons, "lwage", "educ", ["motheduc", "fatheduc"], MROZ_EXOG, cluster="cell"), "2sls")
    assert own["overid_test"] == "wooldridge_score_clustered"
    assert own["overid_statistic"] == pytest.approx(robust["overid_statistic"], rel=1e-8)
    grouped = women.assign(cell=np.arange(len(women)) % 40)
    clustered = row(iv_estimates(grouped, "lwage", "educ", ["motheduc", "fatheduc"], MROZ_EXOG, cluster="cell"),
                    "2sls")
    assert clustered["covariance"] == "clustered" and clustered["n_clusters"] == 40
    assert clustered["estimate"] == pytest.approx(robust["estimate"], rel=1e-12)
    assert 0 <= clustered["overid_p_value"] <= 1 and np.isfinite(clustered["first_stage_f"])


def test_card_matches_wooldridge(card_data: pd.DataFrame) -> None:
    """Wooldridge Example 15.4 (Card 1995): educ 0.1315 (0.0550) instrumented by nearc4; first stage 0.3199."""
    table = iv_estimates(card_data, "lwage", "educ", "nearc4", CARD_EXOG)
    iv = row(table, "2sls")
    assert iv["status"] == "ok" and iv["n_observations"] == 3010
    assert iv["estimate"] == pytest.approx(0.1315, abs=5e-5)
    assert iv["std_error"] == pytest.approx(0.0550, abs=5e-5)
    assert json.loads(iv["first_stage_coefficients"]) == {"educ": {"nearc4": pytest.approx(0.3199, abs=5e-5)}}
    assert iv["first_stage_f"] > WEAK_INSTRUMENT_F and not iv["is_weak_instrument"]
    assert pd.isna(iv["overid_test"]) and np.isnan(iv["overid_statistic"]) and np.isnan(iv["overid_p_value"])
    assert row(table, "ols")["estimate"] == pytest.approx(0.0747, abs=5e-4)


# ---------------------------------------------------------------------------------------------------------------
# Simulated: effect 2, a confounder u raising both x and y, instruments that move x only.
# ---------------------------------------------------------------------------------------------------------------


def simulated(first_stage: float = 0.5, n: int = 5000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z1, z2, u, w = rng.normal(size=(4, n))
    x = first_stage * (z1 + z2) + u + 0.5 * w + rng.normal(size=n)
    y = 1.0 + 2.0 * x + 1.5 * u + 0.3 * w + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "z1": z1, "z2": z2, "w": w, "cell": np.arange(n) % 50})


def test_simulated_2sls_covers_the_truth_and_ols_is_biased() -> None:
    table = iv_estimates(simulated(), "y", "x", ["z1", "z2"], ["w"])
    iv, ols = row(table, "2sls"), row(table, "ols")
    assert iv["ci_lower"] < 2.0 < iv["ci_upper"]
    assert ols["ci_lower"] > 2.0  # confounding pushes OLS up: cov(x, u) > 0 and u raises y
    assert ols["estimate"] - 2.0 > 0.3
    assert not iv["is_weak_instrument"] and iv["overid_p_value"] > 0.01
    clustered = row(iv_estimates(simulated(), "y", "x", ["z1", "z2"], ["w"], cluster="cell"), "2sls")
    assert clustered["ci_lower"] < 2.0 < clustered["ci_upper"] and clustered["n_clusters"] == 50


def test_simulated_invalid_instrument_fails_the_overid_test() -> None:
    data = simulated()
    data["y"] = data["y"] + 0.5 * data["z2"]  # z2 now reaches y directly: exclusion violated
    for options in ({}, {"robust": True}, {"cluster": "cell"}):
        assert row(iv_estimates(data, "y", "x", ["z1", "z2"], ["w"], **options), "2sls")["overid_p_value"] < 1e-4


def test_simulated_weak_instrument_is_flagged() -> None:
    for options in ({}, {"robust": True}):
        iv = row(iv_estimates(simulated(first_stage=0.01, n=1000), "y", "x", ["z1", "z2"], ["w"], **options), "2sls")
        assert iv["status"] == "ok" and iv["first_stage_f"] < WEAK_INSTRUMENT_F and iv["is_weak_instrument"]


def test_cluster_score_overid_with_one_cluster_per_row_equals_linearmodels() -> None:
    data = simulated()
    data["const"] = 1.0
    fit = IV2SLS(data["y"], data[["const", "w"]], data["x"], data[["z1", "z2"]]).fit(cov_type="robust")
    statistic = cluster_score_overid(data, ["const", "w"], ["x"], ["z1", "z2"], fit.resids.to_numpy(),
                                     np.arange(len(data)))
    assert statistic == pytest.approx(fit.wooldridge_overid.stat, rel=1e-8)


# ---------------------------------------------------------------------------------------------------------------
# Degenerate input: rows with a status, never an exception.
# ---------------------------------------------------------------------------------------------------------------


def test_degenerate_inputs_give_a_status() -> None:
    data = simulated(n=300)
    cases = {
        "no_variation_in_instrument": dict(frame=data.assign(z1=3.0), instruments="z1"),
        "collinear_instruments": dict(frame=data.assign(z2=2 * data["z1"]), instruments=["z1", "z2"]),
        "underidentified": dict(frame=data.assign(x2=data["w"] ** 2), endogenous=["x", "x2"], instruments="z1"),
        "too_few_observations": dict(frame=data.head(3), instruments="z1"),
        "no_variation_in_endogenous": dict(frame=data.assign(x=1.0), instruments="z1"),
        "too_few_clusters": dict(frame=data.assign(cell=1), instruments="z1", cluster="cell"),
    }
    for status, case in cases.items():
        arguments = {"outcome": "y", "endogenous": "x", "exog": ["w"], **case}
        table = iv_estimates(**arguments)
        assert list(table["status"].unique()) == [status], status
        assert table["estimate"].isna().all() and list(table.columns) == RESULT_COLUMNS
    # An instrument that is an exact function of the controls has no variation of its own either.
    collinear_with_exog = iv_estimates(data.assign(z1=1 + 2 * data["w"]), "y", "x", "z1", ["w"])
    assert set(collinear_with_exog["status"]) == {"no_variation_in_instrument"}


def test_missing_rows_are_dropped_and_missing_columns_raise() -> None:
    data = simulated(n=400)
    data.loc[:9, "z1"] = np.nan
    table = iv_estimates(data, "y", "x", "z1", ["w"])
    assert set(table["n_observations"]) == {390}
    with pytest.raises(KeyError):
        iv_estimates(data, "y", "x", "nope")


@pytest.mark.parametrize("n_instruments", [1, 2])
def test_partialled_estimates_equal_linearmodels(n_instruments: int) -> None:
    """The numpy estimator of the IV mart (cross-products and cluster sums) gives iv_estimates' rows (linearmodels'
    IV2SLS, clustered, debiased) on centred data without a constant: coefficients, standard errors, intervals,
    p-values, the first-stage F and its p-value, the first-stage coefficients and the overidentification test."""
    from empathy.stats.iv import partialled_iv_estimates

    rng = np.random.default_rng(40 + n_instruments)
    n, n_clusters = 6_000, 150
    cluster = rng.integers(0, n_clusters, n)
    skill = rng.normal(size=n_clusters)[cluster]
    z = rng.normal(size=(n, 2))
    x = 0.3 * z[:, 0] + 0.2 * z[:, 1] + skill + rng.normal(size=n)
    y = 0.5 * x + skill + rng.normal(size=n) + 0.3 * rng.normal(size=n_clusters)[cluster]
    frame = pd.DataFrame({"y": y, "x": x, "z1": z[:, 0], "z2": z[:, 1], "g": cluster})
    frame.loc[::97, "y"] = np.nan  # incomplete rows are left out by both
    frame[["y", "x", "z1", "z2"]] -= frame[["y", "x", "z1", "z2"]].mean()
    instruments = ["z1", "z2"][:n_instruments]
    ours = partialled_iv_estimates(frame, "y", "x", instruments, "g", absorbed=3).set_index("estimator")
    reference = iv_estimates(frame, "y", "x", instruments, cluster="g", add_constant=False,
                             absorbed=3).set_index("estimator")
    numeric = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value", "first_stage_f", "first_stage_f_p_value",
               "overid_statistic", "overid_p_value"]
    for estimator in ("2sls", "ols"):
        np.testing.assert_allclose(ours.loc[estimator, numeric].astype(float).to_numpy(),
                                   reference.loc[estimator, numeric].astype(float).to_numpy(), rtol=1e-9, atol=1e-12)
        for column in ("n_observations", "n_clusters", "covariance", "first_stage_f_kind", "overid_test", "status",
                       "is_weak_instrument"):
            assert ours.loc[estimator, column] == reference.loc[estimator, column] or (
                pd.isna(ours.loc[estimator, column]) and pd.isna(reference.loc[estimator, column])), column
    first, expected = (json.loads(t.loc["2sls", "first_stage_coefficients"]) for t in (ours, reference))
    for name in instruments:
        assert first["x"][name] == pytest.approx(expected["x"][name], rel=1e-9)
    constant = frame.assign(z1=1.0)
    assert partialled_iv_estimates(constant, "y", "x", ["z1"], "g")["status"].eq(
        iv_estimates(constant, "y", "x", ["z1"], cluster="g", add_constant=False)["status"]).all()
