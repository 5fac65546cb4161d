"""Experiment statistics against references, and the experiment marts on data written independently of the demo
generator (other unit names, arms, sizes and effects).

References: Petersen's clustered-SE test data (shipped in the statsmodels wheel) and its published OLS results;
pyfixest's CRV1/CRV3; scipy's chi-square; statsmodels' multipletests and Benjamini & Hochberg's (1995) worked
example; an exact enumeration of a small randomisation design written here independently of the module.
"""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels
from scipy import stats
from statsmodels.stats.multitest import multipletests

from empathy.registry import record_missing_hashes, read_registry, registration_hash
from empathy.stats.experiment_analysis import ExperimentSettings, experiment_health, experiment_results
from empathy.stats.experiments import (
    cluster_wls, clustered_srm_test, randomization_p_value, srm_test, standardized_difference, treatment_cells,
)
from empathy.stats.multiple_testing import bh_adjusted, holm_adjusted

PETERSEN = Path(statsmodels.__path__[0]) / "stats" / "tests" / "test_data.txt"


@pytest.fixture(scope="module")
def petersen() -> pd.DataFrame:
    return pd.read_csv(PETERSEN, sep=r"\s+", header=None, names=["firm", "year", "x", "y"])


def _fit(frame: pd.DataFrame, cluster: str):
    x = np.column_stack([np.ones(len(frame)), frame["x"]])
    return cluster_wls(x, np.ones(len(frame)), frame["y"].to_numpy(), frame[cluster].to_numpy(), n_obs=len(frame))


# ------------------------------------------------------------------ clustered standard errors
@pytest.mark.parametrize("cluster, published_se", [("firm", 0.0506), ("year", 0.0334)])
def test_cr1_reproduces_petersens_published_clustered_standard_errors(petersen, cluster, published_se):
    fit = _fit(petersen, cluster)
    assert fit.coef[1] == pytest.approx(1.0348, abs=5e-5)
    assert math.sqrt(fit.cov_cr1[1, 1]) == pytest.approx(published_se, abs=5e-5)


@pytest.mark.parametrize("cluster", ["firm", "year"])
def test_cr1_and_cr3_agree_with_pyfixest(petersen, cluster):
    pf = pytest.importorskip("pyfixest")
    fit = _fit(petersen, cluster)
    crv1 = pf.feols("y ~ x", data=petersen, vcov={"CRV1": cluster}).se().to_numpy()
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_cr1)), crv1, rtol=1e-6)
    # pyfixest's CRV3 without small-sample factors is Σ_g (β_(g) − β)²; CV3 (MacKinnon, Nielsen & Webb) scales it
    # by (G − 1) / G.
    crv3 = pf.feols("y ~ x", data=petersen, vcov={"CRV3": cluster},
                    ssc=pf.ssc(k_adj=False, G_adj=False)).se().to_numpy()
    g = petersen[cluster].nunique()
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_cr3)), crv3 * math.sqrt((g - 1) / g), rtol=1e-6)


def test_weighted_cell_totals_give_the_observation_level_fit():
    """A WLS fit on unit totals equals the observation-level WLS clustered by unit (statsmodels)."""
    import statsmodels.api as sm
    rng = np.random.default_rng(7)
    n_units = 15
    sizes = rng.integers(5, 60, n_units)
    unit = np.repeat(np.arange(n_units), sizes)
    treated = np.repeat(rng.permutation(n_units) < 7, sizes).astype(float)
    y = 0.3 + 0.2 * treated + np.repeat(rng.normal(0, 0.2, n_units), sizes) + rng.normal(0, 1, len(unit))
    w = rng.uniform(0.5, 3.0, len(unit))
    frame = pd.DataFrame({"unit": unit, "treated": treated, "y": y, "w": w})
    cells = treatment_cells(frame, "unit", "treated", "y", "w")
    x = np.column_stack([np.ones(len(cells)), cells["treated"]])
    fit = cluster_wls(x, cells["W"], cells["S"], cells["unit"], n_obs=int(cells["n"].sum()))
    ref = sm.WLS(y, sm.add_constant(treated), weights=w).fit(cov_type="cluster", cov_kwds={"groups": unit})
    np.testing.assert_allclose(fit.coef, ref.params, rtol=1e-10)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_cr1)), ref.bse, rtol=1e-8)


