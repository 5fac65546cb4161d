"""Tests of the frame-based survey weighting (issue 18): the response-propensity model, inverse-propensity and
propensity-class adjustments, raking within waves to the frame's margins, the delete-a-group jackknife and the
estimate table that uses it.

References: the logistic fit against statsmodels' GLM (Binomial, var_weights); raking within waves against the
``ipfn`` package; the jackknife of a ratio estimator against a hand computation of Lohr's delete-one formula
(*Sampling: Design and Analysis*, 3rd ed. 2022, sec. 9.3.2: v_JK = (n − 1)/n Σ_j (B̂_(j) − B̂)²) and the identity
v_JK = s²/n for a mean with equal weights (Wolter 2007, ch. 4); coverage on frames simulated here, not by the demo
generator.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from empathy.stats.propensity import design_matrix, fit_response_propensity, propensity_adjust
from empathy.stats.replicates import jackknife_groups, jackknife_variance, replicate_ratio_estimates
from empathy.stats.survey_estimates import (
    WeightingPlan,
    estimate_table,
    nps_replicate_weights,
    weight_relationship_nps,
)

PLANS = np.array(["basic", "pro", "enterprise"])


def _invited(n: int = 3000, seed: int = 3) -> pd.DataFrame:
    """Invited units whose response depends on plan, tenure and a numeric covariate, with unequal design weights."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(PLANS, n, p=[0.5, 0.35, 0.15])
    tenure = rng.choice(["0-89d", "90-364d", "365d+"], n)
    contacts = rng.poisson(1.5, n).astype(float)
    logit = -1.2 + np.select([plan == "pro", plan == "enterprise"], [0.8, 0.5], 0.0) + 0.4 * (tenure == "0-89d") \
        - 0.15 * contacts
    responded = rng.random(n) < 1 / (1 + np.exp(-logit))
    probability = np.where(plan == "enterprise", 0.9, 0.4)
    return pd.DataFrame({"plan": plan, "tenure_band": tenure, "contacts": contacts, "has_responded": responded,
                         "design_weight": 1 / probability})


