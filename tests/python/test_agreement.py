"""Rater-calibration statistics (empathy.stats.agreement) against statsmodels, the krippendorff package, Krippendorff's
published worked example and hand-computed cases; agreement_table on degenerate input."""
from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from empathy.stats.agreement import (
    GRAINS,
    METRICS,
    STATUSES,
    TABLE_COLUMNS,
    Z_95,
    agreement_table,
    cohen_kappa_table,
    collapse_duplicate_ratings,
    contingency_table,
    krippendorff_alpha,
    percent_agreement,
    reviewer_leniency,
    weighted_cohen_kappa,
)

NAN = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: 4 observers x 12 units with
# missing values (unit 12 has a single value and is not pairable). Published: nominal 0.743, interval 0.849.
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
    [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
])

# Fixed contingency tables (rows rater 1, columns rater 2).
TABLES = {
    "5x5_empty_middle_category": np.array([
        [10, 3, 0, 1, 0],
        [2, 8, 0, 2, 1],
        [0, 0, 0, 0, 0],
        [1, 2, 0, 6, 3],
        [0, 1, 0, 2, 9],
    ]),
    "5x5_dense": np.array([
        [5, 2, 1, 0, 0],
        [3, 9, 4, 1, 0],
        [1, 3, 12, 5, 2],
        [0, 1, 4, 11, 3],
        [0, 0, 1, 2, 7],
    ]),
    "5x5_empty_top_category": np.array([
        [4, 1, 0, 0, 0],
        [2, 6, 2, 0, 0],
        [0, 3, 7, 1, 0],
        [0, 0, 2, 5, 0],
        [0, 0, 0, 0, 0],
    ]),
    "3x3_fleiss": np.array([[106, 10, 4], [22, 28, 10], [2, 12, 6]]),
}


BEHAVIORS = ("acknowledge", "name_emotion", "clarify_need", "offer_options", "close_loop")


def _pairs_from_table(table: np.ndarray, categories=(1, 2, 3, 4, 5)) -> tuple[list[int], list[int]]:
    a, b = [], []
    for i, j in zip(*np.nonzero(table)):
        a += [categories[i]] * int(table[i, j])
        b += [categories[j]] * int(table[i, j])
    return a, b


def _long(records: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=["interaction_key", "behavior_code", "reviewer_id", "score"])


def _matrix_to_long(matrix: np.ndarray, behavior: str = "acknowledge") -> pd.DataFrame:
    rows = [(f"i{u:03d}", behavior, f"r{r}", matrix[r, u])
            for r in range(matrix.shape[0]) for u in range(matrix.shape[1]) if not np.isnan(matrix[r, u])]
    return _long(rows)


# ------------------------------------------------------------------------------------------------ kappa
@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("wt", ["linear", "quadratic", None])
def test_weighted_kappa_equals_statsmodels(name: str, wt: str | None) -> None:
    table = TABLES[name]
    categories = tuple(range(1, table.shape[0] + 1))
    reference = cohens_kappa(table, wt=wt)
    a, b = _pairs_from_table(table, categories)
    assert weighted_cohen_kappa(a, b, categories=categories, weights=wt) == pytest.approx(reference.kappa, abs=1e-12)
    estimate = cohen_kappa_table(table, wt)
    assert estimate.kappa == pytest.approx(reference.kappa, abs=1e-12)
    assert estimate.se == pytest.approx(reference.std_kappa, abs=1e-12)  # Fleiss-Cohen-Everitt (1969)
    assert estimate.status == "ok" and estimate.n == table.sum()


def test_empty_category_keeps_the_scale_spacing() -> None:
    table = TABLES["5x5_empty_middle_category"]
    a, b = _pairs_from_table(table)
    assert np.array_equal(contingency_table(a, b), table)
    full = weighted_cohen_kappa(a, b, weights="linear")
    without_3 = cohen_kappa_table(np.delete(np.delete(table, 2, 0), 2, 1), "linear").kappa
    assert full == pytest.approx(cohens_kappa(table, wt="linear").kappa, abs=1e-12)
    assert abs(full - without_3) > 1e-3  # dropping the unused category would distort linear weights