# ------------------------------------------------------------------ sample ratio mismatch
def test_srm_600_vs_400_on_an_intended_even_split():
    statistic, p = srm_test(np.array([600, 400]), np.array([0.5, 0.5]))
    assert statistic == pytest.approx(40.0)
    assert p == pytest.approx(2.54e-10, rel=0.01)
    ref = stats.chisquare([600, 400], [500, 500])
    assert (statistic, p) == pytest.approx((ref.statistic, ref.pvalue))


def test_clustered_srm_is_pearson_when_every_unit_has_size_one():
    arm = np.array([0] * 70 + [1] * 30 + [2] * 20)
    allocation = np.array([0.5, 0.3, 0.2])
    assert clustered_srm_test(np.ones(len(arm)), arm, allocation) == pytest.approx(
        srm_test(np.bincount(arm), allocation))


def test_clustered_srm_holds_its_level_where_the_naive_chi_square_does_not():
    """Correct Bernoulli(1/2) assignment of 40 units of very unequal sizes: the clustered check rejects about 5% at
    alpha 0.05; Pearson's chi-square on the interaction counts rejects far more often."""
    rng = np.random.default_rng(11)
    sizes = rng.lognormal(5, 1, 40).round() + 1
    reps, clustered, naive = 4000, 0, 0
    for _ in range(reps):
        arm = (rng.random(40) < 0.5).astype(int)
        if arm.min() == arm.max():
            continue
        clustered += clustered_srm_test(sizes, arm, np.array([0.5, 0.5]))[1] < 0.05
        naive += srm_test(np.array([sizes[arm == 0].sum(), sizes[arm == 1].sum()]), np.array([0.5, 0.5]))[1] < 0.05
    assert 0.03 < clustered / reps < 0.08
    assert naive / reps > 0.5


# ------------------------------------------------------------------ multiple testing
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
           0.6528, 0.7590, 1.0000]


def test_benjamini_hochberg_and_holm_match_statsmodels_and_the_published_example():
    p = pd.Series(BH_1995)
    bh, holm = bh_adjusted(p), holm_adjusted(p)
    np.testing.assert_allclose(bh, multipletests(BH_1995, method="fdr_bh")[1], rtol=1e-12)
    np.testing.assert_allclose(holm, multipletests(BH_1995, method="holm")[1], rtol=1e-12)
    # Benjamini & Hochberg (1995), section 4: at q = 0.05 their procedure rejects the four smallest; Holm's
    # (like Bonferroni's) only the three below 0.05 / 15.
    assert (bh < 0.05).sum() == 4 and (holm < 0.05).sum() == 3


def test_adjustment_leaves_nulls_out_of_the_family():
    p = pd.Series([0.01, np.nan, 0.04])
    assert bh_adjusted(p).tolist()[0] == pytest.approx(0.02) and np.isnan(bh_adjusted(p)[1])
    assert holm_adjusted(p).tolist()[2] == pytest.approx(0.04)


# ------------------------------------------------------------------ randomisation inference
def _small_design():
    rng = np.random.default_rng(3)
    units = pd.DataFrame({"unit": [f"u{i}" for i in range(8)], "treated": [1, 1, 1, 1, 0, 0, 0, 0],
                          "n": rng.integers(10, 40, 8)})
    units["W"] = units["n"].astype(float)
    units["S"] = units["W"] * (rng.normal(0.5, 0.1, 8) + 0.12 * units["treated"])
    return units


