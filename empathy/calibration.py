"""Calibration study of the survey estimates: do the weighted NPS, promoter share and CSAT top-2 share, and their
95% intervals, recover the population values the demo generator planted, when who answers is varied?

    python -m empathy.calibration --datasets 20 --customers 2000 --out docs/calibration.md

For each data set k the generator writes raw data with seed ``base_seed + k`` and a response mechanism taken in turn
from the fixable ones (response that depends on plan, tenure or tough moments: what the frame knows), the warehouse
builds the survey marts into a DuckDB file of its own, and the study compares

- ``naive``: the unweighted respondent estimate (beside the weighted one in the marts);
- ``before``: the weighting of the first releases (relationship NPS: design x nonresponse within sampling strata;
  CSAT: nonresponse cells channel x stratum, raking to channel, tough moment, month), Taylor intervals;
- ``after``: the marts as built (response model on the frame, raking to frame margins, trimming), jackknife
  replicate intervals (and ``after_taylor``: the same estimate with the Taylor interval),

with the population value: NPS and promoter share over every account active at each wave (the generator's potential
answer of every such account, analytics-revoked accounts left out as the warehouse leaves them out), CSAT top-2 over
every eligible interaction. ``--answer-itself K`` adds K data sets whose response depends on the answer itself (not
missing at random): the limit no weighting on observed covariates can remove, reported apart.

Writes the markdown report and a CSV of every data set's rows beside it. Slow (one warehouse build per data set), so
not part of CI; tests/python/test_calibration.py runs it with three small data sets.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from empathy.demo.generate import generate
from empathy.stats.survey_estimates import WeightingPlan, weight_csat_pulses
from empathy.stats.weights import design_weights, nonresponse_adjust, survey_estimate

ROOT = Path(__file__).resolve().parents[1]
FIXABLE = ("plan_and_tenure", "plan_strong", "tough_moment")
NOT_FIXABLE = "answer_itself"
ESTIMATES = ("nps", "promoter_share", "csat_top2_share")
METHODS = ("naive", "before", "after", "after_taylor")
SELECT = "+mart_nps_weighted +mart_csat_weighted"


@dataclass
class DataSet:
    """One data set of the study."""

    index: int
    seed: int
    mechanism: str
    raw_dir: Path
    database: Path


def population_values(raw_dir: Path) -> dict[str, float]:
    """The planted population values from the generator's truth files (never read by the warehouse)."""
    accounts = pd.read_parquet(raw_dir / "_truth" / "nps_population_truth.parquet")
    accounts = accounts[~accounts["analytics_revoked"]]
    score = accounts["nps_potential"]
    interactions = pd.read_parquet(raw_dir / "_truth" / "interaction_truth.parquet")
    eligible = interactions[interactions["is_eligible_for_pulse"] & ~interactions["analytics_revoked"]]
    return {
        "nps": float(100 * ((score >= 9).mean() - (score <= 6).mean())),
        "promoter_share": float((score >= 9).mean()),
        "csat_top2_share": float(eligible["csat_top2_potential"].mean()),
    }


