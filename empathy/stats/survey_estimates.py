"""Weighted CSAT and NPS for the warehouse: glue between the dbt models and :mod:`empathy.stats.weights`.

CSAT pulses are weighted in four stages (design → nonresponse within response cells → raking to the population of
eligible interactions → trimming and re-raking) so that oversampled tough moments count as often as they happen.
Relationship NPS surveys are weighted by design and nonresponse only: the contract defines no population of
accounts to rake to, so the estimate is design-unbiased under the sampler's probabilities and missing-at-random
nonresponse within sampling strata.

Estimates are ratio means with Taylor-linearised standard errors (:func:`empathy.stats.weights.survey_estimate`,
Wolter 2007 ch. 6), one response per PSU, 95% normal intervals; the naive (unweighted) estimate sits beside the
weighted one.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from empathy.stats.weights import (
    WeightingError,
    design_weights,
    kish_design_effect,
    margin_comparison,
    nonresponse_adjust,
    standardized_mean_differences,
    survey_estimate,
    weight_survey,
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
    "trim_rounds", "is_trim_cap_satisfied", "collapsed_response_cells", "collapsed_margin_categories",
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
    return frame[list(columns)].astype(str).agg(" | ".join, axis=1)


def weight_csat_pulses(
    invitations: pd.DataFrame,
    margins_long: pd.DataFrame,
    margin_names: Sequence[str],
    response_cells: Sequence[str],
    cap_rule: str = "mean_multiple",
    cap_value: float = 5.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weights per responding CSAT pulse and the stage summary.

    `invitations`: one row per consenting pulse invitation with selection_probability, has_responded, the
    response-cell columns and the margin columns (as strings). Empty response cells are pooled with the next cell
    in sorted order (reported in the summary). Returns (respondents with the four weight columns, summary).
    """
    frame = invitations.copy()
    if len(frame) == 0 or not frame["has_responded"].astype(bool).any():
        raise NoRespondents("no CSAT pulse invitation has a usable response")
    for column in margin_names:
        frame[column] = frame[column].astype(str)
    frame["response_cell"] = _cells(frame, response_cells)
    margins = margins_from_long(margins_long, margin_names)
    answered = frame[frame["has_responded"].astype(bool)]
    margin_collapse = unreachable_margin_collapse({m: set(answered[m]) for m in margin_names}, margins)
    result = weight_survey(
        frame,
        probability_column="selection_probability",
        response_cell_columns=["response_cell"],
        responded_column="has_responded",
        margins=margins,
        response_cell_collapse=sorted(frame["response_cell"].unique()),
        margin_collapse=margin_collapse,
        cap_rule=cap_rule,
        cap_value=cap_value,
    )
    summary = result.summary.reset_index()
    respondents = result.respondents
    adjustment_cells = result.nonresponse.cells.set_index("response_cell")["adjustment_cell"].astype(str)
    respondents["adjustment_cell"] = respondents["response_cell"].map(adjustment_cells)
    respondents["trim_cap"] = result.trim.cap
    respondents["is_trimmed"] = respondents["raked_weight"] > result.trim.cap
    respondents["trim_rounds"] = result.trim.rounds
    respondents["is_trim_cap_satisfied"] = result.trim.cap_satisfied
    respondents["margin_collapses"] = "; ".join(
        f"{name}: {category} -> {into}" for name, pooled in margin_collapse.items() for category, into in pooled.items()
    )
    return respondents, summary


def weight_relationship_nps(invitations: pd.DataFrame) -> pd.DataFrame:
    """Design and nonresponse weights (cells: sampling stratum) for responding relationship-NPS invitations."""
    frame = invitations.copy()
    if not frame["has_responded"].astype(bool).any():
        raise NoRespondents("no relationship NPS invitation has a usable response")
    frame["design_weight"] = design_weights(frame["selection_probability"], frame["sampling_stratum"])
    adjusted = nonresponse_adjust(
        frame, ["sampling_stratum"], "has_responded", "design_weight",
        collapse=sorted(frame["sampling_stratum"].astype(str).unique()),
    )
    respondents = frame.loc[adjusted.weights.index].copy()
    respondents["nonresponse_weight"] = adjusted.weights
    respondents["final_weight"] = adjusted.weights
    cells = adjusted.cells.set_index("sampling_stratum")["adjustment_cell"].astype(str)
    respondents["adjustment_cell"] = respondents["sampling_stratum"].astype(str).map(cells)
    return respondents


def estimate_table(
    respondents: pd.DataFrame,
    metrics: Sequence[tuple[str, str, str]],
    groupings: Sequence[str],
    weight_column: str = "final_weight",
) -> pd.DataFrame:
    """Naive and weighted estimates, overall and per grouping column, for each (metric, column, statistic).

    Output: one row per metric × grouping × group with estimate, se, CI, naive estimate and CI, respondents,
    effective n and the variance method.
    """
    columns = ["metric", "group_by", "group_value", "respondents", "effective_n", "naive_estimate", "naive_se",
               "naive_ci_lower", "naive_ci_upper", "weighted_estimate", "weighted_se", "weighted_ci_lower",
               "weighted_ci_upper", "deff_kish", "variance_method", "status"]
    parts = []
    for metric, column, statistic in metrics:
        data = respondents[respondents[column].notna()]
        if data.empty:
            continue
        for grouping in ("overall", *groupings):
            by = None if grouping == "overall" else grouping
            try:
                table = survey_estimate(data, column, weight_column, statistic=statistic, by=by)
            except WeightingError as error:
                # e.g. a single respondent: no variance can be estimated; say so instead of failing the build
                parts.append(pd.DataFrame([{
                    "metric": metric, "group_by": grouping, "group_value": "all", "n": len(data),
                    "status": f"not_estimable: {error}"[:500],
                }]))
                continue
            if by is not None:
                table = table[table["scope"] == "group"]
                table = table.assign(group_value=table[by].astype(str))
            else:
                table = table[table["scope"] == "overall"].assign(group_value="all")
            parts.append(table.assign(metric=metric, group_by=grouping, status="ok"))
    if not parts:
        return empty_frame(columns, text=["metric", "group_by", "group_value", "variance_method", "status"])
    out = pd.concat(parts, ignore_index=True)
    out = out.rename(columns={"estimate": "weighted_estimate", "se": "weighted_se", "ci_lower": "weighted_ci_lower",
                              "ci_upper": "weighted_ci_upper", "n": "respondents"})
    out["variance_method"] = METHOD
    return out.reindex(columns=columns)


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
    collapsed = respondents.loc[respondents["adjustment_cell"] != respondents["response_cell"],
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


def nps_diagnostics(respondents: pd.DataFrame, design_effect_ceiling: float | None = None) -> pd.DataFrame:
    """Weight diagnostics of relationship NPS (design and nonresponse stages; no raking, so no margins)."""
    out = weight_stage_diagnostics(respondents, ("design_weight", "nonresponse_weight", "final_weight"))
    collapsed = respondents.loc[respondents["adjustment_cell"] != respondents["sampling_stratum"],
                                ["sampling_stratum", "adjustment_cell"]].drop_duplicates()
    out["collapsed_response_cells"] = "; ".join(f"{a} -> {b}" for a, b in collapsed.itertuples(index=False))
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