def test_randomization_p_value_equals_an_exact_enumeration():
    units = _small_design()
    means = units["S"] / units["W"]

    def difference(treated):
        t = np.array(treated, dtype=bool)
        return units["S"][t].sum() / units["W"][t].sum() - units["S"][~t].sum() / units["W"][~t].sum()

    observed = difference(units["treated"])
    diffs = [difference([i in chosen for i in range(8)]) for chosen in itertools.combinations(range(8), 4)]
    exact = np.mean(np.abs(diffs) >= abs(observed) - 1e-12)
    p, used, is_exact = randomization_p_value(units, max_permutations=1000)
    assert is_exact and used == 70
    assert p == pytest.approx(exact)
    assert means.notna().all()
    sampled, used, is_exact = randomization_p_value(units, max_permutations=60, seed=5)
    assert not is_exact and used == 60
    assert abs(sampled - exact) < 0.15


# ------------------------------------------------------------------ balance
def test_standardized_difference():
    assert standardized_difference(np.array([1.0, 3.0]), np.array([0.0, 2.0])) == pytest.approx(1 / math.sqrt(2))
    assert math.isnan(standardized_difference(np.array([1.0, 1.0]), np.array([1.0, 1.0])))
    assert math.isnan(standardized_difference(np.array([]), np.array([1.0, 2.0])))


# ------------------------------------------------------------------ the marts' functions on independent data
SETTINGS = ExperimentSettings(max_permutations=400, permutation_seed=1)


def _independent_experiment(rng, effect: float, n_teams: int = 24, arms=("control", "variant-b"),
                            subgroups: str = "shift|weekday") -> dict:
    """A second writer: team-randomised experiment with other labels, lognormal team sizes, a team random effect
    and a known additive effect on a 0/1 outcome; pre-period and window; a weighted respondent subset."""
    teams = [f"Team {chr(65 + i)}{i}" for i in range(n_teams)]
    arm_of = dict(zip(teams, rng.permutation(np.array([arms[i % len(arms)] for i in range(n_teams)]))))
    rows = []
    for team in teams:
        base = 0.35 + rng.normal(0, 0.05)
        for period in ("pre", "window"):
            n = int(rng.lognormal(4, 0.6)) + 5
            lift = effect if (period == "window" and arm_of[team] != "control") else 0.0
            y = rng.random(n) < base + lift
            answered = rng.random(n) < 0.3
            rows.append(pd.DataFrame({
                "experiment_id": "exp_independent", "period": period, "unit_id": team, "itt_arm": arm_of[team],
                "is_in_assigned_unit": True, "agent_id": [f"{team}-agent{k % 4}" for k in range(n)],
                "outcome_flag": y, "answered_flag": np.where(answered, y, None),
                "survey_weight": np.where(answered, rng.uniform(1, 4, n), np.nan),
                "subgroup_shift": np.where(rng.random(n) < 0.5, "Night", "Day"),
            }))
    interactions = pd.concat(rows, ignore_index=True)
    registrations = pd.DataFrame([{"experiment_id": "exp_independent", "arms": "|".join(arms),
                                   "allocation": "|".join(["%.6f" % (1 / len(arms))] * len(arms)),
                                   "subgroups": subgroups, "intervention_module_code": None,
                                   "status": "valid"}])
    metrics = pd.DataFrame([
        {"experiment_id": "exp_independent", "metric_code": "outcome", "metric_role": "primary",
         "metric_position": 1, "is_in_catalogue": True, "observation_level": "interaction",
         "value_column": "outcome_flag", "weight_column": None, "higher_is_better": True},
        {"experiment_id": "exp_independent", "metric_code": "answered_weighted", "metric_role": "secondary",
         "metric_position": 2, "is_in_catalogue": True, "observation_level": "respondent",
         "value_column": "answered_flag", "weight_column": "survey_weight", "higher_is_better": True},
        {"experiment_id": "exp_independent", "metric_code": "not_defined_anywhere", "metric_role": "guardrail",
         "metric_position": 1000, "is_in_catalogue": False, "observation_level": None, "value_column": None,
         "weight_column": None, "higher_is_better": None},
    ])
    customers = pd.DataFrame(columns=["experiment_id", "period", "unit_id", "itt_arm"])
    return {"registrations": registrations, "metrics": metrics, "interactions": interactions, "customers": customers}


