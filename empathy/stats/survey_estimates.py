"""Weighted CSAT and NPS for the warehouse: glue between the dbt models and the statistics modules.

Both surveys are weighted in four stages (:func:`weight_invited`, decision D24): design weight 1/π → nonresponse
adjustment from a design-weighted logistic response model on what the frame knows of respondents and nonrespondents
alike (:mod:`empathy.stats.propensity`; or propensity classes, or weighting-class cells) → raking to the population
(CSAT pulses: the eligible interactions; relationship NPS: the accounts active at each wave's reference date, raked
within the wave) → trimming and re-raking (:mod:`empathy.stats.weights`).

Estimates (:func:`estimate_table`) are ratio means with two variances: the delete-a-group jackknife over customers,
re-running the whole weighting in every replicate (:func:`replicate_weights`, :mod:`empathy.stats.replicates`;
the default, with Student-t intervals) and the Taylor-linearised one that treats the weights as fixed
(:func:`empathy.stats.weights.survey_estimate`, Wolter 2007 ch. 6). The naive (unweighted) estimate sits beside the
weighted one.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from empathy.stats.propensity import design_matrix, fit_response_propensity, propensity_adjust
from empathy.stats.replicates import (
    jackknife_groups,
    jackknife_variance,
    replicate_ratio_estimates,
    t_quantile,
)
from empathy.stats.weights import (
    RakingNotConverged,
    WeightingError,
    design_weights,
    kish_design_effect,
    margin_comparison,
    nonresponse_adjust,
    standardized_mean_differences,
    statistic_values,
    survey_estimate,
    trim_and_rerake,
)

METHOD = "taylor_linearization"


class NoRespondents(WeightingError):
    """No usable response at all: there is nothing to weight (a young or tiny dataset), not an error in the data."""
WEIGHT_STAGES = ("design_weight", "nonresponse_weight", "raked_weight", "final_weight")
DIAGNOSTIC_COLUMNS = [
    "survey_type", "diagnostic", "scope", "weight_stage", "n", "min_weight", "max_weight", "kish_design_effect",
    "design_effect_ceiling", "effective_n", "share_trimmed", "margin", "category", "population_total",
    "population_share", "sample_n", "unweighted_share", "weighted_total", "weighted_share", "share_difference",
    "population_value", "unweighted_value", "weighted_value", "sd", "smd_unweighted", "smd_weighted", "trim_cap",
    "trim_rounds", "is_trim_cap_satisfied", "collapsed_response_cells", "collapsed_margin_categories", "n_invited",
    "response_rate",
]


def margins_from_long(margins_long: pd.DataFrame, names: Sequence[str]) -> dict[str, pd.Series]:
    """Population totals per margin from rows (margin, category, population_count)."""
    margins = {}
    for name in names:
        rows = margins_long[margins_long["margin"] == name]
        if rows.empty:
            raise WeightingError(f"no population counts for raking margin {name!r}")
        margins[name] = rows.set_index("category")["population_count"].astype(float)
    return margins


def unreachable_margin_collapse(
    respondents_categories: dict[str, set], margins: dict[str, pd.Series]
) -> dict[str, dict[str, str]]:
    """Pool every margin category that has population but no respondent into its nearest category, in sorted
    order, that has respondents (the next one, else the previous one).

    Sorted order makes the neighbour of a month the adjacent month; for nominal margins (channel) the choice is
    arbitrary but stated in the diagnostics. Raking cannot reach a category without respondents, so the
    alternative is to fail the whole build on a small or young dataset.
    """
    collapse: dict[str, dict[str, str]] = {}
    for name, totals in margins.items():
        categories = sorted(str(c) for c in totals.index)
        reachable = [c for c in categories if c in respondents_categories.get(name, set())]
        if not reachable:
            continue
        for position, category in enumerate(categories):
            if category in reachable or totals.get(category, 0) <= 0:
                continue
            later = [c for c in categories[position + 1:] if c in reachable]
            earlier = [c for c in categories[:position] if c in reachable]
            collapse.setdefault(name, {})[category] = later[0] if later else earlier[-1]
    return collapse


def apply_margin_collapse(
    sample: pd.DataFrame, margins: dict[str, pd.Series], collapse: dict[str, dict[str, str]]
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The sample columns and margin totals with pooled categories merged into the category they were pooled into."""
    sample = sample.copy()
    pooled_margins = {}
    for name, totals in margins.items():
        mapping = collapse.get(name, {})
        sample[name] = sample[name].astype(str).replace(mapping)
        pooled_margins[name] = totals.groupby(lambda c, m=mapping: m.get(str(c), str(c))).sum()
    return sample, pooled_margins


