"""Rater-calibration statistics for the QA rubric: inter-rater agreement, reviewer leniency, transcript vs QA.

QA evaluators score interactions on the five rubric behaviours on an anchored ordinal 1-5 scale; a calibration
sample is scored independently by two or more reviewers. This module turns those scores into the statistics the
calibration mart stores (:func:`agreement_table`), from pure functions that a thin dbt Python model can call.
Everything is computed here with numpy; statsmodels and the ``krippendorff`` package are used only by the tests,
as references.

Inputs
------
*Calibration ratings*, long: ``interaction_key, behavior_code, reviewer_id, score`` (one row per reviewer x
interaction x behaviour). An *item* (Krippendorff's *unit*) is one ``(interaction_key, behavior_code)``.
Rows with a null key, reviewer or score are dropped. When a reviewer appears more than once on the same item, the
duplicates are collapsed to **their mean, rounded to the nearest scale point, halves to even** (``np.round``):
the result does not depend on row order (the input has no reliable order), and stays a scale point so that the
categorical statistics remain defined. :func:`collapse_duplicate_ratings` does this and is applied by every
function taking long ratings.

*Transcript vs QA pairs*, long: ``interaction_key, behavior_code, is_detected_in_transcript, is_present_in_qa``;
each row is one paired observation (rows with a null boolean are dropped; consolidating several QA reviewers into
one boolean is the caller's choice).

Undefined statistics are ``nan`` from the scalar functions; :func:`agreement_table` turns them into a null value
with a ``status`` that says why, and never raises on degenerate input (empty, one reviewer, constant scores).

References
----------
* Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educ. Psychol. Meas.* 20, 37-46.
* Cohen, J. (1968). Weighted kappa. *Psychol. Bull.* 70, 213-220.
* Fleiss, J. L., Cohen, J., Everitt, B. S. (1969). Large sample standard errors of kappa and weighted kappa.
  *Psychol. Bull.* 72, 323-327 (the asymptotic variance; same formula as the SAS FREQ manual and
  ``statsmodels.stats.inter_rater.cohens_kappa``'s ``var_kappa``).
* Cicchetti, D. V., Allison, T. (1971) (linear weights); Fleiss, J. L., Cohen, J. (1973) (quadratic weights).
* Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Annenberg School for Communication,
  University of Pennsylvania, https://repository.upenn.edu/asc_papers/43 (coincidence matrix, difference
  functions, missing data); Krippendorff, K. (2019). *Content Analysis*, 4th ed., ch. 12.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist
from typing import Literal, NamedTuple, Sequence

import numpy as np
import pandas as pd

SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)
RATING_COLUMNS: tuple[str, ...] = ("interaction_key", "behavior_code", "reviewer_id", "score")
PAIR_COLUMNS: tuple[str, ...] = ("interaction_key", "behavior_code", "is_detected_in_transcript", "is_present_in_qa")
ITEM: list[str] = ["interaction_key", "behavior_code"]
Z_95: float = NormalDist().inv_cdf(0.975)

KappaWeights = Literal["linear", "quadratic"] | None
AlphaLevel = Literal["nominal", "ordinal", "interval"]

# Grains, metrics and statuses of agreement_table (the mart's accepted values).
GRAINS: tuple[str, ...] = ("behavior", "reviewer_pair", "reviewer", "transcript_vs_qa")
METRICS: dict[str, str] = {
    "percent_agreement": "share of within-item rating pairs with the same value (pairs pooled over items)",
    "krippendorff_alpha_ordinal": "Krippendorff's alpha, ordinal difference function, all reviewers",
    "cohen_kappa_linear_mean_pairwise": "unweighted mean over reviewer pairs of the linear-weighted Cohen kappa",
    "cohen_kappa_linear": "linear-weighted Cohen kappa of one reviewer pair, with a 95% asymptotic CI",
    "leniency": "mean of (own score - mean of the other reviewers' scores) on shared items, 95% normal CI",
    "kappa_binary": "unweighted Cohen kappa of transcript-detected vs QA-present booleans, 95% asymptotic CI",
}
STATUSES: dict[str, str] = {
    "ok": "value computed",
    "no_pairable_items": "no item carries two or more ratings (or paired observations): nothing to compare",
    "too_few_items": "fewer than min_items items (or paired observations)",
    "no_variance": "chance agreement is total (one value only), so kappa / alpha is 0/0",
    "no_valid_pairs": "no reviewer pair has a kappa with status ok, so there is nothing to average",
}
TABLE_COLUMNS: tuple[str, ...] = (
    "grain", "behavior_code", "reviewer_id", "other_reviewer_id", "metric",
    "value", "ci_lower", "ci_upper", "n_items", "n_ratings", "status",
)


# ----------------------------------------------------------------------------------------------- input handling
def collapse_duplicate_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """One score per reviewer x item: the module's cleaning of long calibration ratings.

    Keeps the four rating columns, drops rows with a null in any of them, and collapses repeated ratings of the
    same reviewer on the same item to their mean rounded half-to-even (``np.round``), which is order-independent.
    Returns a frame sorted by ``interaction_key, behavior_code, reviewer_id`` with a float ``score``.
    """
    if len(ratings) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in RATING_COLUMNS[:3]} | {"score": pd.Series(dtype=float)})
    missing = [c for c in RATING_COLUMNS if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings lack the columns {missing}")
    df = ratings.loc[:, list(RATING_COLUMNS)].dropna()
    df = df.assign(score=pd.to_numeric(df["score"], errors="coerce").astype(float)).dropna(subset=["score"])
    out = df.groupby(list(RATING_COLUMNS[:3]), sort=True, as_index=False)["score"].mean()
    out["score"] = np.round(out["score"].to_numpy(dtype=float))
    return out.reset_index(drop=True)


def _as_long(ratings: pd.DataFrame | np.ndarray | Sequence[Sequence[float]]) -> pd.DataFrame:
    """Long, collapsed ratings from a long frame or a reliability matrix (raters x units, nan = missing)."""
    if isinstance(ratings, pd.DataFrame):
        return collapse_duplicate_ratings(ratings)
    matrix = np.asarray(ratings, dtype=float)
    if matrix.ndim != 2:
        raise ValueError("a reliability matrix must be 2-D: raters x units")
    rater, unit = np.nonzero(~np.isnan(matrix))
    return pd.DataFrame({
        "interaction_key": unit, "behavior_code": "", "reviewer_id": rater, "score": matrix[rater, unit],
    }).sort_values(["interaction_key", "reviewer_id"], ignore_index=True)


def _category_index(values: np.ndarray, categories: Sequence[float]) -> np.ndarray:
    """Position of each value in ``categories``; ValueError on a value outside them."""
    cats = np.asarray(categories, dtype=float)
    if cats.ndim != 1 or len(cats) == 0 or np.any(np.diff(cats) <= 0):
        raise ValueError("categories must be a non-empty, strictly increasing sequence")
    pos = np.searchsorted(cats, values)
    pos_clipped = np.minimum(pos, len(cats) - 1)
    if np.any(cats[pos_clipped] != values):
        bad = sorted(set(np.asarray(values)[cats[pos_clipped] != values].tolist()))
        raise ValueError(f"values {bad[:5]} are not among the categories {tuple(cats.tolist())}")
    return pos_clipped


# ------------------------------------------------------------------------------------------ percent agreement
class PercentAgreement(NamedTuple):
    """Observed (raw) agreement: ``value`` = agreeing pairs / all pairs, over items with two or more ratings."""

    value: float
    n_items: int
    n_pairs: int
    n_ratings: int


def percent_agreement(ratings: pd.DataFrame | np.ndarray | Sequence[Sequence[float]]) -> PercentAgreement:
    """Share of within-item reviewer pairs that gave the same score.

    Estimates the observed agreement P_o of the (unweighted) agreement literature, pooled over pairs: an item
    rated by m reviewers contributes m(m-1)/2 pairs, of which sum_c n_c(n_c-1)/2 agree (n_c = reviewers giving
    score c). Items with fewer than two ratings are dropped. ``ratings`` is long (module docstring) or a
    reliability matrix (raters x units, nan = missing). ``value`` is nan when there is no pair; ``n_ratings``
    counts the ratings on the items used.
    """
    df = _as_long(ratings)
    if df.empty:
        return PercentAgreement(float("nan"), 0, 0, 0)
    m = df.groupby(ITEM, sort=False)["score"].transform("size")
    df = df[m >= 2]
    if df.empty:
        return PercentAgreement(float("nan"), 0, 0, 0)
    per_value = df.groupby([*ITEM, "score"], sort=False).size().to_numpy()
    per_item = df.groupby(ITEM, sort=False).size().to_numpy()
    agree = int((per_value * (per_value - 1) // 2).sum())
    pairs = int((per_item * (per_item - 1) // 2).sum())
    return PercentAgreement(agree / pairs, int(len(per_item)), pairs, int(len(df)))


# --------------------------------------------------------------------------------------------- Cohen's kappa
@dataclass(frozen=True)
class KappaEstimate:
    """Cohen's (weighted) kappa with its large-sample standard error (Fleiss, Cohen & Everitt, 1969)."""

    kappa: float
    se: float
    n: int
    status: str

    def ci(self, z: float = Z_95) -> tuple[float, float]:
        """Wald interval kappa +/- z * se (nan when the SE is not defined)."""
        return (self.kappa - z * self.se, self.kappa + z * self.se)