def test_results_on_independent_data_cover_the_known_effect_at_the_nominal_rate():
    """200 independent team-randomised experiments with a true effect of 0.10: the CR1 t-interval covers it in
    about 95% of them, the randomisation test rejects in most, and under no effect it rejects about 5%."""
    rng = np.random.default_rng(2026)
    covered, rejected_ri, null_rejected = 0, 0, 0
    reps = 200
    for rep in range(reps):
        data = _independent_experiment(rng, effect=0.10, subgroups="")
        table = experiment_results(settings=SETTINGS, **data)
        row = table[(table["metric_code"] == "outcome") & (table["subgroup_split"] == "all")].iloc[0]
        covered += row["ci_lower"] <= 0.10 <= row["ci_upper"]
        rejected_ri += row["p_value_randomization"] < 0.05
        null = _independent_experiment(rng, effect=0.0, subgroups="")
        null_table = experiment_results(settings=SETTINGS, **null)
        null_row = null_table[(null_table["metric_code"] == "outcome") & (null_table["subgroup_split"] == "all")]
        null_rejected += null_row.iloc[0]["p_value_randomization"] < 0.05
    assert 0.90 <= covered / reps <= 0.99
    assert rejected_ri / reps > 0.6
    assert null_rejected / reps < 0.09


def test_results_say_why_when_a_row_cannot_be_estimated():
    rng = np.random.default_rng(5)
    data = _independent_experiment(rng, effect=0.05)
    table = experiment_results(settings=SETTINGS, **data)
    status = table.set_index(["metric_code", "subgroup_split", "subgroup_level"])["status"]
    assert status[("not_defined_anywhere", "all", "all")] == "metric_not_in_catalogue"
    assert status[("outcome", "weekday", None)] == "subgroup_not_available"
    assert status[("outcome", "all", "all")] == "ok"
    assert set(table.loc[table["subgroup_split"] == "shift", "subgroup_level"]) == {"Day", "Night"}
    weighted = table[(table["metric_code"] == "answered_weighted") & (table["subgroup_split"] == "all")].iloc[0]
    answered = data["interactions"].dropna(subset=["answered_flag"])
    assert weighted["n_observations"] == int((answered["period"] == "window").sum())

    # one arm empty, too few units, no treatment arm
    only_control = {**data, "interactions": data["interactions"].assign(itt_arm="control")}
    assert set(experiment_results(settings=SETTINGS, **only_control)
               .query("subgroup_split == 'all' and metric_code == 'outcome'")["status"]) == {"one_arm_empty"}
    teams = data["interactions"]["unit_id"].unique()
    few = data["interactions"].assign(itt_arm=np.where(data["interactions"]["unit_id"] == teams[0],
                                                       "variant-b", "control"))
    assert set(experiment_results(settings=SETTINGS, **{**data, "interactions": few})
               .query("subgroup_split == 'all' and metric_code == 'outcome'")["status"]) == {"too_few_units"}
    no_arm = {**data, "registrations": data["registrations"].assign(arms="control")}
    assert set(experiment_results(settings=SETTINGS, **no_arm).query("metric_code == 'outcome'")["status"]) == {
        "no_treatment_arm"}
    empty = {**data, "interactions": data["interactions"].iloc[0:0]}
    assert set(experiment_results(settings=SETTINGS, **empty)
               .query("metric_code == 'outcome' and subgroup_split == 'all'")["status"]) == {"no_observations"}


def test_three_arms_each_compared_with_control():
    rng = np.random.default_rng(8)
    data = _independent_experiment(rng, effect=0.0, n_teams=30, arms=("control", "alpha", "beta"))
    table = experiment_results(settings=SETTINGS, **data)
    overall = table[(table["subgroup_split"] == "all") & (table["metric_code"] == "outcome")]
    assert sorted(overall["arm"]) == ["alpha", "beta"]
    assert (overall["n_units"] == 20).all()


