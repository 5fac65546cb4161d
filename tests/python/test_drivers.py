"""Key-driver analysis (empathy/stats/drivers.py): LMG against R relaimpo's published mtcars numbers and a brute-force
average over orderings, relative weights against an independent SVD computation, weights against statsmodels WLS and
row duplication, the bootstrap, and the statuses of degenerate input."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from empathy.stats.drivers import (COLUMNS, METHODS, R_SQUARED_INDEX, STATUSES, bootstrap_importance, driver_table,
                                   lmg_importance, relative_weights)

# R datasets::mtcars, columns mpg, cyl, vs, am (32 cars, in R's row order)
MTCARS = [
    ("Mazda RX4", 21.0, 6, 0, 1), ("Mazda RX4 Wag", 21.0, 6, 0, 1), ("Datsun 710", 22.8, 4, 1, 1),
    ("Hornet 4 Drive", 21.4, 6, 1, 0), ("Hornet Sportabout", 18.7, 8, 0, 0), ("Valiant", 18.1, 6, 1, 0),
    ("Duster 360", 14.3, 8, 0, 0), ("Merc 240D", 24.4, 4, 1, 0), ("Merc 230", 22.8, 4, 1, 0),
    ("Merc 280", 19.2, 6, 1, 0), ("Merc 280C", 17.8, 6, 1, 0), ("Merc 450SE", 16.4, 8, 0, 0),
    ("Merc 450SL", 17.3, 8, 0, 0), ("Merc 450SLC", 15.2, 8, 0, 0), ("Cadillac Fleetwood", 10.4, 8, 0, 0),
    ("Lincoln Continental", 10.4, 8, 0, 0), ("Chrysler Imperial", 14.7, 8, 0, 0), ("Fiat 128", 32.4, 4, 1, 1),
    ("Honda Civic", 30.4, 4, 1, 1), ("Toyota Corolla", 33.9, 4, 1, 1), ("Toyota Corona", 21.5, 4, 1, 0),
    ("Dodge Challenger", 15.5, 8, 0, 0), ("AMC Javelin", 15.2, 8, 0, 0), ("Camaro Z28", 13.3, 8, 0, 0),
    ("Pontiac Firebird", 19.2, 8, 0, 0), ("Fiat X1-9", 27.3, 4, 1, 1), ("Porsche 914-2", 26.0, 4, 0, 1),
    ("Lotus Europa", 30.4, 4, 1, 1), ("Ford Pantera L", 15.8, 8, 0, 1), ("Ferrari Dino", 19.7, 6, 0, 1),
    ("Maserati Bora", 15.0, 8, 0, 1), ("Volvo 142E", 21.4, 4, 1, 1),
]


@pytest.fixture
def mtcars() -> pd.DataFrame:
    frame = pd.DataFrame(MTCARS, columns=["car", "mpg", "cyl", "vs", "am"])
    # known summaries of mtcars, guarding the data entry
    assert len(frame) == 32 and frame["mpg"].sum() == pytest.approx(642.9)
    assert frame["cyl"].value_counts().to_dict() == {8: 14, 4: 11, 6: 7}
    assert frame["vs"].sum() == 14 and frame["am"].sum() == 13
    return frame


def _r_squared(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> float:
    """R² of the (weighted) least-squares regression of y on X with an intercept, by statsmodels; 0 for no X."""
    if X.shape[1] == 0:
        return 0.0
    w = np.ones(len(y)) if w is None else w
    return float(sm.WLS(y, sm.add_constant(X, has_constant="add"), weights=w).fit().rsquared)


def _lmg_by_orderings(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """LMG by definition: for every ordering of the columns, the increase in R² as each joins, averaged."""
    p = X.shape[1]
    cache: dict[frozenset, float] = {}

    def r2(subset: frozenset) -> float:
        if subset not in cache:
            cache[subset] = _r_squared(X[:, sorted(subset)], y)
        return cache[subset]

    total = np.zeros(p)
    for order in itertools.permutations(range(p)):
        before: frozenset = frozenset()
        for j in order:
            total[j] += r2(before | {j}) - r2(before)
            before = before | {j}
    return total / math.factorial(p)


def _correlated(rng: np.random.Generator, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    mixing = rng.normal(size=(p, p)) * 0.6 + np.eye(p)
    X = rng.normal(size=(n, p)) @ mixing
    y = X @ rng.normal(size=p) + rng.normal(scale=2.0, size=n)
    return X, y


# --- LMG ----------------------------------------------------------------------------------------------------------

def test_lmg_mtcars_matches_relaimpo(mtcars):
    """relaimpo: calc.relimp(mpg ~ am + vs + cyl, data = mtcars, type = "lmg"): R² 0.762, am 0.1775, vs 0.2027,
    cyl 0.3818."""
    r2, shares = lmg_importance(mtcars[["am", "vs", "cyl"]].to_numpy(), mtcars["mpg"].to_numpy())
    assert r2 == pytest.approx(0.762, abs=5e-4)
    assert shares == pytest.approx([0.1775, 0.2027, 0.3818], abs=1e-3)
    assert shares.sum() == pytest.approx(r2, abs=1e-12)
    assert r2 == pytest.approx(_r_squared(mtcars[["am", "vs", "cyl"]].to_numpy(), mtcars["mpg"].to_numpy()), abs=1e-12)


def test_lmg_equals_average_over_orderings():
    rng = np.random.default_rng(7)
    X, y = _correlated(rng, 300, 5)
    r2, shares = lmg_importance(X, y)
    assert r2 == pytest.approx(_r_squared(X, y), abs=1e-12)
    assert shares == pytest.approx(_lmg_by_orderings(X, y), abs=1e-10)


def test_weighted_r_squared_equals_wls_and_frequency_weights_equal_duplication():
    rng = np.random.default_rng(11)
    X, y = _correlated(rng, 200, 4)
    w = rng.uniform(0.2, 3.0, 200)
    r2, shares = lmg_importance(X, y, w)
    assert r2 == pytest.approx(_r_squared(X, y, w), abs=1e-12)
    assert shares.sum() == pytest.approx(r2, abs=1e-12)
    assert r2 != pytest.approx(lmg_importance(X, y)[0], abs=1e-4)  # the weights matter
    rw_r2, _ = relative_weights(X, y, w)
    assert rw_r2 == pytest.approx(r2, abs=1e-12)

    counts = rng.integers(1, 5, 200)
    dup = np.repeat(np.arange(200), counts)
    for method in (lmg_importance, relative_weights):
        r2_freq, freq = method(X, y, counts.astype(float))
        r2_dup, dupl = method(X[dup], y[dup])
        assert r2_freq == pytest.approx(r2_dup, abs=1e-12)
        assert freq == pytest.approx(dupl, abs=1e-12)


def test_constant_column_gets_zero_and_changes_nothing_else():
    rng = np.random.default_rng(3)
    X, y = _correlated(rng, 150, 3)
    with_constant = np.column_stack([X[:, 0], np.full(150, 0.1), X[:, 1:]])
    r2, shares = lmg_importance(X, y)
    r2_c, shares_c = lmg_importance(with_constant, y)
    assert shares_c[1] == 0.0
    assert r2_c == pytest.approx(r2, abs=1e-12)
    assert np.delete(shares_c, 1) == pytest.approx(shares, abs=1e-12)
    rw_r2, rw = relative_weights(with_constant, y)
    assert rw[1] == pytest.approx(0.0, abs=1e-12) and rw_r2 == pytest.approx(r2, abs=1e-12)
    assert np.delete(rw, 1) == pytest.approx(relative_weights(X, y)[1], abs=1e-10)


def test_perfectly_collinear_columns_share_credit():
    rng = np.random.default_rng(5)
    X, y = _correlated(rng, 150, 2)
    doubled = np.column_stack([X[:, 0], X[:, 1], 2.0 * X[:, 0] - 1.0])
    r2, shares = lmg_importance(doubled, y)
    assert r2 == pytest.approx(_r_squared(X, y), abs=1e-10)
    assert shares.sum() == pytest.approx(r2, abs=1e-10)
    assert shares[0] == pytest.approx(shares[2], abs=1e-12)  # exact substitutes are symmetric players
    rw_r2, rw = relative_weights(doubled, y)
    assert rw_r2 == pytest.approx(r2, abs=1e-10) and rw.sum() == pytest.approx(r2, abs=1e-10)
    assert rw[0] == pytest.approx(rw[2], abs=1e-10)


def test_constant_outcome_gives_nan():
    X = np.random.default_rng(0).normal(size=(20, 2))
    for method in (lmg_importance, relative_weights):
        r2, shares = method(X, np.full(20, 4.0))
        assert np.isnan(r2) and np.isnan(shares).all()


# --- relative weights ---------------------------------------------------------------------------------------------

def _relative_weights_by_svd(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson (2000) written the other way: Z (standardised X / sqrt(n)) = P Δ Q', its closest orthonormal
    counterpart Z* = P Q', Z = Z* Λ with Λ = Q Δ Q'; regress standardised y on Z* (orthonormal, so the slopes are
    Z*' y) and give each column of X the squared Λ-loadings times the squared slopes."""
    n = len(y)
    Z = (X - X.mean(0)) / X.std(0) / np.sqrt(n)
    ys = (y - y.mean()) / y.std() / np.sqrt(n)
    P, delta, Qt = np.linalg.svd(Z, full_matrices=False)
    z_star = P @ Qt
    lam = Qt.T @ np.diag(delta) @ Qt
    beta = z_star.T @ ys
    return (lam ** 2) @ (beta ** 2)