def test_propensity_matches_statsmodels_weighted_glm() -> None:
    invited = _invited()
    fit = fit_response_propensity(invited, ["plan", "tenure_band", "contacts"], "has_responded", "design_weight")
    assert fit.converged
    x = design_matrix(invited, ["plan", "tenure_band", "contacts"])
    reference = sm.GLM(invited["has_responded"].astype(float), x, family=sm.families.Binomial(),
                       var_weights=invited["design_weight"]).fit(tol=1e-12)
    np.testing.assert_allclose(fit.coefficients.loc[x.columns].to_numpy(), reference.params.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(fit.propensity.to_numpy(), reference.fittedvalues.to_numpy(), atol=1e-7)
    # the reference level of a categorical covariate is its most frequent one
    assert "plan=basic" not in x.columns and {"plan=pro", "plan=enterprise"} <= set(x.columns)


def test_inverse_propensity_weights_are_design_weight_over_statsmodels_propensity() -> None:
    invited = _invited(seed=5)
    x = design_matrix(invited, ["plan", "tenure_band"])
    reference = sm.GLM(invited["has_responded"].astype(float), x, family=sm.families.Binomial(),
                       var_weights=invited["design_weight"]).fit(tol=1e-12).fittedvalues
    fit = fit_response_propensity(invited, ["plan", "tenure_band"], "has_responded", "design_weight")
    weights, cells = propensity_adjust(invited, fit.propensity, "has_responded", "design_weight",
                                       method="inverse_propensity", min_propensity=0.01)
    answered = invited["has_responded"]
    expected = (invited["design_weight"] / reference)[answered]
    np.testing.assert_allclose(weights.to_numpy(), expected.to_numpy(), rtol=1e-6)
    assert (cells == "ipw").all()
    # with a saturated model on plan x tenure, the weights reproduce the design-weighted invited total in every cell
    saturated = invited.assign(cell=invited["plan"] + "|" + invited["tenure_band"])
    fit = fit_response_propensity(saturated, ["cell"], "has_responded", "design_weight")
    weights, _ = propensity_adjust(saturated, fit.propensity, "has_responded", "design_weight", min_propensity=1e-6)
    by_cell = weights.groupby(saturated.loc[weights.index, "cell"]).sum()
    invited_total = saturated.groupby("cell")["design_weight"].sum()
    np.testing.assert_allclose(by_cell.to_numpy(), invited_total.loc[by_cell.index].to_numpy(), rtol=1e-6)


def test_propensity_floor_and_classes() -> None:
    invited = _invited(seed=9)
    propensity = pd.Series(np.linspace(0.001, 0.9, len(invited)), index=invited.index)
    weights, _ = propensity_adjust(invited, propensity, "has_responded", "design_weight", min_propensity=0.05)
    answered = invited["has_responded"]
    assert (weights <= invited.loc[answered, "design_weight"] / 0.05 + 1e-9).all()
    weights, cells = propensity_adjust(invited, propensity, "has_responded", "design_weight",
                                       method="propensity_classes", n_classes=5)
    assert set(cells) == {f"propensity_class={k}" for k in range(1, 6)}
    # weighting-class adjustment: respondents of each class carry the class's design-weighted invited total
    classes = np.ceil(propensity.rank(method="first") / len(propensity) * 5).astype(int)
    invited_total = invited.groupby(classes)["design_weight"].sum()
    carried = weights.groupby(classes.loc[weights.index]).sum()
    np.testing.assert_allclose(carried.to_numpy(), invited_total.loc[carried.index].to_numpy(), rtol=1e-9)


def test_propensity_refuses_degenerate_response() -> None:
    invited = _invited().assign(has_responded=False)
    with pytest.raises(ValueError, match="no invited unit responded"):
        fit_response_propensity(invited, ["plan"], "has_responded", "design_weight")


# ---------------------------------------------------------------------------------------------------------------
# the jackknife
# ---------------------------------------------------------------------------------------------------------------


def test_jackknife_of_a_ratio_matches_the_hand_computation() -> None:
    # an SRS of five units (y = amount, x = size); ratio B = sum(y) / sum(x) = 60 / 30 = 2
    y = np.array([10.0, 14.0, 9.0, 15.0, 12.0])
    x = np.array([5.0, 6.0, 5.0, 8.0, 6.0])
    # delete-one ratios by hand: (60 - y_j) / (30 - x_j)
    by_hand = [50 / 25, 46 / 24, 51 / 25, 45 / 22, 48 / 24]  # 2.0, 1.91667, 2.04, 2.04545, 2.0
    variance_by_hand = 4 / 5 * sum((b - 2.0) ** 2 for b in by_hand)
    # squared deviations 0, 0.0069444, 0.0016, 0.0020661, 0 -> sum 0.0106105, times 4/5
    assert variance_by_hand == pytest.approx(0.0084884, rel=1e-4)
    # the same through the replicate machinery: ratio of y to x is the ratio mean of y/x with weights x
    weights = np.tile(x[:, None], (1, 5)) * (1 - np.eye(5)) * 5 / 4
    estimates, _ = replicate_ratio_estimates(y / x, weights, np.zeros(5, dtype=np.int64), 1)
    np.testing.assert_allclose(estimates[0], by_hand, rtol=1e-12)
    assert jackknife_variance(2.0, estimates[0]) == pytest.approx(variance_by_hand, rel=1e-12)


def test_delete_one_jackknife_of_a_mean_is_s2_over_n() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(10, 3, 40)
    n = len(y)
    weights = (1 - np.eye(n)) * n / (n - 1)
    estimates, _ = replicate_ratio_estimates(y, weights, np.zeros(n, dtype=np.int64), 1)
    assert jackknife_variance(y.mean(), estimates[0]) == pytest.approx(y.var(ddof=1) / n, rel=1e-10)


def test_jackknife_groups_are_balanced_stable_and_order_free() -> None:
    psu = pd.Series([f"c{i}" for i in range(103)] * 2)
    groups = jackknife_groups(psu, 10)
    assert groups.groupby(psu).nunique().max() == 1  # a customer's rows share a group
    sizes = groups.groupby(psu).first().value_counts()
    assert sizes.max() - sizes.min() <= 1 and len(sizes) == 10
    shuffled = psu.sample(frac=1, random_state=3)
    again = jackknife_groups(shuffled, 10)
    assert (again.groupby(shuffled).first() == groups.groupby(psu).first()).all()


# ---------------------------------------------------------------------------------------------------------------
# relationship NPS on a frame simulated here (independent of the demo generator)
# ---------------------------------------------------------------------------------------------------------------


def _frame(seed: int, n_accounts: int = 2500, waves: int = 2) -> tuple[pd.DataFrame, float, float]:
    """A frame of active accounts per wave; NPS and response both depend on plan and tenure (response missing at
    random given the frame). Returns the frame and the population NPS and promoter share."""
    rng = np.random.default_rng(seed)
    rows, scores = [], []
    for wave in range(waves):
        plan = rng.choice(PLANS, n_accounts, p=[0.55, 0.33, 0.12])
        new = rng.random(n_accounts) < 0.35
        score = np.clip(np.rint(6.4 + np.select([plan == "pro", plan == "enterprise"], [1.2, 1.6], 0.0)
                                - 0.8 * new + rng.normal(0, 1.9, n_accounts)), 0, 10)
        invited = rng.random(n_accounts) < 0.5
        p_respond = 0.3 * np.select([plan == "pro", plan == "enterprise"], [2.0, 1.6], 1.0) * np.where(new, 1.4, 1.0)
        responded = invited & (rng.random(n_accounts) < p_respond)
        category = np.where(score >= 9, "promoter", np.where(score <= 6, "detractor", "passive"))
        rows.append(pd.DataFrame({
            "wave": f"W{wave}", "customer_key": [f"c{wave}_{i}" if i % 3 else f"c{i}" for i in range(n_accounts)],
            "plan": plan, "segment": np.where(plan == "enterprise", "enterprise", "smb"),
            "tenure_band": np.where(new, "0-179d", "180d+"),
            "invitation_id": [f"i{wave}_{i}" if invited[i] else None for i in range(n_accounts)],
            "sampling_stratum": "account:active", "selection_probability": 0.5, "has_responded": responded,
            "nps": np.where(responded, score, np.nan), "nps_category": np.where(responded, category, None),
        }))
        scores.append(score)
    everyone = np.concatenate(scores)
    return (pd.concat(rows, ignore_index=True), float(100 * ((everyone >= 9).mean() - (everyone <= 6).mean())),
            float((everyone >= 9).mean()))


PLAN = WeightingPlan(nonresponse_method="inverse_propensity", response_covariates=("wave", "plan", "tenure_band"),
                     margin_names=("plan", "tenure_band"), cap_rule="mean_multiple", cap_value=10.0)


def test_raking_within_waves_meets_the_frame_margins_like_ipfn() -> None:
    try:
        from ipfn import ipfn
    except ImportError:  # pragma: no cover - the reference must be installed, not skipped
        pytest.fail("ipfn is needed as the raking reference: pip install ipfn==1.4.4")
    frame, _, _ = _frame(seed=11)
    respondents, info = weight_relationship_nps(frame, PLAN)
    assert info["trim"].rounds == 0  # the cap is not reached, so final = raked
    for wave, members in frame.groupby("wave"):
        answered = respondents[respondents["wave"] == wave]
        for margin in ("plan", "tenure_band"):
            population = members.groupby(margin)["customer_key"].nunique()
            weighted = answered.groupby(margin)["final_weight"].sum()
            np.testing.assert_allclose(weighted.loc[population.index], population, rtol=1e-8)
        cells = answered.groupby(["plan", "tenure_band"], as_index=False)["nonresponse_weight"].sum()
        aggregates = [members.groupby("plan")["customer_key"].nunique().astype(float),
                      members.groupby("tenure_band")["customer_key"].nunique().astype(float)]
        reference = ipfn.ipfn(cells.rename(columns={"nonresponse_weight": "total"}), aggregates,
                              [["plan"], ["tenure_band"]], weight_col="total", convergence_rate=1e-14,
                              rate_tolerance=0.0, max_iteration=5000).iteration()
        mine = answered.groupby(["plan", "tenure_band"])["raked_weight"].sum()
        ref = reference.set_index(["plan", "tenure_band"])["total"]
        np.testing.assert_allclose(mine.loc[ref.index].to_numpy(), ref.to_numpy(), rtol=1e-6)


def test_weighted_nps_removes_nonresponse_bias_and_jackknife_covers() -> None:
    """60 frames: the weighted NPS is unbiased for the population within its noise while the naive one is not, and
    the jackknife interval covers the population value in at least 90% of the frames."""
    errors, naive_errors, covered, widths = [], [], 0, []
    for seed in range(60):
        frame, population_nps, _ = _frame(seed)
        respondents, _ = weight_relationship_nps(frame, PLAN)
        replicates, failed = nps_replicate_weights(frame, PLAN, respondents, n_groups=15)
        assert not failed
        table = estimate_table(respondents, [("nps", "nps_category", "nps")], [], replicates=replicates)
        row = table.iloc[0]
        assert row["variance_method"] == "delete_a_group_jackknife" and row["n_replicates"] == 15
        errors.append(row["weighted_estimate"] - population_nps)
        naive_errors.append(row["naive_estimate"] - population_nps)
        covered += row["weighted_ci_lower"] <= population_nps <= row["weighted_ci_upper"]
        widths.append((row["weighted_ci_upper"] - row["weighted_ci_lower"]) / 2)
    bias, naive_bias = np.mean(errors), np.mean(naive_errors)
    assert abs(naive_bias) > 3 * np.std(naive_errors) / np.sqrt(60)  # the naive NPS is biased on these frames
    assert abs(bias) < 0.25 * np.mean(widths)
    assert covered >= 54, covered


def test_replicate_that_empties_a_group_falls_back_to_taylor_with_a_status() -> None:
    frame, _, _ = _frame(seed=2, n_accounts=800)
    respondents, _ = weight_relationship_nps(frame, PLAN)
    replicates, _ = nps_replicate_weights(frame, PLAN, respondents, n_groups=10)
    # a group with a single respondent: the replicate that drops that respondent has no weight in the group
    respondents = respondents.assign(solo=np.where(np.arange(len(respondents)) == 0, "alone", "rest"))
    table = estimate_table(respondents, [("nps", "nps_category", "nps")], ["solo"], replicates=replicates)
    alone = table[table["group_value"] == "alone"]
    assert alone.empty or (alone["status"].isin(["ok_taylor_fallback"]) | alone["status"].str.startswith(
        "not_estimable")).all()
    rest = table[table["group_value"] == "rest"].iloc[0]
    assert rest["status"] == "ok" and rest["variance_method"] == "delete_a_group_jackknife"
    overall = table[table["group_by"] == "overall"].iloc[0]
    assert overall["weighted_se"] > 0 and overall["taylor_std_error"] > 0


def test_degenerate_response_does_not_fail_the_weighting() -> None:
    frame, _, _ = _frame(seed=4, n_accounts=300)
    invited = frame["invitation_id"].notna()
    everyone = frame.assign(has_responded=invited, nps_category=np.where(invited, "promoter", None))
    respondents, info = weight_relationship_nps(everyone, PLAN)
    assert info["nonresponse_method"] == "everyone_responded"
    assert (respondents["nonresponse_weight"] == respondents["design_weight"]).all()
    # three respondents: fewer than the response model's parameters -> weighting classes in the sampling strata
    few = frame.assign(has_responded=False)
    few.loc[frame.index[invited][:3], "has_responded"] = True
    respondents, info = weight_relationship_nps(few, PLAN)
    assert info["nonresponse_method"] == "too_few_for_model" and len(respondents) == 3
    assert respondents["adjustment_cell"].str.startswith("too_few_for_model: ").all()
    # three answers cannot meet plan x tenure margins in two waves: scaled to the population, and said so
    assert respondents["raking_status"].str.startswith("not_raked: ").all()
    assert respondents["final_weight"].sum() == pytest.approx(frame.groupby("wave")["customer_key"].nunique().sum())