def test_kappa_degenerate_and_invalid() -> None:
    assert math.isnan(weighted_cohen_kappa([], []))
    assert cohen_kappa_table(np.zeros((5, 5))).status == "no_pairable_items"
    assert math.isnan(weighted_cohen_kappa([3, 3, 3], [3, 3, 3]))
    assert cohen_kappa_table(contingency_table([3, 3], [3, 3]), "linear").status == "no_variance"
    assert weighted_cohen_kappa([1, 2, NAN, 3], [1, 2, 5, 3]) == 1.0  # the pair with a missing score is dropped
    with pytest.raises(ValueError):
        weighted_cohen_kappa([1, 6], [1, 2])
    with pytest.raises(ValueError):
        weighted_cohen_kappa([1, 2], [1, 2], weights="cubic")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------------------- alpha
def test_alpha_reproduces_krippendorff_2011_worked_example() -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_2011, "nominal") == pytest.approx(0.743421052631579, abs=1e-12)
    assert krippendorff_alpha(KRIPPENDORFF_2011, "interval") == pytest.approx(0.849, abs=5e-4)
    ordinal = krippendorff_alpha(KRIPPENDORFF_2011, "ordinal")
    assert ordinal == pytest.approx(0.815, abs=5e-4)
    assert ordinal == pytest.approx(
        krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement="ordinal"), abs=1e-9
    )
    # the long form (units = interaction x behaviour, coders = reviewers) gives the same numbers
    long = _matrix_to_long(KRIPPENDORFF_2011)
    for level in ("nominal", "ordinal", "interval"):
        assert krippendorff_alpha(long, level, categories=(1, 2, 3, 4, 5)) == pytest.approx(
            krippendorff_alpha(KRIPPENDORFF_2011, level), abs=1e-12
        )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_alpha_equals_krippendorff_package_on_random_data(seed: int, level: str) -> None:
    rng = np.random.default_rng(seed)
    n_raters, n_units = int(rng.integers(2, 6)), int(rng.integers(8, 60))
    truth = rng.integers(1, 6, size=n_units)
    noise = rng.choice([-2, -1, 0, 0, 0, 1, 2], size=(n_raters, n_units))
    data = np.clip(truth + noise, 1, 5).astype(float)
    data[rng.random(data.shape) < 0.3] = np.nan
    data[:, 0] = np.nan
    data[0, 0] = 3.0  # a unit with a single rating: not pairable
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    assert krippendorff_alpha(data, level) == pytest.approx(expected, abs=1e-9)
    assert krippendorff_alpha(data, level, categories=(1, 2, 3, 4, 5)) == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement=level, value_domain=[1, 2, 3, 4, 5]), abs=1e-9
    )


def test_alpha_degenerate() -> None:
    assert math.isnan(krippendorff_alpha(np.array([[1.0, NAN], [NAN, 2.0]])))  # nothing pairable
    assert math.isnan(krippendorff_alpha(np.full((3, 4), 3.0)))  # one value only: D_e = 0
    assert math.isnan(krippendorff_alpha(_long([])))
    assert krippendorff_alpha(np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), "ordinal") == 1.0