def contingency_table(a: Sequence[float], b: Sequence[float], categories: Sequence[float] = SCALE) -> np.ndarray:
    """k x k counts of paired scores: rows are rater ``a``'s category, columns rater ``b``'s.

    Pairs where either score is missing (nan/None) are dropped; a score outside ``categories`` is a ValueError.
    Empty categories keep their (zero) row and column, so the weights keep the scale's spacing.
    """
    x = pd.to_numeric(pd.Series(a, dtype="object"), errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(pd.Series(b, dtype="object"), errors="coerce").to_numpy(dtype=float)
    if x.shape != y.shape:
        raise ValueError("a and b must have the same length")
    keep = ~(np.isnan(x) | np.isnan(y))
    k = len(categories)
    table = np.zeros((k, k), dtype=float)
    np.add.at(table, (_category_index(x[keep], categories), _category_index(y[keep], categories)), 1.0)
    return table


def _disagreement_weights(k: int, weights: KappaWeights) -> np.ndarray:
    """Disagreement weights on category positions, scaled to a maximum of 1 (1 - agreement weights)."""
    i = np.arange(k, dtype=float)
    if weights is None:
        return 1.0 - np.eye(k)
    span = max(k - 1, 1)
    if weights == "linear":
        return np.abs(i[:, None] - i[None, :]) / span
    if weights == "quadratic":
        return (i[:, None] - i[None, :]) ** 2 / span**2
    raise ValueError(f"weights must be 'linear', 'quadratic' or None, not {weights!r}")


def cohen_kappa_table(table: np.ndarray | Sequence[Sequence[float]], weights: KappaWeights = None) -> KappaEstimate:
    """Cohen's kappa (weights=None; Cohen 1960) or weighted kappa (Cohen 1968) from a k x k contingency table.

    With observed proportions p_ij, margins p_i., p_.j and disagreement weights v_ij (0 on the diagonal;
    |i-j|/(k-1) linear, Cicchetti-Allison; (i-j)^2/(k-1)^2 quadratic, Fleiss-Cohen; 1 off the diagonal for
    unweighted), kappa_w = 1 - sum v_ij p_ij / sum v_ij p_i. p_.j. Category positions are taken as equally spaced,
    as statsmodels' ``cohens_kappa(table, wt=...)`` does. The SE is the large-sample one of Fleiss, Cohen &
    Everitt (1969) with agreement weights w = 1 - v:
    var = [sum p_ij (w_ij - (wbar_i. + wbar_.j)(1 - kappa))^2 - (kappa - P_e(1 - kappa))^2] / (n (1 - P_e)^2),
    wbar_i. = sum_j p_.j w_ij, wbar_.j = sum_i p_i. w_ij, P_e = sum w_ij p_i. p_.j.
    Status ``no_pairable_items`` for an empty table, ``no_variance`` when the expected disagreement is 0.
    """
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError("the contingency table must be square")
    n = float(t.sum())
    if n <= 0:
        return KappaEstimate(float("nan"), float("nan"), 0, "no_pairable_items")
    v = _disagreement_weights(t.shape[0], weights)
    p = t / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    expected = np.outer(row, col)
    d_exp = float((v * expected).sum())
    if d_exp <= 1e-15:
        return KappaEstimate(float("nan"), float("nan"), int(n), "no_variance")
    kappa = 1.0 - float((v * p).sum()) / d_exp
    w = 1.0 - v
    p_e = float((w * expected).sum())
    w_row = w @ col  # wbar_i.
    w_col = row @ w  # wbar_.j
    term = float((p * (w - (w_row[:, None] + w_col[None, :]) * (1.0 - kappa)) ** 2).sum())
    var = (term - (kappa - p_e * (1.0 - kappa)) ** 2) / (n * (1.0 - p_e) ** 2)
    se = float(np.sqrt(var)) if var >= 0 else float("nan")
    return KappaEstimate(kappa, se, int(n), "ok")


def weighted_cohen_kappa(
    a: Sequence[float],
    b: Sequence[float],
    categories: Sequence[float] = SCALE,
    weights: KappaWeights = "linear",
) -> float:
    """Cohen's weighted kappa of two raters' paired scores (nan when undefined).

    ``a[i]`` and ``b[i]`` are the two raters' scores of item i; pairs with a missing score are dropped. The
    table spans all ``categories`` (empty ones included), then :func:`cohen_kappa_table` applies: linear
    (Cicchetti-Allison), quadratic (Fleiss-Cohen) or, with ``weights=None``, unweighted kappa (Cohen 1960).
    Equals ``statsmodels.stats.inter_rater.cohens_kappa(table, wt=weights)`` on the same table. nan when there
    is no pair or the chance disagreement is 0 (both raters used one and the same category).
    """
    return cohen_kappa_table(contingency_table(a, b, categories), weights).kappa


# --------------------------------------------------------------------------------------- Krippendorff's alpha
@dataclass(frozen=True)
class AlphaEstimate:
    """Krippendorff's alpha with the counts it rests on: pairable units and pairable values (n..)."""

    alpha: float
    n_units: int
    n_values: int
    status: str


def _value_counts(df: pd.DataFrame, categories: Sequence[float]) -> np.ndarray:
    """Units x categories counts n_uc of the long ratings."""
    unit = df.groupby(ITEM, sort=True).ngroup().to_numpy()
    counts = np.zeros((int(unit.max()) + 1 if len(unit) else 0, len(categories)), dtype=float)
    np.add.at(counts, (unit, _category_index(df["score"].to_numpy(dtype=float), categories)), 1.0)
    return counts


def _difference(level: AlphaLevel, categories: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Krippendorff's squared difference function delta^2_ck (2011, section D)."""
    k = len(categories)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "interval":
        return (categories[:, None] - categories[None, :]) ** 2
    if level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        between = cum[hi + 1] - cum[lo]  # sum_{g=c}^{k} n_g
        return (between - (n_c[:, None] + n_c[None, :]) / 2.0) ** 2
    raise ValueError(f"level must be 'nominal', 'ordinal' or 'interval', not {level!r}")


def krippendorff_alpha_estimate(
    ratings: pd.DataFrame | np.ndarray | Sequence[Sequence[float]],
    level: AlphaLevel = "ordinal",
    categories: Sequence[float] | None = None,
) -> AlphaEstimate:
    """Krippendorff's alpha with its counts and status; see :func:`krippendorff_alpha`."""
    df = _as_long(ratings)
    cats = np.asarray(sorted(set(df["score"].tolist())) if categories is None else categories, dtype=float)
    if df.empty or len(cats) == 0:
        return AlphaEstimate(float("nan"), 0, 0, "no_pairable_items")
    counts = _value_counts(df, cats)
    m_u = counts.sum(axis=1)
    counts = counts[m_u >= 2]
    m_u = m_u[m_u >= 2]
    if len(counts) == 0:
        return AlphaEstimate(float("nan"), 0, 0, "no_pairable_items")
    scaled = counts / (m_u - 1.0)[:, None]
    o = scaled.T @ counts - np.diag(scaled.sum(axis=0))  # coincidences o_ck
    n_c = o.sum(axis=0)
    n = float(n_c.sum())
    delta2 = _difference(level, cats, n_c)
    d_exp = float((np.outer(n_c, n_c) * delta2).sum())
    if d_exp <= 1e-12 * max(n, 1.0) ** 2:
        return AlphaEstimate(float("nan"), len(counts), int(round(n)), "no_variance")
    alpha = 1.0 - (n - 1.0) * float((o * delta2).sum()) / d_exp
    return AlphaEstimate(alpha, len(counts), int(round(n)), "ok")


def krippendorff_alpha(
    ratings: pd.DataFrame | np.ndarray | Sequence[Sequence[float]],
    level: AlphaLevel = "ordinal",
    categories: Sequence[float] | None = None,
) -> float:
    """Krippendorff's alpha reliability via the coincidence matrix (Krippendorff 2011), nan when undefined.

    ``ratings`` is either long (module docstring; a unit is an ``(interaction_key, behavior_code)`` item, a
    coder a ``reviewer_id``) or a reliability matrix **raters x units** with nan for a missing rating (the
    orientation of ``krippendorff.alpha(reliability_data=...)``). Units with fewer than two ratings are not
    pairable and are dropped. With n_uc the number of ratings c in unit u and m_u = sum_c n_uc:
    o_ck = sum_u (n_uc n_uk - [c=k] n_uc) / (m_u - 1), n_c = sum_k o_ck, n = sum_c n_c, and
    alpha = 1 - D_o / D_e = 1 - (n - 1) sum_ck o_ck delta^2_ck / sum_ck n_c n_k delta^2_ck, with delta^2 nominal
    [c != k], interval (c - k)^2 on the category values, ordinal (sum_{g=c..k} n_g - (n_c + n_k)/2)^2.
    ``categories`` (default: the observed values) fixes the value domain; a value outside it is a ValueError.
    Empty categories change nothing (their n_g is 0). nan when no unit is pairable or D_e = 0.
    """
    return krippendorff_alpha_estimate(ratings, level, categories).alpha


# ---------------------------------------------------------------------------------------------------- leniency
def _deviations(df: pd.DataFrame) -> pd.DataFrame:
    """Per rating on an item with two or more reviewers: own score - mean of the other reviewers' scores."""
    g = df.groupby(ITEM, sort=False)["score"]
    m = g.transform("size").to_numpy(dtype=float)
    total = g.transform("sum").to_numpy(dtype=float)
    out = df.assign(m=m, deviation=np.nan)
    shared = m >= 2
    s = out["score"].to_numpy(dtype=float)
    out.loc[shared, "deviation"] = s[shared] - (total[shared] - s[shared]) / (m[shared] - 1.0)
    return out


def reviewer_leniency(
    ratings: pd.DataFrame | np.ndarray | Sequence[Sequence[float]], by_behavior: bool = False
) -> pd.DataFrame:
    """Each reviewer's leniency: mean over shared items of (own score - mean of the other reviewers' scores).

    An item (interaction x behaviour) counts for a reviewer when at least one other reviewer scored it too.
    Positive means more lenient (higher) than colleagues on the same work, in scale points. Returns one row per
    reviewer (per reviewer x behaviour with ``by_behavior``), every reviewer present in the input included:
    ``reviewer_id, [behavior_code,] n_items, n_ratings, leniency, sd, ci_lower, ci_upper`` where ``sd`` is the
    sample SD (ddof=1) of the per-item deviations, the CI is the normal approximation
    leniency +/- 1.96 sd / sqrt(n_items), and ``n_ratings`` counts the own and other ratings on those items.
    A reviewer without a shared item has n_items 0 and nan statistics; SD and CI need n_items >= 2.
    Caveat: items of the same interaction are treated as independent, so the pooled CI can be too narrow.
    """
    keys = ["reviewer_id", "behavior_code"] if by_behavior else ["reviewer_id"]
    cols = [*keys, "n_items", "n_ratings", "leniency", "sd", "ci_lower", "ci_upper"]
    df = _as_long(ratings)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c not in keys else "object") for c in cols})
    dev = _deviations(df)
    shared = dev[dev["deviation"].notna()]
    stats = shared.groupby(keys, sort=True).agg(
        n_items=("deviation", "size"), n_ratings=("m", "sum"), leniency=("deviation", "mean"), sd=("deviation", "std")
    )
    everyone = dev[keys].drop_duplicates().sort_values(keys).set_index(keys).index
    out = stats.reindex(everyone).reset_index()
    out["n_items"] = out["n_items"].fillna(0).astype(int)
    out["n_ratings"] = out["n_ratings"].fillna(0).astype(int)
    half = Z_95 * out["sd"] / np.sqrt(out["n_items"].where(out["n_items"] > 0))
    out["ci_lower"] = out["leniency"] - half
    out["ci_upper"] = out["leniency"] + half
    return out.loc[:, cols]