def build(data: DataSet, target_dir: Path) -> None:
    """Build the survey marts and their parents from ``data.raw_dir`` into ``data.database``."""
    env = {**os.environ, "EMPATHY_RAW_DIR": str(data.raw_dir), "EMPATHY_DUCKDB_PATH": str(data.database),
           "DBT_PROFILES_DIR": str(ROOT / "profiles"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "build", "--quiet", "--select", *SELECT.split(), "--resource-type", "seed",
               "--resource-type", "model", "--target-path", str(target_dir)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"dbt run failed for data set {data.index}:\n{result.stdout[-3000:]}\n{result.stderr[-2000:]}")


def _table(connection: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    schema = connection.execute(
        "select table_schema from information_schema.tables where table_name = ?", [name]).fetchone()[0]
    return connection.sql(f'select * from "{schema}"."{name}"').df()


def _row(estimate: str, method: str, value: float, lower: float, upper: float) -> dict:
    return {"estimate_name": estimate, "method": method, "estimate": value, "ci_lower": lower, "ci_upper": upper}


def before_estimates(invitations: pd.DataFrame, margins: pd.DataFrame) -> list[dict]:
    """The first releases' weighting, recomputed on the built intermediate tables (Taylor intervals)."""
    rows = []
    nps = invitations[invitations["survey_type"] == "relationship_nps"].copy()
    nps["design_weight"] = design_weights(nps["selection_probability"])
    adjusted = nonresponse_adjust(nps, ["sampling_stratum"], "has_responded", "design_weight",
                                  collapse=sorted(nps["sampling_stratum"].astype(str).unique()))
    answered = nps.loc[adjusted.weights.index].assign(final_weight=adjusted.weights)
    answered["is_promoter"] = answered["nps_category"] == "promoter"
    for name, column, statistic in (("nps", "nps_category", "nps"), ("promoter_share", "is_promoter", "proportion")):
        result = survey_estimate(answered, column, "final_weight", statistic=statistic).iloc[0]
        rows.append(_row(name, "before", result["estimate"], result["ci_lower"], result["ci_upper"]))
    old = WeightingPlan(nonresponse_method="cells", response_covariates=(), response_cells=("channel", "sampling_stratum"),
                        margin_names=("channel", "tough_moment_category", "period"))
    pulses = invitations[invitations["survey_type"] == "csat_pulse"].reset_index(drop=True)
    weighted, _ = weight_csat_pulses(pulses, margins, old)
    result = survey_estimate(weighted[weighted["is_csat_top2"].notna()], "is_csat_top2", "final_weight",
                             statistic="proportion").iloc[0]
    rows.append(_row("csat_top2_share", "before", result["estimate"], result["ci_lower"], result["ci_upper"]))
    return rows


def mart_estimates(nps: pd.DataFrame, csat: pd.DataFrame) -> list[dict]:
    """Naive, after (jackknife) and after_taylor overall rows of the built marts."""
    rows = []
    for name, table in (("nps", nps), ("promoter_share", nps), ("csat_top2_share", csat)):
        overall = table[(table["metric"] == name) & (table["group_by"] == "overall")].iloc[0]
        rows.append(_row(name, "naive", overall["naive_estimate"], overall["naive_ci_lower"], overall["naive_ci_upper"]))
        rows.append(_row(name, "after", overall["estimate"], overall["ci_lower"], overall["ci_upper"]))
        rows.append(_row(name, "after_taylor", overall["estimate"], overall["taylor_ci_lower"],
                         overall["taylor_ci_upper"]))
    return rows


def run_one(data: DataSet, customers: int, work: Path) -> pd.DataFrame:
    """Generate, build and compare one data set; one row per estimate and method."""
    generate(customers, data.seed, data.raw_dir, force=True, response_mechanism=data.mechanism)
    data.database.unlink(missing_ok=True)
    build(data, work / f"target_{data.index}")
    with duckdb.connect(str(data.database), read_only=True) as connection:
        rows = mart_estimates(_table(connection, "mart_nps_weighted"), _table(connection, "mart_csat_weighted"))
        rows += before_estimates(_table(connection, "int_survey_invitations_joined_to_cells"),
                                 _table(connection, "int_pulse_margins_counted"))
    truth = population_values(data.raw_dir)
    out = pd.DataFrame(rows)
    out.insert(0, "mechanism", data.mechanism)
    out.insert(0, "seed", data.seed)
    out.insert(0, "data_set", data.index)
    out["population_value"] = out["estimate_name"].map(truth)
    out["error"] = out["estimate"] - out["population_value"]
    out["half_width"] = (out["ci_upper"] - out["ci_lower"]) / 2
    out["is_covered"] = (out["ci_lower"] <= out["population_value"]) & (out["population_value"] <= out["ci_upper"])
    return out


def wilson_interval(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval of a binomial share (Wilson 1927): the Monte Carlo error of a coverage measured on
    a handful of data sets."""
    if trials == 0:
        return float("nan"), float("nan")
    share = successes / trials
    centre = (share + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z / (1 + z**2 / trials) * np.sqrt(share * (1 - share) / trials + z**2 / (4 * trials**2))
    return float(centre - half), float(centre + half)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per estimate and method: data sets, mean error (bias), mean absolute error, mean interval half-width,
    |bias| / half-width, RMSE and coverage (count and share)."""
    grouped = runs.groupby(["estimate_name", "method"], sort=False)
    table = grouped.agg(n_data_sets=("error", "size"), bias=("error", "mean"),
                        mean_abs_error=("error", lambda e: float(np.abs(e).mean())),
                        mean_half_width=("half_width", "mean"),
                        rmse=("error", lambda e: float(np.sqrt((e**2).mean()))),
                        n_covered=("is_covered", "sum")).reset_index()
    table["abs_bias_over_half_width"] = table["bias"].abs() / table["mean_half_width"]
    table["coverage"] = table["n_covered"] / table["n_data_sets"]
    bounds = [wilson_interval(int(k), int(n)) for k, n in zip(table["n_covered"], table["n_data_sets"])]
    table["coverage_ci_lower"] = [low for low, _ in bounds]
    table["coverage_ci_upper"] = [high for _, high in bounds]
    order = {m: i for i, m in enumerate(METHODS)}
    table["_order"] = table["estimate_name"].map({e: i for i, e in enumerate(ESTIMATES)}) * 10 + table["method"].map(order)
    return table.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def markdown_table(summary: pd.DataFrame) -> str:
    """The summary as a markdown table (NPS in points, shares as fractions)."""
    lines = ["| estimate | method | data sets | bias | mean abs. error | mean CI half-width | abs. bias / half-width "
             "| RMSE | covered | coverage 95% CI |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in summary.itertuples():
        digits = 2 if row.estimate_name == "nps" else 4
        lines.append(f"| {row.estimate_name} | {row.method} | {row.n_data_sets} | {row.bias:+.{digits}f} | "
                     f"{row.mean_abs_error:.{digits}f} | {row.mean_half_width:.{digits}f} | "
                     f"{row.abs_bias_over_half_width:.2f} | {row.rmse:.{digits}f} | "
                     f"{row.n_covered}/{row.n_data_sets} ({row.coverage:.0%}) | "
                     f"{max(row.coverage_ci_lower, 0.0):.0%}-{min(row.coverage_ci_upper, 1.0):.0%} |")
    return "\n".join(lines)


def write_report(runs: pd.DataFrame, out: Path, customers: int, seconds: float, command: str) -> None:
    """docs/calibration.md: how it was run, the summary over the fixable mechanisms, the not-fixable one apart."""
    fixable = runs[runs["mechanism"] != NOT_FIXABLE]
    mnar = runs[runs["mechanism"] == NOT_FIXABLE]
    mechanisms = ", ".join(f"`{m}` x {n}" for m, n in fixable.groupby("mechanism")["data_set"].nunique().items())
    text = [
        "# Calibration of the survey estimates",
        "",
        f"Written by `{command}` (`make calibrate` runs the default study); the rows of every data set are in "
        f"`{out.with_suffix('.csv').name}`. Do not edit by hand: re-run it.",
        "",
        f"- Data sets: {fixable['data_set'].nunique()} with a response mechanism the frame can explain ({mechanisms}),"
        f" {customers:,} customers each, generator seeds {int(fixable['seed'].min())}..{int(fixable['seed'].max())}.",
        "- Population values: NPS and promoter share over every account active at each wave (the potential answer "
        "the generator gave every such account), CSAT top-2 share over every eligible interaction.",
        "- Methods: `naive` unweighted respondents; `before` the first release's weighting (NPS: design x "
        "nonresponse within sampling strata; CSAT: cells channel x stratum, raked to channel, tough moment, month; "
        "Taylor intervals); `after` the marts as built now (response model on the frame, raking to the frame's "
        "margins, trimming; delete-a-group jackknife intervals); `after_taylor` the same estimate with the Taylor "
        "interval that treats the weights as fixed.",
        f"- Run time: {seconds / 60:.1f} minutes.",
        "",
        "## Response explained by what the frame knows (plan, tenure, tough moments)",
        "",
        markdown_table(summarise(fixable)) if not fixable.empty else "(no data set)",
        "",
        "Targets (issue 18): coverage of at least 90% and mean absolute bias below a quarter of the mean interval "
        "half-width for the weighted NPS, promoter share and CSAT top-2 share (`after`). The last column is the "
        "Monte Carlo error of the coverage itself (Wilson): with 20 data sets, a method whose true coverage is 95% "
        "shows 17 or fewer in about 7% of studies, so a shortfall of one or two data sets is read against it, not "
        "tuned away.",
        "",
        "## Response that depends on the answer itself (not missing at random)",
        "",
        "Here the chance of answering rises with the answer the customer would give (odds x exp(0.25 x (NPS - 7)) "
        "for NPS, the same slope on the top-2 outcome for pulses). Nothing the frame records carries that, so no "
        "weighting on frame covariates can remove the bias; it is shown so that nobody mistakes the intervals above "
        "for a guarantee. Only a follow-up of nonrespondents or a response model with outcome information "
        "(e.g. a sensitivity analysis) addresses it.",
        "",
        markdown_table(summarise(mnar)) if not mnar.empty else "(not run: `--answer-itself 0`)",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(text))
    runs.to_csv(out.with_suffix(".csv"), index=False, float_format="%.6g")


def plan_data_sets(n_fixable: int, n_answer_itself: int, base_seed: int, work: Path) -> list[DataSet]:
    """Data set k: seed base_seed + k, mechanism cycling through the fixable ones, then the not-fixable ones."""
    mechanisms = [FIXABLE[k % len(FIXABLE)] for k in range(n_fixable)] + [NOT_FIXABLE] * n_answer_itself
    return [DataSet(k, base_seed + k, mechanism, work / f"raw_{k}", work / f"warehouse_{k}.duckdb")
            for k, mechanism in enumerate(mechanisms)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=20, help="data sets with a fixable response mechanism")
    parser.add_argument("--answer-itself", type=int, default=4, help="data sets whose response depends on the answer")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--base-seed", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=ROOT / "target" / "calibration")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "calibration.md")
    parser.add_argument("--render-only", type=Path, default=None,
                        help="re-write the report from a CSV of an earlier run (no generation, no builds)")
    parser.add_argument("--seconds", type=float, default=float("nan"), help="with --render-only: that run's time")
    args = parser.parse_args(argv)
    command = (f"python -m empathy.calibration --datasets {args.datasets} --answer-itself {args.answer_itself} "
               f"--customers {args.customers} --base-seed {args.base_seed}")
    if args.render_only is not None:
        runs = pd.read_csv(args.render_only)
        write_report(runs, args.out, args.customers, args.seconds, command)
        print(f"wrote {args.out}")
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    runs = []
    plan = list(plan_data_sets(args.datasets, args.answer_itself, args.base_seed, args.work))
    # a bar on a terminal (tqdm's disable=None is silent when the output is not a TTY); the per-data-set lines stay
    for data in tqdm(plan, desc="calibration study", unit="data set", disable=None):
        one = run_one(data, args.customers, args.work)
        covered = one[one["method"] == "after"].set_index("estimate_name")["is_covered"].to_dict()
        tqdm.write(f"data set {data.index} ({data.mechanism}, seed {data.seed}): covered {covered} "
                   f"[{time.time() - started:.0f} s]")
        runs.append(one)
    write_report(pd.concat(runs, ignore_index=True), args.out, args.customers, time.time() - started, command)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