# ------------------------------------------------------------------------------------- percent agreement
def test_percent_agreement_hand_computed() -> None:
    ratings = _long([
        ("i1", "acknowledge", "A", 3), ("i1", "acknowledge", "B", 3), ("i1", "acknowledge", "C", 4),  # 1 of 3
        ("i2", "acknowledge", "A", 2), ("i2", "acknowledge", "B", 2),  # 1 of 1
        ("i3", "acknowledge", "A", 5),  # single rating: dropped
        ("i4", "acknowledge", "A", 1), ("i4", "acknowledge", "B", 2), ("i4", "acknowledge", "C", 3),  # 0 of 3
        ("i1", "close_loop", "A", 4),  # another item (same interaction, other behaviour): single, dropped
    ])
    result = percent_agreement(ratings)
    assert result.value == pytest.approx(2 / 7, abs=1e-15)
    assert (result.n_items, result.n_pairs, result.n_ratings) == (3, 7, 8)
    assert math.isnan(percent_agreement(_long([])).value)
    # Krippendorff's data: 55 pairs over 11 pairable units, 43 agreeing
    kd = percent_agreement(KRIPPENDORFF_2011)
    assert (kd.n_items, kd.n_pairs, kd.n_ratings) == (11, 55, 40) and kd.value == pytest.approx(43 / 55, abs=1e-15)


def test_duplicate_ratings_collapse_to_rounded_mean() -> None:
    ratings = _long([
        ("i1", "acknowledge", "A", 2), ("i1", "acknowledge", "A", 3),  # mean 2.5 -> 2 (half to even)
        ("i2", "acknowledge", "A", 3), ("i2", "acknowledge", "A", 4),  # mean 3.5 -> 4
        ("i3", "acknowledge", "A", 1), ("i3", "acknowledge", "A", 2), ("i3", "acknowledge", "A", 2),  # 1.67 -> 2
        ("i3", "acknowledge", "B", None),  # null score dropped
    ])
    out = collapse_duplicate_ratings(ratings.sample(frac=1.0, random_state=3))
    assert out["score"].tolist() == [2.0, 4.0, 2.0]
    assert out["interaction_key"].tolist() == ["i1", "i2", "i3"]


# ------------------------------------------------------------------------------------------------ leniency
def _lenient_c() -> pd.DataFrame:
    """A and B agree; C always scores one point above them; item i5 is shared by A and C only; D alone on i6."""
    rows = []
    for item, base in [("i1", 2), ("i2", 3), ("i3", 1), ("i4", 4)]:
        rows += [(item, "acknowledge", "A", base), (item, "acknowledge", "B", base), (item, "acknowledge", "C", base + 1)]
    rows += [("i5", "name_emotion", "A", 3), ("i5", "name_emotion", "C", 4), ("i6", "acknowledge", "D", 2)]
    return _long(rows)


def test_leniency_hand_computed() -> None:
    out = reviewer_leniency(_lenient_c()).set_index("reviewer_id")
    assert out.index.tolist() == ["A", "B", "C", "D"]
    # C: (b+1) - mean(b, b) = +1 on each of its 5 shared items
    assert out.loc["C", "leniency"] == pytest.approx(1.0, abs=1e-15) and out.loc["C", "n_items"] == 5
    assert out.loc["C", "sd"] == 0.0 and out.loc["C", "ci_lower"] == out.loc["C", "ci_upper"] == 1.0
    # B: b - mean(b, b+1) = -0.5 on 4 items
    assert out.loc["B", "leniency"] == pytest.approx(-0.5, abs=1e-15) and out.loc["B", "n_items"] == 4
    # A: four times -0.5 and once 3 - 4 = -1 -> mean -0.6, sd sqrt(0.2/4), half-width 1.96 * sqrt(0.05/5) = 1.96 * 0.1
    assert out.loc["A", "leniency"] == pytest.approx(-0.6, abs=1e-15) and out.loc["A", "n_items"] == 5
    assert out.loc["A", "sd"] == pytest.approx(math.sqrt(0.05), abs=1e-15)
    assert out.loc["A", "ci_lower"] == pytest.approx(-0.6 - Z_95 * 0.1, abs=1e-12)
    assert out.loc["A", "ci_upper"] == pytest.approx(-0.6 + Z_95 * 0.1, abs=1e-12)
    assert out.loc["A", "n_ratings"] == 4 * 3 + 2
    # D shared nothing
    assert out.loc["D", "n_items"] == 0 and math.isnan(out.loc["D", "leniency"])

    by_b = reviewer_leniency(_lenient_c(), by_behavior=True).set_index(["reviewer_id", "behavior_code"])
    assert by_b.loc[("A", "acknowledge"), "leniency"] == pytest.approx(-0.5, abs=1e-15)
    assert by_b.loc[("A", "name_emotion"), "leniency"] == pytest.approx(-1.0, abs=1e-15)
    assert by_b.loc[("A", "name_emotion"), "n_items"] == 1 and math.isnan(by_b.loc[("A", "name_emotion"), "sd"])