def test_health_on_independent_data_flags_a_broken_split_and_counts_contamination():
    rng = np.random.default_rng(9)
    data = _independent_experiment(rng, effect=0.0, n_teams=60)
    interactions = data["interactions"]
    # the service put 50 of 60 teams in the variant: a broken 50/50 split
    teams = sorted(interactions["unit_id"].unique())
    arm_of = {t: ("variant-b" if i < 50 else "control") for i, t in enumerate(teams)}
    interactions = interactions.assign(itt_arm=interactions["unit_id"].map(arm_of))
    # one agent works for a team of each arm; some window interactions fall outside any assigned unit
    cross = interactions.index[(interactions["unit_id"] == teams[-1]) & (interactions["period"] == "window")][:5]
    interactions.loc[cross, "agent_id"] = f"{teams[0]}-agent0"
    stray = interactions.index[interactions["period"] == "window"][:7]
    interactions.loc[stray, ["is_in_assigned_unit", "itt_arm"]] = [False, None]
    counts = interactions.groupby(["unit_id", "period"]).size().unstack(fill_value=0)
    units = pd.DataFrame({"experiment_id": "exp_independent", "unit_id": teams,
                          "itt_arm": [arm_of[t] for t in teams], "has_switched_arm": [t == teams[3] for t in teams],
                          "n_interactions_pre": counts.loc[teams, "pre"].to_numpy(),
                          "n_interactions_window": counts.loc[teams, "window"].to_numpy(),
                          "exposure_share": np.nan})
    for covariate in ["interactions_per_day_pre", "tough_moment_share_pre", "new_agent_share_pre", "voice_share_pre",
                      "chat_share_pre", "email_share_pre", "in_product_share_pre",
                      "acknowledged_within_30s_share_pre", "csat_top2_share_pre", "handle_time_seconds_mean_pre"]:
        units[covariate] = rng.normal(0, 1, len(teams))
    health = experiment_health(data["registrations"], units, interactions, SETTINGS).set_index("check_name")
    assert health.loc["srm_units", "status"] == "flagged"
    assert health.loc["srm_units", "estimate"] == pytest.approx(50 / 60)
    assert health.loc["srm_interactions", "status"] == "flagged"
    assert health.loc["contamination_unassigned_interactions", "estimate"] == pytest.approx(
        7 / int((interactions["period"] == "window").sum()))
    assert health.loc["contamination_agents_in_both_arms", "estimate"] > 0
    assert health.loc["contamination_switched_units", "status"] == "warn"
    assert health.loc["exposure", "status"] == "not_applicable"
    assert set(health["status"]) <= {"ok", "warn", "flagged", "not_estimable", "not_applicable"}

    fair = units.assign(itt_arm=[("variant-b" if i % 2 else "control") for i in range(len(teams))])
    fair_health = experiment_health(data["registrations"], fair, interactions.assign(
        itt_arm=interactions["unit_id"].map(dict(zip(fair["unit_id"], fair["itt_arm"])))), SETTINGS)
    assert fair_health.set_index("check_name").loc["srm_units", "status"] == "ok"
    assert not experiment_health(data["registrations"], units.iloc[0:0], interactions.iloc[0:0], SETTINGS).empty


# ------------------------------------------------------------------ registration hashes
def test_registration_hash_changes_with_any_registered_field_and_recording_keeps_old_hashes(tmp_path):
    columns = ["experiment_id", "primary_metric", "registered_at", "registration_hash"]
    row = {"experiment_id": "e1", "primary_metric": "csat", "registered_at": "2026-01-01", "registration_hash": ""}
    h = registration_hash(row, columns)
    assert registration_hash({**row, "registration_hash": "anything"}, columns) == h
    assert registration_hash({**row, "primary_metric": "nps"}, columns) != h
    path = tmp_path / "registry.csv"
    path.write_text("experiment_id,primary_metric,registered_at,registration_hash\n"
                    "e1,csat,2026-01-01,\ne2,nps,2026-01-02,stale\n")
    assert record_missing_hashes(path) == ["e1"]
    _, rows = read_registry(path)
    assert rows[0]["registration_hash"] == h and rows[1]["registration_hash"] == "stale"