def test_relative_weights_mtcars_against_svd(mtcars):
    X, y = mtcars[["am", "vs", "cyl"]].to_numpy(float), mtcars["mpg"].to_numpy()
    r2, eps = relative_weights(X, y)
    assert eps == pytest.approx(_relative_weights_by_svd(X, y), abs=1e-10)
    assert eps.sum() == pytest.approx(r2, abs=1e-12)
    assert r2 == pytest.approx(_r_squared(X, y), abs=1e-12)
    assert np.abs(eps - lmg_importance(X, y)[1]).max() > 0.01  # correlated drivers: the methods differ


def test_relative_weights_correlated_random_against_svd():
    rng = np.random.default_rng(21)
    X, y = _correlated(rng, 400, 6)
    r2, eps = relative_weights(X, y)
    assert eps == pytest.approx(_relative_weights_by_svd(X, y), abs=1e-10)
    assert eps.sum() == pytest.approx(_r_squared(X, y), abs=1e-10)


def test_orthogonal_drivers_relative_weights_equal_lmg_and_squared_standardised_slopes():
    design = np.array(list(itertools.product([-1.0, 1.0], repeat=3)))  # 2^3 full factorial: orthogonal columns
    X = np.tile(design, (5, 1))
    rng = np.random.default_rng(2)
    y = X @ np.array([1.5, -0.7, 0.3]) + rng.normal(size=len(X))
    assert np.abs(np.corrcoef(X, rowvar=False) - np.eye(3)).max() < 1e-12
    r2_lmg, lmg = lmg_importance(X, y)
    r2_rw, rw = relative_weights(X, y)
    standardized = sm.OLS((y - y.mean()) / y.std(), sm.add_constant((X - X.mean(0)) / X.std(0))).fit().params[1:]
    assert rw == pytest.approx(lmg, abs=1e-12)
    assert rw == pytest.approx(standardized ** 2, abs=1e-12)
    assert r2_rw == pytest.approx(r2_lmg, abs=1e-12)


