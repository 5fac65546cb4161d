"""Validation of ``empathy.stats.survival`` against lifelines on its bundled Rossi data, degenerate inputs and a simulation.

No network: ``lifelines.datasets.load_rossi`` reads a CSV shipped inside the lifelines package.
"""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.datasets import load_rossi
from lifelines.fitters.coxph_fitter import SemiParametricPHFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import restricted_mean_survival_time

from empathy.stats import survival

ROSSI_COVARIATES = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
# Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival Data in R" (Rossi recidivism, Efron ties).
ROSSI_PUBLISHED = {
    "fin": -0.379, "age": -0.057, "race": 0.314, "wexp": -0.150, "mar": -0.434, "paro": -0.085, "prio": 0.091,
}  # fmt: skip


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    path = resources.files("lifelines") / "datasets" / "rossi.csv"
    assert path.is_file(), "lifelines' bundled rossi.csv is missing (the test never downloads)"
    data = load_rossi()
    assert data.shape == (432, 9)
    return data


@pytest.fixture(scope="module")
def rossi_cells(rossi: pd.DataFrame) -> pd.DataFrame:
    """Rossi collapsed to (fin, week, arrest, n) cells, as the SQL side would send them."""
    cells = rossi.groupby(["fin", "week", "arrest"]).size().rename("n").reset_index()
    assert len(cells) < len(rossi) / 2
    return cells


def _table(result: survival.CoxResult) -> pd.DataFrame:
    return result.table.set_index("covariate")


# ------------------------------------------------------------------------------------------------- Cox: Rossi


def test_fit_cox_reproduces_the_published_rossi_model(rossi: pd.DataFrame) -> None:
    result = survival.fit_cox(rossi, "week", "arrest", ROSSI_COVARIATES)
    table = _table(result)
    assert result.status == "ok"
    assert list(table.index) == ROSSI_COVARIATES
    assert (table["status"] == "ok").all()
    for name, coef in ROSSI_PUBLISHED.items():
        assert round(table.loc[name, "coef"], 3) == coef, name
        assert table.loc[name, "hazard_ratio"] == pytest.approx(np.exp(table.loc[name, "coef"]), rel=1e-12)
    # published: exp(coef) fin 0.684, prio 1.096; se(fin) 0.191; concordance 0.64; log-likelihood -658.75
    assert table.loc["fin", "hazard_ratio"] == pytest.approx(0.684, abs=5e-4)
    assert table.loc["prio", "hazard_ratio"] == pytest.approx(1.096, abs=5e-4)
    assert table.loc["fin", "se"] == pytest.approx(0.191, abs=5e-4)
    assert result.concordance == pytest.approx(0.640, abs=5e-3)
    assert result.log_likelihood == pytest.approx(-658.748, abs=1e-3)
    assert (result.n, result.events) == (432, 114)
    assert (table["n"] == 432).all() and (table["events"] == 114).all()
    lo, hi = table.loc["fin", ["hr_ci_lower", "hr_ci_upper"]]
    assert (lo, hi) == pytest.approx((0.470, 0.996), abs=5e-4)