# --------------------------------------------------------------------------------------------- the mart table
def _row(grain: str, metric: str, *, behavior: str | None = None, reviewer: str | None = None,
         other: str | None = None, value: float = float("nan"), ci: tuple[float, float] | None = None,
         n_items: int | None = 0, n_ratings: int | None = 0, status: str = "ok") -> dict:
    """One row of agreement_table; a value is kept only with status ok, and an ok value is never nan."""
    if status == "ok" and not np.isfinite(value):
        status = "no_variance"
    ok = status == "ok"
    lo, hi = ci if (ok and ci is not None) else (float("nan"), float("nan"))
    finite = ok and np.isfinite(lo) and np.isfinite(hi)
    return {
        "grain": grain, "behavior_code": behavior, "reviewer_id": reviewer, "other_reviewer_id": other,
        "metric": metric, "value": float(value) if ok else None,
        "ci_lower": float(lo) if finite else None, "ci_upper": float(hi) if finite else None,
        "n_items": n_items, "n_ratings": n_ratings, "status": status,
    }


def _size_status(n_items: int, min_items: int) -> str:
    if n_items == 0:
        return "no_pairable_items"
    return "too_few_items" if n_items < min_items else "ok"


def _behavior_rows(b: str, df: pd.DataFrame, min_items: int) -> tuple[list[dict], list[dict]]:
    """Rows of the behavior grain and the reviewer_pair grain for one behaviour."""
    rows: list[dict] = []
    pa = percent_agreement(df)
    st = _size_status(pa.n_items, min_items)
    rows.append(_row("behavior", "percent_agreement", behavior=b, value=pa.value, n_items=pa.n_items,
                     n_ratings=pa.n_ratings, status=st))
    al = krippendorff_alpha_estimate(df, "ordinal", SCALE)
    st = _size_status(al.n_units, min_items) if al.n_units < min_items else al.status
    rows.append(_row("behavior", "krippendorff_alpha_ordinal", behavior=b, value=al.alpha, n_items=al.n_units,
                     n_ratings=al.n_values, status=st))

    pair_rows: list[dict] = []
    ok_kappas: list[float] = []
    ok_items: set = set()
    wide = df.pivot(index="interaction_key", columns="reviewer_id", values="score") if len(df) else pd.DataFrame()
    reviewers = sorted(wide.columns, key=str)
    for r1, r2 in combinations(reviewers, 2):
        both = wide[[r1, r2]].dropna()
        if both.empty:
            continue  # reviewers who never shared an item in this behaviour get no row
        n = len(both)
        est = cohen_kappa_table(contingency_table(both[r1], both[r2], SCALE), "linear")
        st = _size_status(n, min_items) if n < min_items else est.status
        pair_rows.append(_row("reviewer_pair", "cohen_kappa_linear", behavior=b, reviewer=str(r1), other=str(r2),
                              value=est.kappa, ci=est.ci(), n_items=n, n_ratings=2 * n, status=st))
        agree = float((both[r1] == both[r2]).mean())
        pair_rows.append(_row("reviewer_pair", "percent_agreement", behavior=b, reviewer=str(r1), other=str(r2),
                              value=agree, n_items=n, n_ratings=2 * n, status=_size_status(n, min_items)))
        if st == "ok":
            ok_kappas.append(est.kappa)
            ok_items.update(both.index.tolist())
    if ok_kappas:
        n_rat = int(df["interaction_key"].isin(ok_items).sum())
        rows.append(_row("behavior", "cohen_kappa_linear_mean_pairwise", behavior=b, value=float(np.mean(ok_kappas)),
                         n_items=len(ok_items), n_ratings=n_rat))
    else:
        st = _size_status(pa.n_items, min_items)
        rows.append(_row("behavior", "cohen_kappa_linear_mean_pairwise", behavior=b, n_items=0, n_ratings=0,
                         status="no_valid_pairs" if st == "ok" else st))
    return rows, pair_rows