# --- bootstrap ----------------------------------------------------------------------------------------------------

def _synthetic(n: int = 2000, seed: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X, y = _correlated(rng, n, 4)
    return X, y, rng.uniform(0.5, 2.0, n)


def test_bootstrap_same_seed_same_frame_and_point_estimates():
    X, y, w = _synthetic(500)
    first = bootstrap_importance(X, y, w, n_boot=50, seed=9)
    pd.testing.assert_frame_equal(first, bootstrap_importance(X, y, w, n_boot=50, seed=9))
    assert not first.equals(bootstrap_importance(X, y, w, n_boot=50, seed=10))
    assert list(first.columns) == ["method", "driver_index", "estimate", "std_error", "ci_lower", "ci_upper",
                                   "share_of_r_squared", "rank"]
    for method, point in (("lmg", lmg_importance(X, y, w)), ("relative_weights", relative_weights(X, y, w))):
        part = first.loc[first["method"] == method].set_index("driver_index")
        assert part.loc[R_SQUARED_INDEX, "estimate"] == pytest.approx(point[0], abs=1e-12)
        assert part.loc[[0, 1, 2, 3], "estimate"].to_numpy() == pytest.approx(point[1], abs=1e-12)
        assert part.loc[[0, 1, 2, 3], "share_of_r_squared"].sum() == pytest.approx(1.0, abs=1e-12)
        order = np.argsort(-point[1])
        assert part.loc[list(order), "rank"].tolist() == [1, 2, 3, 4]
        assert pd.isna(part.loc[R_SQUARED_INDEX, "rank"])


def test_bootstrap_intervals_contain_estimates():
    X, y, w = _synthetic(2000)
    frame = bootstrap_importance(X, y, w, n_boot=200, seed=1)
    assert (frame["ci_lower"] <= frame["estimate"]).all() and (frame["estimate"] <= frame["ci_upper"]).all()
    assert (frame["std_error"] > 0).all() and (frame["std_error"] < 0.05).all()


def test_bootstrap_standard_error_close_to_analytic_for_r_squared():
    """Large-sample SD of R² for normal data, 4 R² (1 − R²)² / n (Olkin & Finn 1995), against the bootstrap SD."""
    X, y, _ = _synthetic(3000, seed=8)
    frame = bootstrap_importance(X, y, None, n_boot=400, seed=2)
    row = frame.loc[(frame["method"] == "lmg") & (frame["driver_index"] == R_SQUARED_INDEX)].iloc[0]
    analytic = np.sqrt(4 * row["estimate"] * (1 - row["estimate"]) ** 2 / 3000)
    assert row["std_error"] == pytest.approx(analytic, rel=0.2)


def test_cluster_bootstrap():
    X, y, w = _synthetic(600)
    clusters = np.repeat(np.arange(60), 10)
    clustered = bootstrap_importance(X, y, w, n_boot=100, seed=3, clusters=clusters)
    assert clustered["std_error"].notna().all()
    pd.testing.assert_frame_equal(clustered, bootstrap_importance(X, y, w, n_boot=100, seed=3, clusters=clusters))
    # one row per cluster is the row bootstrap, draw for draw
    pd.testing.assert_frame_equal(bootstrap_importance(X, y, w, n_boot=30, seed=3, clusters=np.arange(600)),
                                  bootstrap_importance(X, y, w, n_boot=30, seed=3))


def test_bootstrap_with_twelve_drivers_runs():
    rng = np.random.default_rng(0)
    X, y = _correlated(rng, 5000, 12)
    frame = bootstrap_importance(X, y, rng.uniform(0.5, 2, 5000), n_boot=200, seed=0)
    assert len(frame) == 2 * 13 and frame["std_error"].notna().all()
    lmg = frame.loc[(frame["method"] == "lmg") & (frame["driver_index"] >= 0), "estimate"]
    assert lmg.sum() == pytest.approx(frame.loc[frame["driver_index"] == R_SQUARED_INDEX, "estimate"].iloc[0])


# --- mart rows ----------------------------------------------------------------------------------------------------

def _survey(n: int = 400, seed: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    resolved = rng.random(n) < 0.6
    empathy = rng.random(n) < 0.4 + 0.2 * resolved
    wait = rng.exponential(5.0, n)
    csat = 2 + 1.5 * resolved + 0.8 * empathy - 0.1 * wait + rng.normal(size=n)
    return pd.DataFrame({"csat": csat, "is_resolved": resolved, "showed_empathy": empathy, "wait_minutes": wait,
                         "weight": rng.uniform(0.5, 2.0, n), "agent": rng.integers(0, 40, n)})


DRIVERS = ["is_resolved", "showed_empathy", "wait_minutes"]


def test_driver_table_ok():
    frame = _survey()
    out = driver_table(frame, "csat", DRIVERS, "weight", n_boot=100, seed=1, min_rows=30, cluster="agent")
    assert list(out.columns) == COLUMNS
    assert out[["method", "driver"]].apply(tuple, axis=1).tolist() == [(m, d) for m in METHODS for d in DRIVERS]
    assert (out["status"] == "ok").all()
    X = frame[DRIVERS].to_numpy(float)
    r2, lmg = lmg_importance(X, frame["csat"].to_numpy(), frame["weight"].to_numpy())
    part = out.loc[out["method"] == "lmg"]
    assert part["estimate"].to_numpy() == pytest.approx(lmg, abs=1e-12)
    assert out["r_squared"].to_numpy() == pytest.approx(np.full(6, r2), abs=1e-12)
    assert part["rank"].tolist() == (np.argsort(np.argsort(-lmg)) + 1).tolist()
    assert part["share_of_r_squared"].sum() == pytest.approx(1.0)
    share = np.average(frame["is_resolved"], weights=frame["weight"])
    assert out.loc[out["driver"] == "is_resolved", "performance"].tolist() == pytest.approx([share, share])
    assert (out["n_respondents"] == 400).all() and (out["n_rows_dropped_missing"] == 0).all()
    assert set(out["status"]) <= set(STATUSES)


def test_driver_table_counts_missing_rows():
    frame = _survey()
    frame["is_resolved"] = frame["is_resolved"].astype("boolean")
    frame.loc[[0, 1, 2], "is_resolved"] = pd.NA
    frame.loc[[2, 3], "csat"] = np.nan
    frame.loc[4, "weight"] = np.nan
    frame.loc[5, "wait_minutes"] = np.inf
    out = driver_table(frame, "csat", DRIVERS, "weight", n_boot=20, seed=1, min_rows=30)
    assert (out["n_rows_dropped_missing"] == 6).all() and (out["n_respondents"] == 394).all()
    assert (out["status"] == "ok").all()
    kept = frame.drop(index=range(6))
    r2, _ = lmg_importance(kept[DRIVERS].to_numpy(float), kept["csat"].to_numpy(), kept["weight"].to_numpy())
    assert out["r_squared"].iloc[0] == pytest.approx(r2, abs=1e-12)


def test_driver_table_too_few_rows():
    out = driver_table(_survey().head(3), "csat", DRIVERS, None, n_boot=20, seed=1, min_rows=30)
    assert len(out) == 2 * len(DRIVERS) and (out["status"] == "too_few_rows").all()
    assert out[["estimate", "std_error", "ci_lower", "ci_upper", "share_of_r_squared", "r_squared"]].isna().all().all()
    assert out["rank"].isna().all() and (out["n_respondents"] == 3).all()
    assert out["performance"].notna().all()


def test_driver_table_empty_frame():
    out = driver_table(_survey().head(0), "csat", DRIVERS, "weight", n_boot=20, seed=1, min_rows=30)
    assert len(out) == 6 and (out["status"] == "too_few_rows").all() and out["performance"].isna().all()


def test_driver_table_constant_outcome():
    frame = _survey().assign(csat=5.0)
    out = driver_table(frame, "csat", DRIVERS, "weight", n_boot=20, seed=1, min_rows=30)
    assert len(out) == 6 and (out["status"] == "constant_outcome").all()
    assert out[["estimate", "r_squared", "ci_lower"]].isna().all().all()


def test_driver_table_constant_driver():
    frame = _survey().assign(showed_empathy=True)
    out = driver_table(frame, "csat", DRIVERS, "weight", n_boot=50, seed=1, min_rows=30)
    constant = out.loc[out["driver"] == "showed_empathy"]
    assert (constant["status"] == "constant_driver").all() and (constant["estimate"] == 0.0).all()
    assert constant[["std_error", "ci_lower", "ci_upper"]].isna().all().all() and constant["rank"].isna().all()
    assert (constant["performance"] == 1.0).all()
    others = out.loc[out["driver"] != "showed_empathy"]
    assert (others["status"] == "ok").all() and others["ci_lower"].notna().all()
    assert sorted(others.loc[others["method"] == "lmg", "rank"].tolist()) == [1, 2]
    r2, _ = lmg_importance(frame[["is_resolved", "wait_minutes"]].to_numpy(float), frame["csat"].to_numpy(),
                           frame["weight"].to_numpy())
    assert others["estimate"].groupby(others["method"]).sum().to_numpy() == pytest.approx([r2, r2], abs=1e-12)


def test_driver_table_other_statuses():
    frame = _survey()
    negative = frame.assign(weight=frame["weight"] - 1.0)
    assert (driver_table(negative, "csat", DRIVERS, "weight", n_boot=5, seed=1, min_rows=30)["status"]
            == "invalid_weights").all()
    one_agent = frame.assign(agent=1)
    assert (driver_table(one_agent, "csat", DRIVERS, None, n_boot=5, seed=1, min_rows=30, cluster="agent")["status"]
            == "too_few_clusters").all()
    many = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 18)), columns=[f"d{i}" for i in range(18)])
    many["y"] = many.sum(axis=1)
    out = driver_table(many, "y", [f"d{i}" for i in range(18)], None, n_boot=5, seed=1, min_rows=30)
    assert len(out) == 36 and (out["status"] == "too_many_drivers").all()