def _cells(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """The cell label of every row: the values of ``columns`` joined by " | " (vectorised)."""
    columns = list(columns)
    label = frame[columns[0]].astype(str)
    for column in columns[1:]:
        label = label + " | " + frame[column].astype(str)
    return label


@dataclass(frozen=True)
class WeightingPlan:
    """How one survey is weighted after its design weights (vars ``survey_weighting`` and ``nps_weighting``).

    nonresponse_method: ``inverse_propensity`` (design weight / estimated response propensity, floored at
        ``min_propensity``), ``propensity_classes`` (weighting-class adjustment in ``n_propensity_classes`` classes
        of similar propensity) or ``cells`` (weighting-class adjustment in the cells of ``response_cells``).
    response_covariates: frame columns of the logistic response model (propensity methods).
    margin_names: columns of the invited frame whose population totals the weights are raked to.
    cap_rule, cap_value: the trimming cap (:func:`empathy.stats.weights.trim_and_rerake`).
    """

    nonresponse_method: str
    response_covariates: tuple[str, ...]
    margin_names: tuple[str, ...]
    response_cells: tuple[str, ...] = ()
    min_propensity: float = 0.02
    n_propensity_classes: int = 5
    cap_rule: str = "mean_multiple"
    cap_value: float = 5.0

    @classmethod
    def from_config(cls, config: dict, margin_names: Sequence[str] | None = None) -> "WeightingPlan":
        """The plan from a var dict (keys as the fields; lists for the column lists)."""
        return cls(
            nonresponse_method=str(config.get("nonresponse_method", "inverse_propensity")),
            response_covariates=tuple(config.get("response_covariates") or ()),
            margin_names=tuple(margin_names if margin_names is not None else config.get("margins") or ()),
            response_cells=tuple(config.get("response_cells") or ()),
            min_propensity=float(config.get("min_propensity", 0.02)),
            n_propensity_classes=int(config.get("propensity_classes", 5)),
            cap_rule=str(config.get("trim_cap_rule", "mean_multiple")),
            cap_value=float(config.get("trim_cap_value", 5.0)),
        )


def weight_invited(invited: pd.DataFrame, margins: dict[str, pd.Series], plan: WeightingPlan,
                   design: pd.DataFrame | None = None, start: pd.Series | None = None
                   ) -> tuple[pd.DataFrame, dict]:
    """Weight the respondents of one survey: design → nonresponse → raking to the population margins → trimming.

    ``invited``: one row per invitation with ``selection_probability``, ``has_responded``, the covariate, cell and
    margin columns (margin columns as strings). ``margins``: population totals per margin category. Margin
    categories with population but no respondent are pooled into their nearest sorted neighbour that has one.
    Returns (respondents with ``design_weight``, ``response_propensity`` (NaN for the cell method),
    ``nonresponse_weight``, ``raked_weight``, ``final_weight``, ``adjustment_cell``; info: the trim result, the
    margin collapses, the propensity fit's convergence and the nonresponse method used). ``design``: the response
    model's design matrix of these rows when already computed (the jackknife replicates reuse the full sample's);
    ``start``: the response model's coefficients to start from (the replicates start from the full sample's).

    Degenerate input does not fail: when every invitation was answered the nonresponse weight is the design weight
    (``everyone_responded``); when fewer respondents (or nonrespondents) remain than the response model has
    parameters, the adjustment falls back to weighting classes in the sampling strata (``too_few_for_model``).
    """
    frame = invited.copy()
    if len(frame) == 0 or not frame["has_responded"].astype(bool).any():
        raise NoRespondents("no invitation has a usable response")
    frame["design_weight"] = design_weights(frame["selection_probability"], frame.get("sampling_stratum"))
    info: dict = {"propensity_converged": None, "nonresponse_method": plan.nonresponse_method}
    responded = frame["has_responded"].astype(bool)
    method = plan.nonresponse_method
    if method != "cells" and responded.all():
        method = "everyone_responded"
    elif method != "cells":
        if design is None:
            design = design_matrix(frame, plan.response_covariates)
        n_parameters = int(((design.max() - design.min()) > 0).sum()) + 1
        if min(int(responded.sum()), int((~responded).sum())) < n_parameters:
            method = "too_few_for_model"
    info["nonresponse_method"] = method
    if method == "everyone_responded":
        # nothing to adjust for: every invitation was answered
        nonresponse = frame["design_weight"].rename("nonresponse_weight")
        adjustment_cell = pd.Series("everyone_responded", index=frame.index)
        propensity = pd.Series(1.0, index=frame.index)
    elif method in ("cells", "too_few_for_model"):
        # the cells of var response_cells, or, when too few answered or too few did not to fit the response
        # model, the sampling strata (weighting-class adjustment, empty cells pooled with the next)
        cell_columns = plan.response_cells if method == "cells" else ("sampling_stratum",)
        frame["response_cell"] = _cells(frame, cell_columns)
        adjusted = nonresponse_adjust(frame, ["response_cell"], "has_responded", "design_weight",
                                      collapse=sorted(frame["response_cell"].unique()))
        nonresponse = adjusted.weights
        cells = adjusted.cells.set_index("response_cell")["adjustment_cell"].astype(str)
        adjustment_cell = frame.loc[nonresponse.index, "response_cell"].map(cells)
        if method == "too_few_for_model":
            adjustment_cell = "too_few_for_model: " + adjustment_cell
        propensity = pd.Series(np.nan, index=frame.index)
    else:
        fit = fit_response_propensity(frame, plan.response_covariates, "has_responded", "design_weight",
                                      design=design, start=start)
        propensity = fit.propensity
        info["propensity_converged"] = fit.converged
        info["coefficients"] = fit.coefficients
        nonresponse, adjustment_cell = propensity_adjust(
            frame, propensity, "has_responded", "design_weight", method=plan.nonresponse_method,
            min_propensity=plan.min_propensity, n_classes=plan.n_propensity_classes)
    respondents = frame.loc[nonresponse.index].copy()
    respondents["response_propensity"] = propensity.loc[nonresponse.index]
    respondents["nonresponse_weight"] = nonresponse
    respondents["adjustment_cell"] = adjustment_cell.astype(str)
    for column in plan.margin_names:
        respondents[column] = respondents[column].astype(str)
    collapse = unreachable_margin_collapse({m: set(respondents[m]) for m in plan.margin_names}, margins)
    try:
        trim = trim_and_rerake(respondents, "nonresponse_weight", margins, cap_rule=plan.cap_rule,
                               cap_value=plan.cap_value, collapse=collapse)
    except RakingNotConverged as error:
        # too few respondents to meet every margin at once (structural zeros): scale to the population total
        # instead, and say so on every row rather than failing the build
        trim = None
        total = float(next(iter(margins.values())).sum()) if margins else float(respondents["nonresponse_weight"].sum())
        scaled = respondents["nonresponse_weight"] * total / respondents["nonresponse_weight"].sum()
        respondents["raked_weight"] = scaled
        respondents["final_weight"] = scaled
        respondents["trim_cap"] = np.nan
        respondents["is_trimmed"] = False
        respondents["trim_rounds"] = 0
        respondents["is_trim_cap_satisfied"] = False
        respondents["raking_status"] = f"not_raked: {error}"[:300]
    else:
        respondents["raked_weight"] = trim.raked_weights
        respondents["final_weight"] = trim.weights
        respondents["trim_cap"] = trim.cap
        respondents["is_trimmed"] = respondents["raked_weight"] > trim.cap
        respondents["trim_rounds"] = trim.rounds
        respondents["is_trim_cap_satisfied"] = trim.cap_satisfied
        respondents["raking_status"] = "raked"
    respondents["margin_collapses"] = "; ".join(
        f"{name}: {category} -> {into}" for name, pooled in collapse.items() for category, into in pooled.items())
    info.update({"trim": trim, "margin_collapse": collapse})
    return respondents, info


def replicate_weights(invited: pd.DataFrame, margins: dict[str, pd.Series], plan: WeightingPlan,
                      respondents: pd.DataFrame, psu_column: str, n_groups: int, key: str = "invitation_id"
                      ) -> tuple[np.ndarray, list[int]]:
    """Delete-a-group jackknife replicate weights (:mod:`empathy.stats.replicates`): for each group r, the units of
    group r leave the frame, the others' selection probabilities are divided by R/(R − 1) (design weights times
    R/(R − 1)) and :func:`weight_invited` runs again from the design weights. Returns the (respondents × R) matrix
    aligned with ``respondents`` on ``key`` (0 for the dropped group) and the replicates whose weighting failed
    (their column is NaN; estimates then fall back to the Taylor variance and say so)."""
    groups = jackknife_groups(invited[psu_column], n_groups).to_numpy()
    design = None if plan.nonresponse_method == "cells" else design_matrix(invited, plan.response_covariates)
    # only what the weighting reads travels into the replicates (copying wide text columns dominated their cost)
    needed = {key, "selection_probability", "has_responded", "sampling_stratum", "response_cell",
              *plan.margin_names, *plan.response_cells, *plan.response_covariates}
    invited = invited[[c for c in invited.columns if c in needed]]
    _, full = weight_invited(invited, margins, plan, design)
    start = full.get("coefficients")
    matrix = np.zeros((len(respondents), n_groups))
    failed: list[int] = []
    position = pd.Series(np.arange(len(respondents)), index=respondents[key].to_numpy())
    for group in range(n_groups):
        keep = groups != group
        kept = invited[keep].copy()
        kept["selection_probability"] = kept["selection_probability"] * (n_groups - 1) / n_groups
        try:
            weighted, _ = weight_invited(kept, margins, plan, None if design is None else design[keep], start)
        except WeightingError:
            failed.append(group)
            matrix[:, group] = np.nan
            continue
        matrix[position.loc[weighted[key].to_numpy()].to_numpy(), group] = weighted["final_weight"].to_numpy()
    return matrix, failed


def replicate_long(respondents: pd.DataFrame, matrix: np.ndarray, key: str = "invitation_id") -> pd.DataFrame:
    """The replicate matrix as rows (key, replicate_id 1..R, replicate_weight); failed replicates are left out."""
    n_rows, n_replicates = matrix.shape
    out = pd.DataFrame({
        key: np.repeat(respondents[key].to_numpy(), n_replicates),
        "replicate_id": np.tile(np.arange(1, n_replicates + 1), n_rows),
        "replicate_weight": matrix.ravel(),
    })
    return out[out["replicate_weight"].notna()].reset_index(drop=True)


def replicate_long_chunks(respondents: pd.DataFrame, matrix: np.ndarray, key: str = "invitation_id",
                          max_rows: int = 2_000_000) -> Iterator[pd.DataFrame]:
    """:func:`replicate_long` a block of respondents at a time (about ``max_rows`` rows per block, at least one
    block): the blocks together are its rows in its order, and a writer (empathy.frames.written_in_chunks) never
    holds them all (tens of millions of rows at a million customers, D40)."""
    step = max(1, max_rows // max(matrix.shape[1], 1))
    for start in range(0, max(len(respondents), 1), step):
        yield replicate_long(respondents.iloc[start : start + step], matrix[start : start + step], key)


def replicate_matrix(respondents: pd.DataFrame, long: pd.DataFrame, key: str = "invitation_id") -> np.ndarray:
    """Back from rows to the (respondents × R) matrix aligned with ``respondents`` (R = the highest replicate id;
    a replicate missing from the rows is a NaN column)."""
    if long.empty:
        return np.zeros((len(respondents), 0))
    n_replicates = int(long["replicate_id"].max())
    wide = long.pivot(index=key, columns="replicate_id", values="replicate_weight")
    wide = wide.reindex(index=respondents[key].to_numpy(), columns=range(1, n_replicates + 1))
    return wide.to_numpy(dtype=float)


def _pulse_frame(invitations: pd.DataFrame, plan: WeightingPlan) -> pd.DataFrame:
    """The invited pulses as the weighting reads them: margin columns as text, and the response cell."""
    frame = invitations.copy()
    for column in plan.margin_names:
        frame[column] = frame[column].astype(str)
    frame["response_cell"] = _cells(frame, plan.response_cells or ("channel", "sampling_stratum"))
    return frame


def empty_replicates() -> pd.DataFrame:
    """The replicate-weight table with no rows (no usable answer, or replicate_groups below 2)."""
    return pd.DataFrame({"invitation_id": pd.Series(dtype="string"), "replicate_id": pd.Series(dtype="int64"),
                         "replicate_weight": pd.Series(dtype="float64")})


def weight_csat_pulses(invitations: pd.DataFrame, margins_long: pd.DataFrame, plan: WeightingPlan
                       ) -> tuple[pd.DataFrame, dict]:
    """Weights per responding CSAT pulse: the population is the eligible interactions (``margins_long``: counts per
    margin and category); see :func:`weight_invited`."""
    if len(invitations) == 0 or not invitations["has_responded"].astype(bool).any():
        raise NoRespondents("no CSAT pulse invitation has a usable response")
    respondents, info = weight_invited(_pulse_frame(invitations, plan),
                                       margins_from_long(margins_long, plan.margin_names), plan)
    return respondents, info


def nps_margins(frame: pd.DataFrame, margin_names: Sequence[str]) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Relationship NPS is raked within each wave: for every margin m a column ``<m>_by_wave`` = "wave | level" on
    the frame, and its population totals = distinct customers of the wave's frame per level. Returns (frame with
    the new columns, totals per ``<m>_by_wave``)."""
    frame = frame.copy()
    totals = {}
    for margin in margin_names:
        column = f"{margin}_by_wave"
        frame[column] = frame["wave"].astype(str) + " | " + frame[margin].astype("string").fillna("unknown")
        totals[column] = frame.groupby(column)["customer_key"].nunique().astype(float)
    return frame, totals


def _nps_invited(frame: pd.DataFrame, plan: WeightingPlan
                 ) -> tuple[pd.DataFrame, dict[str, pd.Series], WeightingPlan]:
    """The invited rows of the NPS frame with the within-wave margin columns, the frame's totals, and the plan whose
    margins are those columns."""
    frame, totals = nps_margins(frame, plan.margin_names)
    by_wave = replace(plan, margin_names=tuple(f"{m}_by_wave" for m in plan.margin_names))
    return frame[frame["invitation_id"].notna()], totals, by_wave


def weight_relationship_nps(frame: pd.DataFrame, plan: WeightingPlan) -> tuple[pd.DataFrame, dict]:
    """Weights per responding relationship-NPS invitation. ``frame``: one row per wave and frame customer (accounts
    active at the wave's reference date; invited rows carry the invitation), so the nonresponse model and the
    raking margins know respondents and nonrespondents alike; see :func:`weight_invited`."""
    invited, totals, by_wave = _nps_invited(frame, plan)
    respondents, info = weight_invited(invited, totals, by_wave)
    info["plan"], info["totals"] = by_wave, totals
    return respondents, info


ESTIMATE_COLUMNS = [
    "metric", "group_by", "group_value", "respondents", "effective_n", "naive_estimate", "naive_se",
    "naive_ci_lower", "naive_ci_upper", "weighted_estimate", "weighted_se", "weighted_ci_lower", "weighted_ci_upper",
    "taylor_std_error", "taylor_ci_lower", "taylor_ci_upper", "n_replicates", "deff_kish", "variance_method",
    "status",
]
REPLICATE_METHOD = "delete_a_group_jackknife"


def _replicate_errors(data: pd.DataFrame, column: str, statistic: str, by: str | None, labels: pd.Series,
                      estimates: pd.Series, replicates: np.ndarray) -> pd.Series:
    """Jackknife standard error of each row (domain ``labels`` of column ``by``), NaN where a replicate cannot
    estimate it (a failed replicate, or one that dropped every respondent of the domain)."""
    values, _ = statistic_values(data, column, statistic)
    if by is None:
        codes, uniques = np.zeros(len(data), dtype=np.int64), pd.Index(["all"])
    else:
        codes, uniques = pd.factorize(data[by].astype(str), sort=True)
    replicate_estimates, _ = replicate_ratio_estimates(values, replicates, np.asarray(codes), len(uniques))
    position = {label: i for i, label in enumerate(uniques)}
    errors = []
    for label, full in zip(labels, estimates):
        row = replicate_estimates[position[label]]
        errors.append(float(np.sqrt(jackknife_variance(full, row))) if np.all(np.isfinite(row)) else np.nan)
    return pd.Series(errors, index=labels.index)


def nps_replicate_weights(frame: pd.DataFrame, plan: WeightingPlan, respondents: pd.DataFrame, n_groups: int
                          ) -> tuple[np.ndarray, list[int]]:
    """Replicate weights of relationship NPS (PSU = customer), re-running :func:`weight_relationship_nps`'s
    weighting within waves in every replicate."""
    invited, totals, by_wave = _nps_invited(frame, plan)
    return replicate_weights(invited, totals, by_wave, respondents, "customer_key", n_groups)


def csat_replicate_weights(invitations: pd.DataFrame, margins_long: pd.DataFrame, plan: WeightingPlan,
                           respondents: pd.DataFrame, n_groups: int) -> tuple[np.ndarray, list[int]]:
    """Replicate weights of CSAT pulses (PSU = customer: a customer's pulses leave a replicate together)."""
    frame = _pulse_frame(invitations, plan)
    frame["psu"] = frame["customer_key"].fillna(frame["invitation_id"])
    return replicate_weights(frame, margins_from_long(margins_long, plan.margin_names), plan, respondents, "psu",
                             n_groups)


def estimate_table(
    respondents: pd.DataFrame,
    metrics: Sequence[tuple[str, str, str]],
    groupings: Sequence[str],
    weight_column: str = "final_weight",
    replicates: np.ndarray | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Naive and weighted estimates, overall and per grouping column, for each (metric, column, statistic).

    The weighted estimate's standard error and interval come from the replicate weights when ``replicates`` (a
    respondents × R matrix of jackknife replicate weights, :func:`replicate_weights`) is given: v_JK, Student t
    with R − 1 degrees of freedom (:mod:`empathy.stats.replicates`). The Taylor-linearised standard error that treats
    the final weights as fixed sits beside it (``taylor_*``). A row the replicates cannot estimate (a failed
    replicate, or a replicate without any respondent of the group) keeps the Taylor interval and says so in
    ``variance_method`` and ``status`` (``ok_taylor_fallback``).
    """
    use_replicates = replicates is not None and replicates.shape[1] >= 2
    parts = []
    for metric, column, statistic in metrics:
        present = respondents[column].notna().to_numpy()
        data = respondents[present]
        if data.empty:
            # nothing answered: the mart still says so, one row per metric, rather than being an empty table
            parts.append(pd.DataFrame([{"metric": metric, "group_by": "overall", "group_value": "all",
                                        "respondents": 0, "status": "no_respondents"}]))
            continue
        for grouping in ("overall", *groupings):
            by = None if grouping == "overall" else grouping
            try:
                table = survey_estimate(data, column, weight_column, statistic=statistic, by=by,
                                        confidence=confidence)
            except WeightingError as error:
                # e.g. a single respondent: no variance can be estimated; say so instead of failing the build
                parts.append(pd.DataFrame([{
                    "metric": metric, "group_by": grouping, "group_value": "all", "respondents": len(data),
                    "status": f"not_estimable: {error}"[:500],
                }]))
                continue
            if by is not None:
                table = table[table["scope"] == "group"]
                table = table.assign(group_value=table[by].astype(str))
            else:
                table = table[table["scope"] == "overall"].assign(group_value="all")
            table = table.assign(metric=metric, group_by=grouping, taylor_std_error=table["se"],
                                 taylor_ci_lower=table["ci_lower"], taylor_ci_upper=table["ci_upper"],
                                 variance_method=METHOD, status="ok", n_replicates=0)
            if use_replicates:
                jk = _replicate_errors(data, column, statistic, by, table["group_value"], table["estimate"],
                                       replicates[present])
                usable = jk.notna()
                t = t_quantile(replicates.shape[1], confidence)
                table.loc[usable, "se"] = jk[usable]
                table.loc[usable, "ci_lower"] = table["estimate"][usable] - t * jk[usable]
                table.loc[usable, "ci_upper"] = table["estimate"][usable] + t * jk[usable]
                table.loc[usable, "variance_method"] = REPLICATE_METHOD
                table.loc[usable, "n_replicates"] = replicates.shape[1]
                table.loc[~usable, "status"] = "ok_taylor_fallback"
            parts.append(table.rename(columns={"n": "respondents"}))
    if not parts:  # no metric asked for
        return empty_frame(ESTIMATE_COLUMNS, text=["metric", "group_by", "group_value", "variance_method", "status"])
    out = pd.concat(parts, ignore_index=True)
    out = out.rename(columns={"estimate": "weighted_estimate", "se": "weighted_se", "ci_lower": "weighted_ci_lower",
                              "ci_upper": "weighted_ci_upper"}).reindex(columns=ESTIMATE_COLUMNS)
    for column in ("metric", "group_by", "group_value", "variance_method", "status"):
        out[column] = out[column].astype("string")  # text even when every row is not_estimable
    return out


def empty_frame(columns: Sequence[str], text: Sequence[str] = ()) -> pd.DataFrame:
    """A zero-row frame with typed columns (text columns as strings, the rest as floats), so an empty mart still
    has its schema."""
    return pd.DataFrame({c: pd.Series(dtype="string" if c in text else "float64") for c in columns})


def pulse_diagnostics(
    respondents: pd.DataFrame,
    margins_long: pd.DataFrame,
    margin_names: Sequence[str],
    design_effect_ceiling: float | None = None,
) -> pd.DataFrame:
    """Weight diagnostics in one long table (diagnostic, scope, margin, category, value columns):

    - `weights`: per period and overall, for each stage: n, min, max, Kish design effect, effective n, share
      trimmed;
    - `margin`: per raked margin and category, the weighted sample share beside the population share;
    - `smd`: per margin category, the standardized difference from the population before and after weighting.
    """
    margins = margins_from_long(margins_long, margin_names)
    collapse = unreachable_margin_collapse({m: set(respondents[m].astype(str)) for m in margin_names}, margins)
    pooled_sample, pooled_margins = apply_margin_collapse(respondents, margins, collapse)
    diagnostics = weight_stage_diagnostics(respondents, WEIGHT_STAGES)
    comparison = margin_comparison(pooled_sample, "final_weight", pooled_margins).assign(
        diagnostic="margin", scope="overall"
    )
    smd = standardized_mean_differences(pooled_sample, pooled_margins, margin_names, "final_weight").rename(
        columns={"covariate": "margin", "level": "category"}
    ).assign(diagnostic="smd", scope="overall")
    out = pd.concat([diagnostics, comparison, smd], ignore_index=True)
    out["category"] = out["category"].astype("string")
    out["trim_cap"] = float(respondents["trim_cap"].iloc[0])
    out["trim_rounds"] = int(respondents["trim_rounds"].iloc[0])
    out["is_trim_cap_satisfied"] = bool(respondents["is_trim_cap_satisfied"].iloc[0])
    by_cells = respondents["response_propensity"].isna() if "response_propensity" in respondents else True
    collapsed = respondents.loc[(respondents["adjustment_cell"] != respondents["response_cell"]) & by_cells,
                                ["response_cell", "adjustment_cell"]].drop_duplicates()
    out["collapsed_response_cells"] = "; ".join(f"{a} -> {b}" for a, b in collapsed.itertuples(index=False))
    out["collapsed_margin_categories"] = "; ".join(
        f"{name}: {category} -> {into}" for name, pooled in collapse.items() for category, into in pooled.items()
    )
    out["design_effect_ceiling"] = design_effect_ceiling
    out["survey_type"] = "csat_pulse"
    return out.reindex(columns=DIAGNOSTIC_COLUMNS)


def weight_stage_diagnostics(respondents: pd.DataFrame, stages: Sequence[str]) -> pd.DataFrame:
    """`weights` diagnostic rows: per period and overall, for each weight stage, n, min and max weight, Kish design
    effect n·Σw²/(Σw)², effective n (Σw)²/Σw² and the share of weights trimmed (final stage)."""
    rows = []
    for scope, group in [("overall", respondents), *respondents.groupby("period")]:
        for stage in stages:
            w = group[stage].to_numpy(float)
            trimmed = group["is_trimmed"].mean() if stage == "final_weight" and "is_trimmed" in group else 0.0
            rows.append({
                "diagnostic": "weights", "scope": "overall" if scope == "overall" else f"period={scope}",
                "weight_stage": stage, "n": len(w), "min_weight": w.min(), "max_weight": w.max(),
                "kish_design_effect": kish_design_effect(w), "effective_n": float(w.sum() ** 2 / (w ** 2).sum()),
                "share_trimmed": float(trimmed),
            })
    return pd.DataFrame(rows)


NPS_FRAME_COVARIATES = ("wave", "plan", "segment", "region", "tenure_band", "had_tough_moment", "contacts_band",
                        "exposure_group")


def nps_diagnostics(respondents: pd.DataFrame, frame: pd.DataFrame, margin_names: Sequence[str],
                    design_effect_ceiling: float | None = None,
                    covariates: Sequence[str] = NPS_FRAME_COVARIATES) -> pd.DataFrame:
    """Weight diagnostics of relationship NPS, per wave and overall:

    - `weights`: per stage n, min, max, Kish design effect, effective n;
    - `response_rate`: per frame covariate and level, frame members, invited, respondents and response rate;
    - `smd`: per frame covariate and level, the standardized difference of respondents from the wave's frame,
      unweighted (before) and with the final weights (after);
    - `margin`: per raked margin (within wave) and category, the weighted share beside the frame's share.
    """
    diagnostics = [weight_stage_diagnostics(respondents, ("design_weight", "nonresponse_weight", "raked_weight",
                                                          "final_weight"))]
    frame = frame.copy()
    frame["had_tough_moment"] = frame["had_tough_moment"].astype(str)
    answered = respondents.copy()
    answered["had_tough_moment"] = answered["had_tough_moment"].astype(str)
    rows = []
    for wave, members in frame.groupby("wave"):
        invited = members[members["invitation_id"].notna()]
        for covariate in covariates:
            if covariate == "wave":
                continue
            n_frame = members.groupby(covariate)["customer_key"].nunique()
            n_invited = invited.groupby(covariate).size()
            n_answered = invited[invited["has_responded"].astype(bool)].groupby(covariate).size()
            for level, count in n_frame.items():
                sent = int(n_invited.get(level, 0))
                got = int(n_answered.get(level, 0))
                rows.append({"diagnostic": "response_rate", "scope": f"wave={wave}", "margin": covariate,
                             "category": str(level), "population_total": float(count), "n_invited": sent, "n": got,
                             "response_rate": got / sent if sent else None})
        of_wave = answered[answered["wave"] == wave]
        if len(of_wave) >= 2:
            totals = {c: members.groupby(c)["customer_key"].nunique().astype(float)
                      for c in covariates if c != "wave"}
            smd = standardized_mean_differences(of_wave, totals, list(totals), "final_weight").rename(
                columns={"covariate": "margin", "level": "category"}).assign(diagnostic="smd", scope=f"wave={wave}")
            diagnostics.append(smd)
    diagnostics.append(pd.DataFrame(rows))
    framed, totals = nps_margins(frame, margin_names)
    keyed = framed.dropna(subset=["invitation_id"]).drop_duplicates("invitation_id").set_index("invitation_id")
    with_margins = respondents.join(keyed[list(totals)], on="invitation_id")
    collapse = unreachable_margin_collapse({m: set(with_margins[m].astype(str)) for m in totals}, totals)
    pooled_sample, pooled_totals = apply_margin_collapse(with_margins, totals, collapse)
    diagnostics.append(margin_comparison(pooled_sample, "final_weight", pooled_totals).assign(
        diagnostic="margin", scope="overall"))
    out = pd.concat([d for d in diagnostics if not d.empty], ignore_index=True)
    out["category"] = out["category"].astype("string")
    out["trim_cap"] = float(respondents["trim_cap"].iloc[0])
    out["trim_rounds"] = int(respondents["trim_rounds"].iloc[0])
    out["is_trim_cap_satisfied"] = bool(respondents["is_trim_cap_satisfied"].iloc[0])
    out["collapsed_margin_categories"] = "; ".join(
        f"{name}: {category} -> {into}" for name, pooled in collapse.items() for category, into in pooled.items())
    out["design_effect_ceiling"] = design_effect_ceiling
    out["survey_type"] = "relationship_nps"
    return out.reindex(columns=DIAGNOSTIC_COLUMNS)


LAGGED_COLUMNS = ["outcome", "lag_window_days", "exposure_group", "n_interactions", "n_customers", "estimate",
                  "std_error", "ci_lower", "ci_upper", "status"]
#: outcome -> (value column, statistic of :func:`empathy.stats.weights.survey_estimate`)
LAGGED_OUTCOMES = {"next_month_nps": ("nps_category", "nps"), "next_quarter_renewal_rate": ("is_renewed", "proportion")}


def lagged_outcome_estimates(rows: pd.DataFrame, exposure_groups: Sequence[str]) -> pd.DataFrame:
    """Per lagged outcome and exposure group: the unweighted NPS (points) or renewal share (0-1) of interactions,
    with a standard error clustered by customer (one customer may contribute several interactions).

    The estimator is :func:`empathy.stats.weights.survey_estimate` with unit weights and customers as PSUs, the same
    owner of the NPS formula as the weighted marts (with one interaction per customer it reduces to Rocks' 2016
    multinomial SE times sqrt(n/(n-1))). An outcome or group without two customers gets a row with a status
    (`no_interactions`, `too_few_customers`) and no estimate.
    """
    parts = []
    for outcome, (column, statistic) in LAGGED_OUTCOMES.items():
        of_outcome = rows[(rows["outcome"] == outcome) & rows[column].notna()]
        window = of_outcome["lag_window_days"].iloc[0] if not of_outcome.empty else None
        for group in exposure_groups:
            data = of_outcome[of_outcome["exposure_group"] == group]
            row = {"outcome": outcome, "lag_window_days": window, "exposure_group": group,
                   "n_interactions": len(data), "n_customers": data["customer_key"].nunique()}
            if data.empty:
                parts.append({**row, "status": "no_interactions"})
                continue
            if row["n_customers"] < 2:
                parts.append({**row, "status": "too_few_customers"})
                continue
            values = data[column].astype(bool) if statistic == "proportion" else data[column]
            estimate = survey_estimate(data.assign(value=values, unit_weight=1.0), "value", "unit_weight",
                                       statistic=statistic, cluster_column="customer_key").iloc[0]
            parts.append({**row, "estimate": estimate["estimate"], "std_error": estimate["se"],
                          "ci_lower": estimate["ci_lower"], "ci_upper": estimate["ci_upper"], "status": "ok"})
    table = pd.DataFrame(parts).reindex(columns=LAGGED_COLUMNS)
    for column in ("n_interactions", "n_customers", "lag_window_days"):
        table[column] = table[column].astype("Int64")
    return table