def test_leniency_two_reviewers_is_antisymmetric() -> None:
    rows = [(f"i{k}", "acknowledge", "A", s + 1) for k, s in enumerate([1, 2, 3, 4])]
    rows += [(f"i{k}", "acknowledge", "B", s) for k, s in enumerate([1, 2, 3, 4])]
    rows += [("i9", "acknowledge", "A", 3), ("i9", "acknowledge", "B", 3)]
    out = reviewer_leniency(_long(rows)).set_index("reviewer_id")["leniency"]
    assert out["A"] == pytest.approx(0.8, abs=1e-15) and out["B"] == pytest.approx(-0.8, abs=1e-15)


# ------------------------------------------------------------------------------------------ agreement_table
def _check_table(table: pd.DataFrame) -> None:
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert set(table["grain"]) <= set(GRAINS)
    assert set(table["metric"]) <= set(METRICS)
    assert set(table["status"]) <= set(STATUSES)
    ok = table["status"] == "ok"
    assert table.loc[ok, "value"].notna().all()
    assert np.isfinite(table.loc[ok, "value"].to_numpy(dtype=float)).all()
    assert table.loc[~ok, "value"].isna().all()
    assert table.loc[~ok, "ci_lower"].isna().all() and table.loc[~ok, "ci_upper"].isna().all()
    assert str(table["value"].dtype) == "Float64" and str(table["n_items"].dtype) == "Int64"


def _calibration(seed: int = 11, n_interactions: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_interactions):
        reviewers = rng.choice(["rev_a", "rev_b", "rev_c", "rev_d"], size=int(rng.integers(2, 4)), replace=False)
        for b in BEHAVIORS:
            truth = int(rng.integers(1, 6))
            for r in reviewers:
                bias = 1 if r == "rev_d" else 0
                rows.append((f"int{i:03d}", b, str(r), int(np.clip(truth + bias + rng.choice([-1, 0, 0, 1]), 1, 5))))
    return _long(rows)