def test_fit_cox_matches_lifelines_summary_and_ph_test(rossi: pd.DataFrame) -> None:
    result = survival.fit_cox(rossi, "week", "arrest", ROSSI_COVARIATES, ph_alpha=0.05)
    table = _table(result)
    reference = CoxPHFitter().fit(rossi, "week", "arrest")
    summary = reference.summary
    np.testing.assert_allclose(table["coef"], summary["coef"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["se"], summary["se(coef)"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["p"], summary["p"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(table["hr_ci_lower"], summary["exp(coef) lower 95%"], rtol=1e-9)
    np.testing.assert_allclose(table["hr_ci_upper"], summary["exp(coef) upper 95%"], rtol=1e-9)
    ph = proportional_hazard_test(reference, rossi, time_transform="rank").summary.loc[table.index]
    np.testing.assert_allclose(table["ph_statistic"], ph["test_statistic"], rtol=1e-9)
    np.testing.assert_allclose(table["ph_p"], ph["p"], rtol=1e-9)
    # the lifelines docs' check_assumptions on Rossi: age and wexp violate proportional hazards (rank transform)
    assert set(table.index[table["ph_violated"]]) == {"age", "wexp"}
    assert set(_table(survival.fit_cox(rossi, "week", "arrest", ROSSI_COVARIATES, ph_alpha=0.001)).query(
        "ph_violated").index) == {"age"}  # fmt: skip


@pytest.mark.parametrize("case", ["robust", "cluster", "weights"])
def test_robust_standard_errors_match_lifelines(rossi: pd.DataFrame, case: str) -> None:
    data = rossi.assign(cid=np.arange(len(rossi)) // 3, w=np.random.default_rng(3).integers(1, 4, len(rossi)))
    kwargs: dict = {"robust": True}
    lifelines_kwargs: dict = {"robust": True}
    columns = [*ROSSI_COVARIATES, "week", "arrest"]
    if case == "cluster":
        kwargs, lifelines_kwargs, columns = {"cluster_col": "cid"}, {"cluster_col": "cid", "robust": True}, [
            *columns, "cid"]  # fmt: skip
    if case == "weights":
        kwargs["weights_col"] = lifelines_kwargs["weights_col"] = "w"
        columns = [*columns, "w"]
    result = survival.fit_cox(data, "week", "arrest", ROSSI_COVARIATES, **kwargs)
    reference = CoxPHFitter().fit(data[columns], "week", "arrest", **lifelines_kwargs)
    table = _table(result)
    np.testing.assert_allclose(table["coef"], reference.params_, atol=1e-9)
    np.testing.assert_allclose(table["se"], reference.standard_errors_, atol=1e-9)
    np.testing.assert_allclose(table["p"], reference.summary["p"], atol=1e-9)
    assert "robust" in result.fit_kwargs["variance"]
    if case == "cluster":  # clustering by 3-row groups must change the standard errors
        plain = _table(survival.fit_cox(data, "week", "arrest", ROSSI_COVARIATES, robust=True))
        assert not np.allclose(plain["se"], table["se"], atol=1e-4)


def test_fit_cox_uses_lifelines_batch_algorithm(rossi: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for kind in ("batch", "single"):
        original = getattr(SemiParametricPHFitter, f"_get_efron_values_{kind}")

        def spy(self, *args, _original=original, _kind=kind, **kwargs):
            calls.append(_kind)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(SemiParametricPHFitter, f"_get_efron_values_{kind}", spy)
    # with batch_mode=None lifelines' own rule picks "single" on Rossi: the spy can tell the two apart
    CoxPHFitter().fit(rossi, "week", "arrest")
    assert set(calls) == {"single"}
    calls.clear()
    result = survival.fit_cox(rossi, "week", "arrest", ROSSI_COVARIATES)
    assert calls and set(calls) == {"batch"}
    assert result.fit_kwargs["fit"]["batch_mode"] is True
    assert result.fitter is not None and result.fitter._batch_mode is True


def test_categorical_covariates_are_one_hot_encoded_against_a_reference(rossi: pd.DataFrame) -> None:
    data = rossi.assign(plan=np.select([rossi.prio > 3, rossi.prio > 1], ["pro", "basic"], "free"))
    table = _table(survival.fit_cox(data, "week", "arrest", ["fin", "plan"]))
    assert list(table.index) == ["fin", "plan[free]", "plan[pro]"]  # default: first level in sorted order
    assert (table.loc[["plan[free]", "plan[pro]"], "reference_level"] == "basic").all()
    dummies = data.assign(**{"plan[basic]": (data.plan == "basic") * 1.0, "plan[pro]": (data.plan == "pro") * 1.0})
    reference = CoxPHFitter().fit(dummies[["week", "arrest", "fin", "plan[basic]", "plan[pro]"]], "week", "arrest")
    custom = _table(survival.fit_cox(data, "week", "arrest", ["fin", "plan"], reference_levels={"plan": "free"}))
    assert list(custom.index) == ["fin", "plan[basic]", "plan[pro]"]
    np.testing.assert_allclose(custom["coef"], reference.params_, atol=1e-9)


# ------------------------------------------------------------------------------------------------- Cox: degenerate


def test_fit_cox_without_events_returns_status_rows(rossi: pd.DataFrame) -> None:
    result = survival.fit_cox(rossi.assign(arrest=0), "week", "arrest", ROSSI_COVARIATES)
    assert result.status == "no_events"
    assert (result.table["status"] == "no_events").all() and len(result.table) == len(ROSSI_COVARIATES)
    assert result.table["coef"].isna().all()


def test_fit_cox_drops_a_constant_covariate_and_says_so(rossi: pd.DataFrame) -> None:
    data = rossi.assign(const=1.0, one_plan="basic")
    result = survival.fit_cox(data, "week", "arrest", [*ROSSI_COVARIATES, "const", "one_plan"])
    table = _table(result)
    assert result.status == "ok"
    assert table.loc["const", "status"] == "dropped: no variance"
    assert table.loc["one_plan", "status"].startswith("dropped: no variance")
    assert table.loc[["const", "one_plan"], "coef"].isna().all()
    assert any("const" in m for m in result.messages)
    assert round(table.loc["fin", "coef"], 3) == ROSSI_PUBLISHED["fin"]  # the rest of the model is unaffected


def test_fit_cox_flags_a_perfectly_separating_covariate() -> None:
    rng = np.random.default_rng(0)
    n = 200
    x = rng.integers(0, 2, n)
    data = pd.DataFrame(
        {
            "x": x,
            "z": rng.normal(size=n),
            "t": np.where(x == 1, rng.integers(1, 5, n), rng.integers(6, 10, n)),
            "e": np.where(x == 1, 1, 0),  # every x=1 churns before any x=0 is even at risk of an event
        }
    )
    result = survival.fit_cox(data, "t", "e", ["x", "z"])
    table = _table(result)
    assert result.status.startswith("warning")
    assert table.loc["x", "status"].startswith("warning: possible separation")
    assert table.loc["z", "status"] == "ok"


def test_fit_cox_reports_non_convergence_instead_of_raising(rossi: pd.DataFrame) -> None:
    data = rossi.assign(fin_copy=rossi["fin"])  # perfectly collinear: singular information matrix
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak out either
        result = survival.fit_cox(data, "week", "arrest", ["fin", "fin_copy", "age"])
    assert result.status.startswith("error: ConvergenceError")
    assert (result.table["status"] == result.status).all() and result.table["coef"].isna().all()
    assert list(result.table["covariate"]) == ["fin", "fin_copy", "age"]


def test_fit_cox_on_empty_or_malformed_input_never_raises(rossi: pd.DataFrame) -> None:
    assert survival.fit_cox(rossi.iloc[:0], "week", "arrest", ["fin"]).status == "no_data"
    assert survival.fit_cox(rossi, "week", "arrest", ["nope"]).status.startswith("error: missing columns")
    nan_rows = rossi.astype({"age": float}).assign(age=lambda d: d.age.where(d.index % 10 != 0))
    result = survival.fit_cox(nan_rows, "week", "arrest", ["fin", "age"])
    assert result.status == "ok" and result.n == 432 - 44
    assert any("missing values" in m for m in result.messages)


# ------------------------------------------------------------------------------------------------- Cox: simulation


def test_planted_hazard_ratio_is_recovered() -> None:
    """Exponential hazard 1/365 per day, exposure HR 0.7, uniform entry, administrative censoring at 2 years."""
    rng = np.random.default_rng(20240601)
    n = 20_000
    exposed = rng.integers(0, 2, n)
    tenure = rng.normal(0, 1, n)
    hazard = np.exp(np.log(1 / 365) + np.log(0.7) * exposed + 0.2 * tenure)
    churn_day = rng.exponential(1 / hazard)
    follow_up = rng.uniform(30, 730, n)  # build date minus origin date
    data = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "days": np.ceil(np.minimum(churn_day, follow_up)),
            "churned": (churn_day <= follow_up).astype(int),
            "exposed": exposed,
            "tenure": tenure,
        }
    )
    result = survival.fit_cox(data, "days", "churned", ["exposed", "tenure"], cluster_col="customer_id")
    row = _table(result).loc["exposed"]
    assert result.status == "ok"
    assert row["hr_ci_lower"] < 0.7 < row["hr_ci_upper"]
    assert row["hr_ci_upper"] - row["hr_ci_lower"] < 0.1
    assert _table(result).loc["tenure", "coef"] == pytest.approx(0.2, abs=0.05)


# ------------------------------------------------------------------------------------------------- Kaplan–Meier


def test_kaplan_meier_on_cells_equals_lifelines_on_rows(rossi: pd.DataFrame, rossi_cells: pd.DataFrame) -> None:
    km = survival.kaplan_meier(rossi_cells, ["fin"], time_col="week", event_col="arrest", count_col="n")
    assert list(km.columns) == ["fin", *survival.KM_COLUMNS]
    assert (km["status"] == "ok").all()
    for fin in (0, 1):
        raw = rossi[rossi.fin == fin]
        kmf = KaplanMeierFitter().fit(raw.week, raw.arrest)
        ours = km[km.fin == fin].set_index("time")
        assert list(ours.index) == list(kmf.survival_function_.index)
        np.testing.assert_allclose(ours["survival"], kmf.survival_function_["KM_estimate"], rtol=0, atol=1e-9)
        ci = kmf.confidence_interval_survival_function_
        np.testing.assert_allclose(ours["ci_lower"], ci.iloc[:, 0], rtol=0, atol=1e-9)
        np.testing.assert_allclose(ours["ci_upper"], ci.iloc[:, 1], rtol=0, atol=1e-9)
        np.testing.assert_array_equal(ours["at_risk"], kmf.event_table["at_risk"])
        np.testing.assert_array_equal(ours["events"], kmf.event_table["observed"])
        np.testing.assert_array_equal(ours["censored"], kmf.event_table["censored"])


def test_kaplan_meier_degenerate_groups(rossi_cells: pd.DataFrame) -> None:
    cells = pd.concat([rossi_cells, pd.DataFrame({"fin": [2, 2], "week": [10, 52], "arrest": [0, 0], "n": [3, 4]})])
    km = survival.kaplan_meier(cells, ["fin"], time_col="week", event_col="arrest")
    flat = km[km.fin == 2]
    assert (flat["status"] == "no_events").all() and (flat["survival"] == 1).all()
    assert survival.kaplan_meier(cells.iloc[:0], ["fin"], "week", "arrest")["status"].tolist() == ["no_data"]
    assert survival.kaplan_meier(cells, ["nope"], "week", "arrest")["status"].iloc[0].startswith("error")
    bad = cells.assign(n=lambda d: d.n.where(d.week != 52, 0))
    assert survival.kaplan_meier(bad, [], "week", "arrest")["status"].iloc[0].startswith("ok; ")


# ------------------------------------------------------------------------------------------------- log-rank


def test_logrank_on_cells_equals_lifelines_on_rows(rossi: pd.DataFrame, rossi_cells: pd.DataFrame) -> None:
    out = survival.logrank_by_cohort(rossi_cells, None, "fin", time_col="week", event_col="arrest")
    a, b = rossi[rossi.fin == 0], rossi[rossi.fin == 1]
    expected = logrank_test(a.week, b.week, a.arrest, b.arrest)
    row = out.iloc[0]
    assert row["status"] == "ok" and row["df"] == 1 and row["groups"] == 2
    assert row["statistic"] == pytest.approx(expected.test_statistic, rel=1e-9)
    assert row["p"] == pytest.approx(expected.p_value, rel=1e-9)
    assert (row["n"], row["events"]) == (432, 114)


def test_logrank_by_cohort_with_statuses(rossi: pd.DataFrame) -> None:
    data = rossi.assign(cohort=np.where(rossi.race == 1, "a", "b"), exposure=rossi.fin.astype(str))
    data.loc[data.cohort == "b", "exposure"] = "1"  # cohort b: one exposure group only
    extra = pd.DataFrame({"cohort": "c", "exposure": ["0", "1"], "week": [52, 52], "arrest": [0, 0]})
    out = survival.logrank_by_cohort(
        pd.concat([data, extra]), "cohort", "exposure", time_col="week", event_col="arrest", count_col=None
    ).set_index("cohort")
    assert out.loc["b", "status"] == "one_group_only" and np.isnan(out.loc["b", "statistic"])
    assert out.loc["c", "status"] == "no_events"
    a = data[data.cohort == "a"]
    expected = multivariate_logrank_test(a.week, a.exposure, a.arrest)
    assert out.loc["a", "status"] == "ok"
    assert out.loc["a", "statistic"] == pytest.approx(expected.test_statistic, rel=1e-9)
    three = rossi.assign(g=rossi.prio.clip(upper=2))
    wide = survival.logrank_by_cohort(three, None, "g", "week", "arrest", count_col=None).iloc[0]
    assert wide["df"] == 2 and wide["statistic"] == pytest.approx(
        multivariate_logrank_test(three.week, three.g, three.arrest).test_statistic, rel=1e-9)  # fmt: skip


# ------------------------------------------------------------------------------------------------- RMST


def test_rmst_equals_lifelines_and_difference_is_consistent(rossi: pd.DataFrame, rossi_cells: pd.DataFrame) -> None:
    out = survival.rmst_difference(rossi_cells, "fin", tau=40, time_col="week", event_col="arrest").set_index("group")
    for fin in (0, 1):
        raw = rossi[rossi.fin == fin]
        kmf = KaplanMeierFitter().fit(raw.week, raw.arrest)
        assert out.loc[fin, "rmst"] == pytest.approx(restricted_mean_survival_time(kmf, t=40), rel=1e-12)
        assert out.loc[fin, "status"] == "ok"
    diff = out.loc[1, "rmst"] - out.loc[0, "rmst"]
    se = np.hypot(out.loc[0, "rmst_se"], out.loc[1, "rmst_se"])
    assert out.loc[1, "diff"] == pytest.approx(diff) and out.loc[1, "diff_se"] == pytest.approx(se)
    assert out.loc[1, "diff_ci_lower"] == pytest.approx(diff - 1.959964 * se, rel=1e-6)
    assert np.isnan(out.loc[0, "diff"]) and out.loc[1, "reference_group"] == 0
    default_tau = survival.rmst_difference(rossi_cells, "fin", time_col="week", event_col="arrest")
    assert (default_tau["tau"] == 52).all()


def test_rmst_standard_error_without_censoring_is_that_of_a_mean() -> None:
    """Without censoring the KM restricted mean is the sample mean of min(T, tau): its SE is sd(ddof=0)/sqrt(n)."""
    rng = np.random.default_rng(1)
    t = rng.exponential(10, 300).round(1)
    out = survival.rmst_difference(
        pd.DataFrame({"t": t, "e": 1, "g": "a"}), "g", tau=8, time_col="t", event_col="e", count_col=None
    )
    restricted = np.minimum(t, 8)
    assert out["rmst"].iloc[0] == pytest.approx(restricted.mean(), rel=1e-12)
    assert out["rmst_se"].iloc[0] == pytest.approx(restricted.std() / np.sqrt(len(t)), rel=1e-9)
    assert out["status"].iloc[0] == "one_group_only"


def test_rmst_degenerate_statuses(rossi_cells: pd.DataFrame) -> None:
    out = survival.rmst_difference(
        rossi_cells.assign(arrest=0), "fin", tau=60, time_col="week", event_col="arrest"
    ).set_index("group")
    assert out.loc[0, "status"].startswith("warning: tau beyond follow-up")
    assert out.loc[0, "rmst"] == pytest.approx(60) and out.loc[0, "rmst_se"] == 0
    no_events = survival.rmst_difference(rossi_cells.assign(arrest=0), "fin", time_col="week", event_col="arrest")
    assert (no_events["status"] == "no_events").all()
    assert survival.rmst_difference(rossi_cells.iloc[:0], "fin", 10, "week", "arrest")["status"].tolist() == [
        "no_data"]  # fmt: skip


# ------------------------------------------------------------------------------------------------- retention


def test_time_varying_cox_reproduces_r_coxph_on_stanford_heart() -> None:
    """R survival::coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart) gives
    age 0.0272, year -0.1463, surgery -0.6372, transplant -0.0103 (se 0.0137, 0.0705, 0.3672, 0.3138)."""
    from lifelines.datasets import load_stanford_heart_transplants

    from empathy.stats.survival import fit_cox_time_varying

    heart = load_stanford_heart_transplants()
    table = fit_cox_time_varying(heart, "id", "start", "stop", "event", ["age", "year", "surgery", "transplant"])
    by_term = table.set_index("covariate")
    published = {"age": (0.0272, 0.0137), "year": (-0.1463, 0.0705), "surgery": (-0.6372, 0.3672),
                 "transplant": (-0.0103, 0.3138)}
    for term, (coef, se) in published.items():
        assert round(by_term.loc[term, "coef"], 4) == coef, term
        assert round(by_term.loc[term, "se"], 4) == se, term
    assert set(table["status"]) == {"ok"}
    assert table["customers"].iloc[0] == heart["id"].nunique() and table["events"].iloc[0] == heart["event"].sum()


def test_time_varying_cox_degenerate_inputs_return_statuses() -> None:
    from lifelines.datasets import load_stanford_heart_transplants

    from empathy.stats.survival import fit_cox_time_varying

    heart = load_stanford_heart_transplants()
    no_events = fit_cox_time_varying(heart.assign(event=0), "id", "start", "stop", "event", ["age", "year"])
    assert set(no_events["status"]) == {"no_events"} and no_events["coef"].isna().all()
    constant = fit_cox_time_varying(heart.assign(site="a"), "id", "start", "stop", "event", ["age", "site"])
    assert constant.set_index("covariate").loc["age", "status"] == "ok"
    assert constant["status"].str.startswith("dropped").any()


def test_time_varying_cox_flags_separation() -> None:
    from lifelines.datasets import load_stanford_heart_transplants

    from empathy.stats.survival import fit_cox_time_varying

    heart = load_stanford_heart_transplants()
    # a covariate equal to the event indicator of the episode separates the outcome perfectly
    table = fit_cox_time_varying(heart.assign(leak=heart["event"]), "id", "start", "stop", "event", ["age", "leak"])
    status = table.set_index("covariate")["status"]
    assert status["leak"].startswith(("warning: possible separation", "error"))


def test_vectorised_efron_fit_equals_lifelines_on_tied_start_stop_data() -> None:
    """Many rows per subject, heavily tied integer times, a count and a continuous covariate: the vectorised fit
    equals lifelines' CoxTimeVaryingFitter."""
    from lifelines import CoxTimeVaryingFitter

    from empathy.stats.survival import efron_counting_process_fit

    rng = np.random.default_rng(11)
    subjects, pieces = 400, 4
    ids = np.repeat(np.arange(subjects), pieces)
    start = np.tile(np.arange(pieces) * 10, subjects).astype(float)
    stop = start + rng.integers(1, 11, size=subjects * pieces)
    dose = np.cumsum(rng.poisson(0.5, size=subjects * pieces).reshape(subjects, pieces), axis=1).ravel()
    age = np.repeat(rng.normal(size=subjects), pieces)
    event = np.zeros(subjects * pieces, bool)
    last = np.arange(subjects) * pieces + pieces - 1
    event[last] = rng.random(subjects) < 0.6
    frame = pd.DataFrame({"id": ids, "start": start, "stop": stop, "event": event, "dose": dose, "age": age})
    beta, se, loglik = efron_counting_process_fit(start, stop, event, frame[["dose", "age"]].to_numpy(float))
    reference = CoxTimeVaryingFitter().fit(frame, id_col="id", event_col="event", start_col="start", stop_col="stop")
    np.testing.assert_allclose(beta, reference.params_[["dose", "age"]].to_numpy(), atol=1e-7)
    # lifelines stops at its own tolerance, so its SEs are evaluated at a slightly different point
    np.testing.assert_allclose(se, reference.standard_errors_[["dose", "age"]].to_numpy(), rtol=1e-5)
    assert loglik == pytest.approx(reference.log_likelihood_, abs=1e-8)