def _leniency_rows(df: pd.DataFrame, behaviors: list[str], min_items: int) -> list[dict]:
    rows: list[dict] = []
    pooled = reviewer_leniency(df)
    per_b = reviewer_leniency(df, by_behavior=True).set_index(["reviewer_id", "behavior_code"])
    for rec in pooled.itertuples(index=False):
        scopes = [(None, rec)]
        for b in behaviors:
            if (rec.reviewer_id, b) in per_b.index:
                scopes.append((b, per_b.loc[(rec.reviewer_id, b)]))
        for b, r in scopes:
            n = int(r.n_items)
            rows.append(_row("reviewer", "leniency", behavior=b, reviewer=str(rec.reviewer_id), value=r.leniency,
                             ci=(r.ci_lower, r.ci_upper), n_items=n, n_ratings=int(r.n_ratings),
                             status=_size_status(n, min_items)))
    return rows


def _transcript_rows(pairs: pd.DataFrame, behaviors: list[str], min_items: int) -> list[dict]:
    rows: list[dict] = []
    for b in behaviors:
        sub = pairs[pairs["behavior_code"] == b]
        n = len(sub)
        st = _size_status(n, min_items)
        x = sub["is_detected_in_transcript"].astype(bool).to_numpy()
        y = sub["is_present_in_qa"].astype(bool).to_numpy()
        agree = float((x == y).mean()) if n else float("nan")
        rows.append(_row("transcript_vs_qa", "percent_agreement", behavior=b, value=agree, n_items=n,
                         n_ratings=2 * n, status=st))
        est = cohen_kappa_table(contingency_table(x.astype(float), y.astype(float), (0.0, 1.0)), None)
        rows.append(_row("transcript_vs_qa", "kappa_binary", behavior=b, value=est.kappa, ci=est.ci(), n_items=n,
                         n_ratings=2 * n, status=st if st != "ok" else est.status))
    return rows


