"""Validation of ``empathy.stats.synthetic_control`` on California's Proposition 99 (Abadie, Diamond & Hainmueller
2010, JASA 105(490), "ADH 2010"), against pysyncon on the inner problem, on a simulated panel and on degenerate input.

Fixture provenance: ``tests/fixtures/prop99_smoking.csv`` is the file
``causal-inference-for-the-brave-and-true/data/smoking.csv`` of the public GitHub repository
matheusfacure/python-causality-handbook (commit 0da6e5d6f9c7091102eec59ffe11be391c854ffa), copied byte for byte
(101,330 characters). It is the Prop 99 panel that ADH 2010 and the R package Synth use: 39 states
x 1970-2000, columns state, year, cigsale (packs per capita), lnincome, beer, age15to24, retprice, and the flags
california and after_treatment. States are numeric codes in alphabetical order of the 39 states (California = 3, as its
``california`` flag confirms; the test below also checks Utah = 34 as the lowest and New Hampshire = 22 as the highest
1980 sales). No network: everything runs on the fixture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pysyncon import Dataprep, Synth

from empathy.stats.synthetic_control import (
    Predictor, placebo_in_space, placebo_in_time, solve_weights, synthetic_control,
)  # fmt: skip

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "prop99_smoking.csv"
STATES = [
    "Alabama", "Arkansas", "California", "Colorado", "Connecticut", "Delaware", "Georgia", "Idaho", "Illinois",
    "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine", "Minnesota", "Mississippi", "Missouri", "Montana",
    "Nebraska", "Nevada", "New Hampshire", "New Mexico", "North Carolina", "North Dakota", "Ohio", "Oklahoma",
    "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont",
    "Virginia", "West Virginia", "Wisconsin", "Wyoming",
]  # fmt: skip
# ADH 2010's predictors: ln income, retail price, share aged 15-24 averaged 1980-88; beer 1984-88; sales 1975/80/88.
ADH_PREDICTORS = [
    Predictor.mean_over("lnincome", 1980, 1988), Predictor.mean_over("retprice", 1980, 1988),
    Predictor.mean_over("age15to24", 1980, 1988), Predictor.mean_over("beer", 1984, 1988),
    Predictor.at("cigsale", 1975), Predictor.at("cigsale", 1980), Predictor.at("cigsale", 1988),
]  # fmt: skip
# ADH 2010, Table 2: state weights in synthetic California (all other states 0).
PUBLISHED_WEIGHTS = {"Utah": 0.334, "Nevada": 0.234, "Montana": 0.199, "Colorado": 0.164, "Connecticut": 0.069}
# ADH 2010, Table 1: synthetic California's predictor means (ln GDP per capita, retail price, beer, cigarette sales).
PUBLISHED_SYNTHETIC = {
    "lnincome[1980-1988]": (9.86, 0.05), "retprice[1980-1988]": (89.41, 0.5), "beer[1984-1988]": (24.20, 0.5),
    "cigsale[1975]": (126.99, 1.0), "cigsale[1980]": (120.43, 1.0), "cigsale[1988]": (91.62, 1.0),
}  # fmt: skip
PROP99 = {"unit": "name", "period": "year", "outcome": "cigsale", "treated_unit": "California",
          "treatment_period": 1989}


@pytest.fixture(scope="module")
def smoking() -> pd.DataFrame:
    data = pd.read_csv(FIXTURE)
    assert data.shape == (39 * 31, 9)
    return data.assign(name=data["state"].map(dict(enumerate(STATES, start=1))))


@pytest.fixture(scope="module")
def california(smoking: pd.DataFrame):
    return synthetic_control(smoking, **PROP99, predictors=ADH_PREDICTORS)


def test_fixture_is_the_prop99_panel(smoking: pd.DataFrame) -> None:
    assert smoking["state"].nunique() == 39 and set(smoking["year"]) == set(range(1970, 2001))
    assert set(smoking.loc[smoking["california"], "state"]) == {3}
    assert (smoking["after_treatment"] == (smoking["year"] >= 1989)).all()
    sales_1980 = smoking[smoking["year"] == 1980].set_index("name")["cigsale"]
    assert sales_1980.idxmin() == "Utah" and sales_1980.idxmax() == "New Hampshire"
    # ADH 2010 Table 1, California's own column.
    row = smoking[(smoking["name"] == "California") & (smoking["year"] == 1988)].iloc[0]
    assert row["cigsale"] == pytest.approx(90.1, abs=0.01)


def test_prop99_weights_match_adh_2010(california) -> None:
    assert california.status == "ok", california.notes
    weights = california.weights
    assert weights.sum() == pytest.approx(1.0, abs=1e-9) and (weights >= 0).all()
    assert len(weights) == 38 and "California" not in weights.index
    for state, published in PUBLISHED_WEIGHTS.items():
        assert weights[state] == pytest.approx(published, abs=0.03), state
    others = weights.drop(list(PUBLISHED_WEIGHTS))
    assert others.max() < 0.02 and others.sum() < 0.03
    assert california.predictor_weights.sum() == pytest.approx(1.0) and (california.predictor_weights >= 0).all()


def test_prop99_predictor_balance_matches_adh_table1(california) -> None:
    balance = california.balance
    assert balance.loc["lnincome[1980-1988]", "treated"] == pytest.approx(10.08, abs=0.005)
    assert balance.loc["retprice[1980-1988]", "treated"] == pytest.approx(89.42, abs=0.005)
    assert balance.loc["beer[1984-1988]", "treated"] == pytest.approx(24.28, abs=0.005)
    for label, (published, tolerance) in PUBLISHED_SYNTHETIC.items():
        assert balance.loc[label, "synthetic"] == pytest.approx(published, abs=tolerance), label


def test_prop99_effect_and_fit(california) -> None:
    # ADH 2010: a pre-1989 fit close to California's path; about -19 packs on average over 1989-2000, -26 by 2000.
    assert california.pre_rmspe < 2.0
    assert california.loss_v == pytest.approx(california.pre_rmspe**2)
    assert california.att == pytest.approx(-19.0, abs=2.0)
    path = california.path.set_index("period")
    assert path.loc[2000, "gap"] == pytest.approx(-26.0, abs=2.0)
    assert np.allclose(path["gap"], path["treated"] - path["synthetic"])
    assert path.loc[1989:, "is_post"].all() and not path.loc[:1988, "is_post"].any()
    assert california.att == pytest.approx(path.loc[1989:, "gap"].mean())


def test_prop99_dataprep_and_inner_problem_agree_with_pysyncon(smoking: pd.DataFrame) -> None:
    """pysyncon's Dataprep builds the same X; with V fixed (equal), its W solves the same quadratic program, which our
    exact solver solves at least as well (pysyncon uses SLSQP)."""
    prep = Dataprep(
        foo=smoking, predictors=["lnincome", "retprice", "age15to24"], predictors_op="mean",
        time_predictors_prior=range(1980, 1989), dependent="cigsale", unit_variable="name", time_variable="year",
        special_predictors=[("beer", range(1984, 1989), "mean"), ("cigsale", [1975], "mean"),
                            ("cigsale", [1980], "mean"), ("cigsale", [1988], "mean")],
        treatment_identifier="California", controls_identifier=[s for s in STATES if s != "California"],
        time_optimize_ssr=range(1970, 1989),
    )  # fmt: skip
    x0, x1 = prep.make_covariate_mats()
    ours = synthetic_control(smoking, **PROP99, predictors=ADH_PREDICTORS, v_weights=[1.0] * 7)
    assert np.allclose(ours.balance["treated"].to_numpy(), x1.to_numpy())
    assert np.allclose(ours.balance["donor_mean"].to_numpy(), x0.mean(axis=1).to_numpy())
    reference = Synth()
    reference.fit(dataprep=prep, custom_V=np.full(7, 1 / 7))
    mine = ours.weights.reindex(x0.columns).to_numpy()
    assert np.abs(mine - reference.W).max() < 2e-3
    assert ours.loss_v == pytest.approx(reference.loss_V, rel=0.01)
    scale = np.column_stack([x0.to_numpy(), x1.to_numpy()]).std(axis=1, ddof=1)
    x0s, x1s = x0.to_numpy() / scale[:, None], x1.to_numpy() / scale

    def objective(w: np.ndarray) -> float:
        return float(np.sum((x1s - x0s @ w) ** 2) / 7)

    assert objective(solve_weights(x1s, x0s, np.full(7, 1 / 7))) <= objective(reference.W) + 1e-12
    assert objective(mine) <= objective(reference.W) + 1e-12


def test_prop99_placebo_in_space_ranks_california_first(smoking: pd.DataFrame) -> None:
    placebos = placebo_in_space(smoking, **PROP99, predictors=ADH_PREDICTORS, n_jobs=2)
    assert placebos.status == "ok", placebos.notes
    table = placebos.table
    assert len(table) == 39 and (table["status"] == "ok").all()
    assert placebos.n_units == 39 and placebos.treated_rank == 1
    assert placebos.p_value == pytest.approx(1 / 39)  # ADH 2010, figure 8
    assert table.iloc[0]["unit"] == "California" and table["rank"].is_monotonic_increasing
    assert table.loc[table["unit"] == "California", "att"].iloc[0] == pytest.approx(-19.0, abs=2.0)
    expected = table["post_rmspe"] / table["pre_rmspe"]
    assert np.allclose(table["rmspe_ratio"], expected)


def test_prop99_in_time_placebo(smoking: pd.DataFrame, california) -> None:
    """Backdating Prop 99 five years (1984) with the predictor windows moved back: the placebo gap is well below the
    real effect. It is not zero: California's sales fall below the synthetic path in 1987-88, as in the main fit's
    1988 gap, consistent with anticipation of the 1988 ballot campaign."""
    placebo = placebo_in_time(smoking, **PROP99, predictors=ADH_PREDICTORS, periods_earlier=5)
    assert placebo.status == "ok"
    assert placebo.fake_treatment_period == 1984
    assert list(placebo.gaps["period"]) == [1984, 1985, 1986, 1987, 1988]
    assert any("beer[1979-1983]" in note for note in placebo.notes)  # beer is only observed from 1984
    assert placebo.pre_rmspe < 2.0
    assert abs(placebo.mean_gap) < 0.4 * abs(california.att)


# ---------------------------------------------------------------------------------------------------------------
# Simulated panel: the treated unit is exactly 0.6 * A + 0.4 * B, plus 5 from period 15 on.
# ---------------------------------------------------------------------------------------------------------------


def simulated_panel(effect: float = 5.0, n_periods: int = 20, start: int = 15, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    donors = {f"D{i}": 50 + np.cumsum(rng.normal(0, 2, n_periods)) + rng.normal(0, 10) for i in range(8)}
    donors["A"], donors["B"] = donors.pop("D0"), donors.pop("D1")
    treated = 0.6 * donors["A"] + 0.4 * donors["B"] + np.where(np.arange(n_periods) >= start, effect, 0.0)
    rows = [(unit, t, y[t]) for unit, y in {**donors, "T": treated}.items() for t in range(n_periods)]
    return pd.DataFrame(rows, columns=["unit", "period", "y"])


SIMULATED = {"unit": "unit", "period": "period", "outcome": "y", "treated_unit": "T", "treatment_period": 15}


def test_simulated_convex_combination_is_recovered() -> None:
    fit = synthetic_control(simulated_panel(), **SIMULATED)
    assert fit.status == "ok"
    assert fit.weights["A"] == pytest.approx(0.6, abs=1e-6) and fit.weights["B"] == pytest.approx(0.4, abs=1e-6)
    assert fit.weights.drop(["A", "B"]).abs().max() < 1e-6
    assert fit.pre_rmspe < 1e-6
    assert fit.att == pytest.approx(5.0, abs=1e-6)
    assert np.allclose(fit.path.loc[fit.path["is_post"], "gap"], 5.0, atol=1e-6)


def test_simulated_placebos() -> None:
    panel = simulated_panel()
    in_time = placebo_in_time(panel, **SIMULATED, periods_earlier=4)
    assert in_time.status == "ok" and in_time.fake_treatment_period == 11
    assert abs(in_time.mean_gap) < 1e-6
    in_space = placebo_in_space(panel, **SIMULATED)
    assert in_space.status == "ok" and in_space.n_units == 9
    assert in_space.treated_rank == 1 and in_space.p_value == pytest.approx(1 / 9)


def test_simulated_with_covariate_predictors() -> None:
    """Explicit predictor specs (a covariate averaged over a window, outcomes at chosen periods) go through."""
    panel = simulated_panel()
    rng = np.random.default_rng(3)
    level = {unit: rng.normal(10, 2) for unit in panel["unit"].unique()}
    level["T"] = 0.6 * level["A"] + 0.4 * level["B"]
    panel = panel.assign(x=panel["unit"].map(level))
    specs = [Predictor.mean_over("x", 0, 14), *(Predictor.at("y", t) for t in (2, 6, 10, 14))]
    fit = synthetic_control(panel, **SIMULATED, predictors=specs)
    assert fit.status == "ok"
    assert list(fit.balance.index) == ["x[0-14]", "y[2]", "y[6]", "y[10]", "y[14]"]
    assert fit.balance.loc["x[0-14]", "synthetic"] == pytest.approx(level["T"], abs=0.05)
    assert fit.att == pytest.approx(5.0, abs=1.0)


# ---------------------------------------------------------------------------------------------------------------
# Degenerate input: a status, never an exception.
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"treated_unit": "nobody"}, "treated_unit_missing"),
        ({"donors": []}, "no_donors"),
        ({"donors": ["nobody"]}, "no_donors"),
        ({"treatment_period": 1}, "too_few_pre_periods"),
        ({"treatment_period": 0}, "too_few_pre_periods"),
        ({"treatment_period": 99}, "no_post_periods"),
    ],
)
def test_degenerate_input_gives_a_status(change: dict, status: str) -> None:
    fit = synthetic_control(simulated_panel(), **{**SIMULATED, **change})
    assert fit.status == status and np.isnan(fit.att) and fit.weights.empty and fit.notes
    assert placebo_in_space(simulated_panel(), **{**SIMULATED, **change}).status == status


def test_degenerate_panels() -> None:
    panel = simulated_panel()
    duplicated = pd.concat([panel, panel.head(1)])
    assert synthetic_control(duplicated, **SIMULATED).status == "duplicate_unit_periods"
    missing_treated = panel[~((panel["unit"] == "T") & (panel["period"] == 3))]
    assert synthetic_control(missing_treated, **SIMULATED).status == "treated_outcome_missing"
    gappy_donor = panel.assign(y=panel["y"].where(~((panel["unit"] == "D5") & (panel["period"] == 2))))
    fit = synthetic_control(gappy_donor, **SIMULATED)
    assert fit.status == "ok" and "D5" not in fit.weights.index
    assert any("D5" in note for note in fit.notes)
    assert placebo_in_time(panel, **SIMULATED, periods_earlier=15).status == "too_few_pre_periods"
    only_treated = panel[panel["unit"] == "T"]
    assert synthetic_control(only_treated, **SIMULATED).status == "no_donors"


# ------------------------------------------------------------ the donor pool of the marts (D40): the nearest teams
def _team_panel(n_donors: int = 30, seed: int = 3) -> pd.DataFrame:
    """A team-month panel shaped like fct_team_month_outcomes: team T adopts at period 12 (+0.08 on its share),
    donor d_k sits k/200 above a common path before and after, so the pool's distances are known."""
    rng = np.random.default_rng(seed)
    common = 0.5 + np.cumsum(rng.normal(0, 0.01, 20))
    rows = [("T", t, 12.0, common[t] + 0.003 + (0.08 if t >= 12 else 0.0)) for t in range(20)]
    rows += [(f"d{k:02d}", t, None, common[t] + k / 200 + rng.normal(0, 0.001)) for k in range(n_donors)
             for t in range(20)]
    return pd.DataFrame(rows, columns=["team", "period_index", "adoption_period_index", "acknowledged_share"])