def _transcript(seed: int = 5, n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    qa = rng.random((n, len(BEHAVIORS))) < 0.5
    det = np.where(rng.random(qa.shape) < 0.8, qa, ~qa)
    return pd.DataFrame([
        (f"int{i:03d}", b, bool(det[i, j]), bool(qa[i, j])) for i in range(n) for j, b in enumerate(BEHAVIORS)
    ], columns=["interaction_key", "behavior_code", "is_detected_in_transcript", "is_present_in_qa"])


def test_agreement_table_matches_the_functions_and_statsmodels() -> None:
    ratings, pairs = _calibration(), _transcript()
    table = agreement_table(ratings, pairs, behaviors=BEHAVIORS)
    _check_table(table)
    assert (table["status"] == "ok").mean() > 0.9

    def one(**kw) -> pd.Series:
        sel = table
        for k, v in kw.items():
            sel = sel[sel[k].isna()] if v is None else sel[sel[k] == v]
        assert len(sel) == 1, kw
        return sel.iloc[0]

    for b in BEHAVIORS:
        sub = ratings[ratings["behavior_code"] == b]
        row = one(grain="behavior", behavior_code=b, metric="percent_agreement")
        assert row["value"] == pytest.approx(percent_agreement(sub).value, abs=1e-15)
        row = one(grain="behavior", behavior_code=b, metric="krippendorff_alpha_ordinal")
        wide = sub.pivot(index="reviewer_id", columns="interaction_key", values="score").to_numpy(dtype=float)
        assert row["value"] == pytest.approx(
            krippendorff.alpha(reliability_data=wide, level_of_measurement="ordinal"), abs=1e-9
        )
        pair_rows = table[(table["grain"] == "reviewer_pair") & (table["behavior_code"] == b)
                          & (table["metric"] == "cohen_kappa_linear")]
        assert len(pair_rows) == 6  # every pair of the four reviewers shares items here
        for _, pr in pair_rows.iterrows():
            assert pr["reviewer_id"] < pr["other_reviewer_id"]
            both = sub.pivot(index="interaction_key", columns="reviewer_id", values="score")[
                [pr["reviewer_id"], pr["other_reviewer_id"]]].dropna()
            ref = cohens_kappa(contingency_table(both.iloc[:, 0], both.iloc[:, 1]), wt="linear")
            assert pr["n_items"] == len(both)
            assert pr["value"] == pytest.approx(ref.kappa, abs=1e-12)
            assert pr["ci_lower"] == pytest.approx(ref.kappa - Z_95 * ref.std_kappa, abs=1e-12)
            assert pr["ci_upper"] == pytest.approx(ref.kappa + Z_95 * ref.std_kappa, abs=1e-12)
        ok_pairs = pair_rows[pair_rows["status"] == "ok"]
        row = one(grain="behavior", behavior_code=b, metric="cohen_kappa_linear_mean_pairwise")
        assert row["value"] == pytest.approx(ok_pairs["value"].astype(float).mean(), abs=1e-12)

        tp = pairs[pairs["behavior_code"] == b]
        row = one(grain="transcript_vs_qa", behavior_code=b, metric="kappa_binary")
        ct = pd.crosstab(tp["is_detected_in_transcript"], tp["is_present_in_qa"]).to_numpy()
        assert row["value"] == pytest.approx(cohens_kappa(ct).kappa, abs=1e-12) and row["n_items"] == len(tp)
        row = one(grain="transcript_vs_qa", behavior_code=b, metric="percent_agreement")
        assert row["value"] == pytest.approx(
            (tp["is_detected_in_transcript"] == tp["is_present_in_qa"]).mean(), abs=1e-15)

    pooled = reviewer_leniency(ratings).set_index("reviewer_id")
    for r in ["rev_a", "rev_b", "rev_c", "rev_d"]:
        row = one(grain="reviewer", reviewer_id=r, behavior_code=None, metric="leniency")
        assert row["value"] == pytest.approx(pooled.loc[r, "leniency"], abs=1e-15)
        assert row["ci_lower"] < row["value"] < row["ci_upper"]
    assert one(grain="reviewer", reviewer_id="rev_d", behavior_code=None, metric="leniency")["value"] > 0.5


def test_agreement_table_is_deterministic() -> None:
    ratings, pairs = _calibration(), _transcript()
    first = agreement_table(ratings, pairs, behaviors=BEHAVIORS)
    second = agreement_table(ratings.sample(frac=1.0, random_state=1), pairs.sample(frac=1.0, random_state=2), behaviors=BEHAVIORS)
    pd.testing.assert_frame_equal(first, second)
    assert list(dict.fromkeys(first["grain"])) == list(GRAINS)
    assert list(dict.fromkeys(first.loc[first["grain"] == "behavior", "behavior_code"])) == list(BEHAVIORS)


def test_agreement_table_min_items() -> None:
    rows = []
    for k in range(5):
        rows += [(f"i{k}", "acknowledge", "A", 1 + k % 5), (f"i{k}", "acknowledge", "B", 1 + (k + 1) % 5)]
    ratings = _long(rows)
    at5 = agreement_table(ratings, None, min_items=5, behaviors=BEHAVIORS)
    at6 = agreement_table(ratings, None, min_items=6, behaviors=BEHAVIORS)
    sel = (at5["behavior_code"] == "acknowledge") & (at5["metric"] == "percent_agreement") & (at5["grain"] == "behavior")
    assert at5.loc[sel, "status"].item() == "ok" and at5.loc[sel, "n_items"].item() == 5
    assert at6.loc[sel, "status"].item() == "too_few_items" and pd.isna(at6.loc[sel, "value"].item())
    _check_table(at5)
    _check_table(at6)


@pytest.mark.parametrize("ratings", [
    None,
    pd.DataFrame(),
    pd.DataFrame(columns=["interaction_key", "behavior_code", "reviewer_id", "score"]),
])
def test_agreement_table_on_empty_input(ratings: pd.DataFrame | None) -> None:
    table = agreement_table(ratings, pd.DataFrame(), behaviors=BEHAVIORS)
    _check_table(table)
    assert (table["status"] != "ok").all()
    assert len(table[table["grain"] == "behavior"]) == 3 * len(BEHAVIORS)
    assert len(table[table["grain"] == "transcript_vs_qa"]) == 2 * len(BEHAVIORS)
    assert set(table["status"]) == {"no_pairable_items"}


def test_agreement_table_one_reviewer() -> None:
    ratings = _long([(f"i{k}", b, "solo", 1 + k % 5) for k in range(10) for b in BEHAVIORS])
    table = agreement_table(ratings, behaviors=BEHAVIORS)
    _check_table(table)
    assert (table["status"] != "ok").all()
    assert "reviewer_pair" not in set(table["grain"])
    lenient = table[table["grain"] == "reviewer"]
    assert len(lenient) == 1 + len(BEHAVIORS) and set(lenient["reviewer_id"]) == {"solo"}
    assert set(lenient["status"]) == {"no_pairable_items"}


def test_agreement_table_constant_scores() -> None:
    ratings = _long([(f"i{k}", b, r, 3) for k in range(10) for b in BEHAVIORS for r in ("A", "B", "C")])
    pairs = pd.DataFrame([(f"i{k}", "acknowledge", True, True) for k in range(10)], columns=[
        "interaction_key", "behavior_code", "is_detected_in_transcript", "is_present_in_qa"])
    table = agreement_table(ratings, pairs, behaviors=BEHAVIORS)
    _check_table(table)
    status = table.set_index(["grain", "behavior_code", "reviewer_id", "other_reviewer_id", "metric"])["status"]
    behavior = table[table["grain"] == "behavior"].set_index(["behavior_code", "metric"])
    for b in BEHAVIORS:
        assert behavior.loc[(b, "percent_agreement"), "value"] == 1.0
        assert behavior.loc[(b, "krippendorff_alpha_ordinal"), "status"] == "no_variance"
        assert behavior.loc[(b, "cohen_kappa_linear_mean_pairwise"), "status"] == "no_valid_pairs"
    kappas = table[(table["grain"] == "reviewer_pair") & (table["metric"] == "cohen_kappa_linear")]
    assert len(kappas) == 3 * len(BEHAVIORS) and set(kappas["status"]) == {"no_variance"}
    lenient = table[table["grain"] == "reviewer"]
    assert set(lenient["status"]) == {"ok"} and (lenient["value"] == 0.0).all()
    tq = table[(table["grain"] == "transcript_vs_qa") & (table["behavior_code"] == "acknowledge")]
    assert tq.set_index("metric").loc["kappa_binary", "status"] == "no_variance"
    assert tq.set_index("metric").loc["percent_agreement", "value"] == 1.0
    assert status.notna().all()


def test_agreement_table_rejects_a_broken_contract() -> None:
    with pytest.raises(ValueError, match="lack the columns"):
        agreement_table(pd.DataFrame({"interaction_key": ["i1"], "score": [3]}), behaviors=BEHAVIORS)