def _clean_pairs(transcript_vs_qa: pd.DataFrame | None) -> pd.DataFrame:
    if transcript_vs_qa is None or len(transcript_vs_qa) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in PAIR_COLUMNS})
    missing = [c for c in PAIR_COLUMNS if c not in transcript_vs_qa.columns]
    if missing:
        raise ValueError(f"transcript_vs_qa lacks the columns {missing}")
    return transcript_vs_qa.loc[:, list(PAIR_COLUMNS)].dropna().reset_index(drop=True)


def agreement_table(
    calibration_ratings: pd.DataFrame | None,
    transcript_vs_qa: pd.DataFrame | None = None,
    min_items: int = 5,
    behaviors: Sequence[str] = (),
) -> pd.DataFrame:
    """The calibration mart's long table: one row per statistic (columns :data:`TABLE_COLUMNS`).

    ``behaviors``: the rubric's codes in display order (the ``empathy_behaviors`` seed, passed in by the model).
    Rows, in this order (behaviours in ``behaviors`` order, then any other observed code sorted; reviewers sorted
    as strings; a pair is ``reviewer_id < other_reviewer_id``):

    * ``behavior``: ``percent_agreement`` (:func:`percent_agreement`), ``krippendorff_alpha_ordinal``
      (:func:`krippendorff_alpha`, all reviewers, domain 1-5) and ``cohen_kappa_linear_mean_pairwise`` (unweighted
      mean of the ok pair kappas; n_items = distinct items those pairs share);
    * ``reviewer_pair`` (per behaviour, pairs sharing at least one item): ``cohen_kappa_linear`` with the
      Fleiss-Cohen-Everitt 95% CI, and ``percent_agreement``;
    * ``reviewer``: ``leniency`` (:func:`reviewer_leniency`) all behaviours pooled (``behavior_code`` null), then
      per behaviour;
    * ``transcript_vs_qa`` (per behaviour): ``percent_agreement`` and ``kappa_binary`` (unweighted Cohen kappa of
      the two booleans, 95% CI).

    ``n_items`` is the items (or paired observations) behind the value, ``n_ratings`` the ratings behind it.
    A statistic on fewer than ``min_items`` items is null with status ``too_few_items`` (``no_pairable_items``
    at zero); kappa/alpha with no chance disagreement is null with ``no_variance``. Scores off the 1-5 scale
    are dropped (staging quarantines them already). Never raises on degenerate input; a non-empty input that
    lacks a required column is a ValueError.
    """
    ratings = collapse_duplicate_ratings(calibration_ratings if calibration_ratings is not None else pd.DataFrame())
    ratings = ratings[ratings["score"].isin(SCALE)].reset_index(drop=True)
    pairs = _clean_pairs(transcript_vs_qa)
    observed = set(ratings["behavior_code"].astype(str)) | set(pairs["behavior_code"].astype(str))
    order = list(dict.fromkeys(behaviors)) + sorted(observed - set(behaviors))

    behavior_rows: list[dict] = []
    pair_rows: list[dict] = []
    for b in order:
        sub = ratings[ratings["behavior_code"].astype(str) == b]
        rows, prs = _behavior_rows(b, sub, min_items)
        behavior_rows += rows
        pair_rows += prs
    rows = behavior_rows + pair_rows + _leniency_rows(ratings, order, min_items) + _transcript_rows(pairs, order, min_items)
    out = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    for c in ("grain", "behavior_code", "reviewer_id", "other_reviewer_id", "metric", "status"):
        out[c] = out[c].astype("string")
    for c in ("value", "ci_lower", "ci_upper"):
        out[c] = pd.array(out[c].tolist(), dtype="Float64")
    for c in ("n_items", "n_ratings"):
        out[c] = pd.array(out[c].tolist(), dtype="Int64")
    return out