def test_the_donor_pool_is_the_nearest_teams_before_adoption_above_the_cap() -> None:
    from empathy.stats.synthetic_control_analysis import nearest_donors
    panel = _team_panel()
    donors = sorted(panel.loc[panel["adoption_period_index"].isna(), "team"].unique())
    pool, notes = nearest_donors(panel, "T", 12, donors, "acknowledged_share", 5)
    assert pool == ["d00", "d01", "d02", "d03", "d04"] and "5 of 30" in notes[0]
    assert nearest_donors(panel, "T", 12, donors, "acknowledged_share", 30) == (donors, [])
    # post-adoption values do not choose: the same pool when the donors' later months are scrambled
    later = panel["period_index"] >= 12
    scrambled = panel.assign(acknowledged_share=np.where(later & (panel["team"] != "T"),
                                                         np.random.default_rng(1).random(len(panel)),
                                                         panel["acknowledged_share"]))
    assert nearest_donors(scrambled, "T", 12, donors, "acknowledged_share", 5)[0] == pool
    with pytest.raises(ValueError, match="at least 1"):
        nearest_donors(panel, "T", 12, donors, "acknowledged_share", 0)


def test_the_marts_fit_and_run_placebos_over_the_capped_pool_and_say_so() -> None:
    from empathy.stats.synthetic_control_analysis import SyntheticSettings, synthetic_tables
    panel = _team_panel()
    capped = synthetic_tables(panel, SyntheticSettings(outcomes=("acknowledged_share",), max_donor_teams=8))
    row = capped["summary"].iloc[0]
    assert row["n_teams_donor"] == 8 and row["n_teams_placebo"] == 9
    assert set(capped["weights"]["donor_team"]) == {f"d{k:02d}" for k in range(8)}
    assert "8 of 30 never-adopting teams" in row["detail"]
    assert row["estimate"] == pytest.approx(0.08, abs=0.01)
    whole = synthetic_tables(panel, SyntheticSettings(outcomes=("acknowledged_share",), max_donor_teams=30))
    uncapped = whole["summary"].iloc[0]
    assert uncapped["n_teams_placebo"] == 31 and "never-adopting" not in uncapped["detail"]
