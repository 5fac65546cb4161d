"""The static HTML report (`make report`): the marts drawn for people who look at pictures, not tables.

``python -m empathy.report [--db PATH] [--out DIR]`` reads the served warehouse (marts only, read-only) and writes
``DIR/index.html`` (default ``target/report/``): one self-contained page, every chart an inline SVG drawn by
matplotlib, no script, no font or library fetched, so it opens offline from the file system. Each chart says what it
shows, how to read it, and where its numbers came from: the model, the warehouse's as-of date, the build (the dbt
invocation id of the publication, when the publication record is beside the warehouse) and a fingerprint of the
model's rows (empathy/ops/fingerprint.py), so that a chart can be traced to the exact table it was drawn from.

A chart whose mart is missing or empty is not drawn; its section says so, and the report still builds (a warehouse
built without the optional marts gets a shorter report, not an error). Registered as a dbt exposure
(models/marts/_marts__exposures.yml).
"""
from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from empathy.ops.fingerprint import row_fingerprint  # noqa: E402

DB_ENV_VAR = "EMPATHY_DUCKDB_PATH"
DEFAULT_DB = Path("target") / "demo.duckdb"
DEFAULT_OUT = Path("target") / "report"
EXPOSED, UNEXPOSED, UNUSABLE = "acknowledged_within_30s", "not_acknowledged_within_30s", "transcript_not_usable"
COLOURS = {EXPOSED: "#1b7837", UNEXPOSED: "#b2182b", UNUSABLE: "#878787", "naive": "#878787", "weighted": "#2166ac"}
plt.rcParams.update({"svg.hashsalt": "empathy-report", "svg.fonttype": "path", "font.size": 9,
                     "axes.spines.top": False, "axes.spines.right": False})


@dataclass
class Section:
    """One chart of the report: what it shows, how to read it, the marts it reads, and the figure (None when the
    data is missing, with ``missing`` saying why)."""
    key: str
    title: str
    shows: str
    read: str
    sources: list[str]
    figure: plt.Figure | None = None
    missing: str | None = None
    notes: list[str] = field(default_factory=list)


class Warehouse:
    """Read-only access to the marts of one warehouse file."""

    def __init__(self, path: Path):
        self.path = path
        self.con = duckdb.connect(str(path), read_only=True)
        self.tables = {f"{s}.{t}" for s, t in self.con.execute(
            "select schema_name, table_name from duckdb_tables()").fetchall()}

    def frame(self, table: str, where: str = "true") -> pd.DataFrame:
        """Rows of ``marts.<table>`` matching ``where`` (an empty frame when the mart does not exist)."""
        if f"marts.{table}" not in self.tables:
            return pd.DataFrame()
        return self.con.execute(f"select * from marts.{table} where {where}").df()

    def as_of(self) -> str:
        if "staging.stg_build__as_of" not in self.tables:
            return "unknown"
        value = self.con.execute("select max(as_of) from staging.stg_build__as_of").fetchone()[0]
        return "unknown" if value is None else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")

    def fingerprints(self, tables: set[str]) -> dict[str, str]:
        """Per mart of ``tables`` that exists: a short digest of its row count and row-hash sum (the same rows give
        the same digest; empathy/ops/fingerprint.py). Only the marts the report reads are hashed."""
        return {t: hashlib.sha256(repr(row_fingerprint(self.con, "marts", t)).encode()).hexdigest()[:12]
                for t in sorted(tables) if f"marts.{t}" in self.tables}


def _svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _interval_plot(ax, labels, estimate, lower, upper, colour, offset=0.0, label=None, marker="o", filled=True):
    y = np.arange(len(labels)) + offset
    ax.errorbar(estimate, y, xerr=[np.asarray(estimate) - np.asarray(lower), np.asarray(upper) - np.asarray(estimate)],
                fmt=marker, color=colour, mfc=colour if filled else "white", capsize=2, label=label, lw=1)
    ax.set_yticks(np.arange(len(labels)), labels)


# ------------------------------------------------------------------ the charts
def csat_weighted(wh: Warehouse) -> Section:
    section = Section(
        "csat_weighted", "CSAT top-2 share: weighted against naive",
        "The share of pulse answers in the top two boxes, by channel and by tough moment: the naive share of the "
        "answers (grey, hollow) and the survey-weighted estimate of all contacts (blue), each with its 95% interval.",
        "Tough moments are oversampled, so the naive share over-represents them; the weighted estimate puts each "
        "answer back in proportion to the contacts it stands for. Where grey and blue differ, the raw average "
        "misleads.", ["mart_csat_weighted"])
    data = wh.frame("mart_csat_weighted", "metric = 'csat_top2_share' and group_by in ('channel', "
                                          "'tough_moment_category') and status = 'ok'")
    if data.empty:
        section.missing = "mart_csat_weighted has no estimated CSAT top-2 rows."
        return section
    groups = ["channel", "tough_moment_category"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharex=True)
    for ax, group in zip(axes, groups):
        rows = data[data["group_by"] == group].sort_values("group_value")
        labels = rows["group_value"].astype(str).tolist()
        _interval_plot(ax, labels, rows["naive_estimate"], rows["naive_ci_lower"], rows["naive_ci_upper"],
                       COLOURS["naive"], -0.15, "naive", filled=False)
        _interval_plot(ax, labels, rows["estimate"], rows["ci_lower"], rows["ci_upper"], COLOURS["weighted"],
                       0.15, "weighted")
        ax.set_title(group.replace("_", " "))
        ax.set_xlabel("CSAT top-2 share")
    axes[0].legend(loc="lower left", frameon=False)
    fig.tight_layout()
    section.figure = fig
    return section


def survival_curves(wh: Warehouse) -> Section:
    section = Section(
        "survival", "Customers still subscribed: Kaplan-Meier curves by first-contact acknowledgment",
        "For each cohort definition and cohort, the share of customers not yet cancelled by days since their first "
        "contact, for customers whose first contact was acknowledged within 30 seconds (green), not acknowledged in "
        "time (red) and without a usable transcript (grey), with 95% confidence bands.",
        "A curve that stays higher keeps customers longer. Bands that overlap over most of the range mean the data "
        "cannot tell the groups apart; these are associations, not effects (the hazard ratios below adjust for plan, "
        "segment and region).", ["mart_survival_curves"])
    data = wh.frame("mart_survival_curves", "status = 'ok'")
    if data.empty:
        section.missing = "mart_survival_curves has no estimated curve."
        return section
    panels = data[["cohort_definition", "cohort"]].drop_duplicates().sort_values(["cohort_definition", "cohort"])
    n_cols = 4
    n_rows = int(np.ceil(len(panels) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(12, 2.6 * n_rows), sharey=True, squeeze=False)
    for ax, (_, panel) in zip(axes.flat, panels.iterrows()):
        rows = data[(data["cohort_definition"] == panel["cohort_definition"]) & (data["cohort"] == panel["cohort"])]
        for group, curve in rows.groupby("exposure_group"):
            curve = curve.sort_values("time_days")
            colour = COLOURS.get(group, "#444444")
            ax.step(curve["time_days"], curve["estimate"], where="post", color=colour, lw=1.2, label=group)
            ax.fill_between(curve["time_days"], curve["ci_lower"], curve["ci_upper"], step="post", color=colour,
                            alpha=0.15, lw=0)
        ax.set_title(f"{panel['cohort_definition']}: {panel['cohort']}", fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("days since first contact")
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("share still subscribed")
    axes[0, 0].legend(loc="lower left", frameon=False, fontsize=7)
    fig.tight_layout()
    section.figure = fig
    return section


def cohort_heat_map(wh: Warehouse) -> Section:
    section = Section(
        "cohort_retention", "Cohort retention heat map",
        "Rows are cohorts (customers by month of first contact, and by month of signup), columns months since the "
        "cohort's start; each cell is the share of the cohort's customers observable that long who were still "
        "subscribed (all exposure groups together: retained over observable customers, summed).",
        "Read along a row to see a cohort fade; read down a column to compare cohorts at the same age. Blank cells "
        "are cohort-months where every exposure group has too few customers followed that long (status "
        "few_customers), mostly months not yet observable at the as-of date.", ["mart_cohort_retention"])
    data = wh.frame("mart_cohort_retention")
    if data.empty:
        section.missing = "mart_cohort_retention is empty."
        return section
    kinds = sorted(data["cohort_type"].unique())
    fig, axes = plt.subplots(1, len(kinds), figsize=(6 * len(kinds), 4.6), squeeze=False)
    image = None
    for ax, kind in zip(axes.flat, kinds):
        rows = data[data["cohort_type"] == kind].assign(is_ok=lambda d: d["status"] == "ok").groupby(
            ["cohort", "months_since_cohort_start"]).agg(retained=("n_customers_retained", "sum"),
                                                         observable=("n_customers_observable", "sum"),
                                                         any_ok=("is_ok", "any"))
        share = (rows["retained"] / rows["observable"]).where(rows["any_ok"] & (rows["observable"] > 0)).unstack()
        image = ax.imshow(share.to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0, vmax=1)
        ax.set_yticks(range(len(share.index)), share.index, fontsize=7)
        ax.set_xticks(range(0, len(share.columns), 3), share.columns[::3])
        ax.set_xlabel("months since cohort start")
        ax.set_title(kind.replace("_", " "))
    fig.colorbar(image, ax=axes.ravel().tolist(), label="share retained", shrink=0.8)
    section.figure = fig
    return section


def hazard_forest(wh: Warehouse) -> Section:
    section = Section(
        "churn_hazard", "Churn hazard ratios (Cox model)",
        "Hazard ratios of voluntary churn from a Cox proportional-hazards model: the first contact acknowledged "
        "within 30 seconds (is_first_contact_exposed) beside the model's other covariates, categorical ones "
        "against their reference levels, with 95% intervals.",
        "Left of the dashed line (below 1) means customers cancel at a lower rate; an interval crossing 1 is "
        "compatible with no difference. Rows flagged 'PH?' failed the proportional-hazards check (their ratio "
        "changes over time).", ["mart_churn_hazard"])
    data = wh.frame("mart_churn_hazard", "status = 'ok' and estimate is not null")
    if data.empty:
        section.missing = "mart_churn_hazard has no estimated ratio."
        return section
    data = data.sort_values("covariate", ascending=False)
    labels = [f"{c}{'  (PH?)' if v else ''}" for c, v in zip(data["covariate"], data["is_ph_violated"].fillna(False))]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(data) + 1))
    _interval_plot(ax, labels, data["estimate"], data["ci_lower"], data["ci_upper"], "#2166ac", marker="s")
    ax.axvline(1, color="#444444", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("hazard ratio (log scale)")
    section.figure = fig
    return section


def agreement_and_detection(wh: Warehouse) -> Section:
    section = Section(
        "agreement", "Do reviewers agree, and does the transcript detector find what they find?",
        "Left: per behaviour, QA reviewers' agreement on the calibration sample (Krippendorff's ordinal alpha and "
        "the mean pairwise linear-weighted kappa). Right: per behaviour and detector, precision and recall of the "
        "transcript detection against QA verdicts (overall), with 95% intervals.",
        "Agreement above about 0.6 is usually taken as substantial; below 0.4 the rubric's anchors need work. A "
        "detector with high precision and low recall misses phrasing nobody wrote down; the reverse flags what "
        "reviewers would not.", ["mart_rater_agreement", "mart_detection_quality"])
    agreement = wh.frame("mart_rater_agreement", "grain = 'behavior' and metric in ('krippendorff_alpha_ordinal', "
                                                 "'cohen_kappa_linear_mean_pairwise') and estimate is not null")
    detection = wh.frame("mart_detection_quality", "group_by = 'overall' and metric in ('precision', 'recall') "
                                                   "and estimate is not null")
    if agreement.empty and detection.empty:
        section.missing = "Neither mart_rater_agreement nor mart_detection_quality has estimates."
        return section
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for offset, (metric, colour) in zip((-0.15, 0.15), (("krippendorff_alpha_ordinal", "#5e3c99"),
                                                       ("cohen_kappa_linear_mean_pairwise", "#e66101"))):
        rows = agreement[agreement["metric"] == metric].sort_values("behavior_code")
        if not rows.empty:
            _interval_plot(axes[0], rows["behavior_code"].tolist(), rows["estimate"],
                           rows["ci_lower"].fillna(rows["estimate"]), rows["ci_upper"].fillna(rows["estimate"]),
                           colour, offset, metric.replace("_", " "))
    axes[0].set_xlim(-0.1, 1)
    axes[0].set_title("reviewer agreement")
    axes[0].legend(loc="lower left", frameon=False, fontsize=7)
    detectors = sorted(detection["detector"].unique()) if not detection.empty else []
    behaviours = sorted(detection["behavior_code"].unique()) if not detection.empty else []
    width = 0.8 / max(1, 2 * len(detectors))
    for i, (detector, metric) in enumerate((d, m) for d in detectors for m in ("precision", "recall")):
        rows = detection[(detection["detector"] == detector) & (detection["metric"] == metric)].set_index(
            "behavior_code").reindex(behaviours)
        x = np.arange(len(behaviours)) + (i - (2 * len(detectors) - 1) / 2) * width
        axes[1].bar(x, rows["estimate"], width, label=f"{detector} {metric}", alpha=0.85 if metric == "precision"
                    else 0.5, color=["#1b9e77", "#d95f02", "#7570b3"][detectors.index(detector) % 3])
        axes[1].errorbar(x, rows["estimate"], yerr=[rows["estimate"] - rows["ci_lower"],
                                                    rows["ci_upper"] - rows["estimate"]], fmt="none",
                         color="#333333", lw=0.7)
    axes[1].set_xticks(np.arange(len(behaviours)), behaviours, rotation=20)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_title("detection against QA verdicts")
    axes[1].legend(frameon=False, fontsize=6, ncol=2, loc="lower right")
    fig.tight_layout()
    section.figure = fig
    return section


def weighting_diagnostics(wh: Warehouse) -> Section:
    section = Section(
        "weighting", "Survey weighting: who answered against who was served",
        "For the CSAT pulse, per channel and tough moment: the share of answers (hollow) against the share of all "
        "contacts (the population, filled) that the final weights reproduce; the title gives Kish's design effect of "
        "the final weights.",
        "The further a hollow point sits from its filled one, the more the answers over- or under-represent that "
        "group and the more the weights must correct; a design effect of 1.5 means the weighted answers are worth "
        "two-thirds as many simple random answers.", ["mart_survey_weight_diagnostics"])
    data = wh.frame("mart_survey_weight_diagnostics", "survey_type = 'csat_pulse' and scope = 'overall'")
    margins = data[(data["diagnostic"] == "margin") & data["margin"].isin(["channel", "tough_moment_category"])] \
        if not data.empty else data
    if margins.empty:
        section.missing = "mart_survey_weight_diagnostics has no CSAT pulse margins."
        return section
    final = data[(data["diagnostic"] == "weights") & (data["weight_stage"] == "final_weight")]
    deff = float(final["kish_design_effect"].iloc[0]) if not final.empty else float("nan")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharex=True)
    for ax, margin in zip(axes, ["channel", "tough_moment_category"]):
        rows = margins[margins["margin"] == margin].sort_values("category")
        y = np.arange(len(rows))
        ax.scatter(rows["unweighted_share"], y, facecolors="white", edgecolors="#b2182b", label="answers")
        ax.scatter(rows["population_share"], y, color="#2166ac", label="all contacts")
        ax.set_yticks(y, rows["category"].tolist())
        ax.set_title(margin.replace("_", " "))
        ax.set_xlabel("share")
    axes[0].legend(frameon=False, loc="lower right")
    fig.suptitle(f"CSAT pulse, final weights: Kish design effect {deff:.2f}", fontsize=9)
    fig.tight_layout()
    section.figure = fig
    return section


def experiments(wh: Warehouse) -> Section:
    section = Section(
        "experiments", "Randomised experiments: primary metrics",
        "Each registered experiment's primary metric: treatment minus control with its 95% interval, overall and "
        "by subgroup.",
        "An interval that excludes 0 is a detectable effect; the p-values in the mart are adjusted for the "
        "subgroups and metrics tested (p_value_adjusted).", ["mart_experiment_results"])
    data = wh.frame("mart_experiment_results", "metric_role = 'primary' and estimate is not null")
    if data.empty:
        section.missing = "mart_experiment_results has no estimated primary metric."
        return section
    data = data.sort_values(["experiment_id", "subgroup_split", "subgroup_level"], ascending=False)
    labels = [f"{e} | {m} | {s}={lvl}" for e, m, s, lvl in zip(data["experiment_id"], data["metric_code"],
                                                                data["subgroup_split"], data["subgroup_level"])]
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(data) + 1))
    colours = ["#2166ac" if s == "all" else "#92c5de" for s in data["subgroup_split"]]
    for i, (est, lo, hi, colour) in enumerate(zip(data["estimate"], data["ci_lower"], data["ci_upper"], colours)):
        ax.errorbar([est], [i], xerr=[[est - lo], [hi - est]], fmt="o", color=colour, capsize=2, lw=1)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.axvline(0, color="#444444", ls="--", lw=0.8)
    ax.set_xlabel("treatment minus control")
    section.figure = fig
    return section


def event_study(wh: Warehouse) -> Section:
    section = Section(
        "event_study", "Empathy training: event study",
        "Difference-in-differences by months since a team's training (never-trained teams as controls) for "
        "acknowledgment within 30 seconds and CSAT top-2, with 95% intervals.",
        "Points before month 0 test the parallel-trends assumption and should sit around 0; points after it are the "
        "training's effect at that distance.", ["mart_did_event_study"])
    outcomes = ["acknowledged_within_30s_share", "csat_top2_share"]
    data = wh.frame("mart_did_event_study", "control_group = 'never_treated' and estimate is not null and outcome in "
                                            f"({', '.join(repr(o) for o in outcomes)})")
    if data.empty:
        section.missing = "mart_did_event_study has no estimate against never-treated teams."
        return section
    fig, axes = plt.subplots(1, len(outcomes), figsize=(10, 3.2), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        rows = data[data["outcome"] == outcome].sort_values("event_time_months")
        ax.fill_between(rows["event_time_months"], rows["ci_lower"], rows["ci_upper"], color="#92c5de", alpha=0.5)
        ax.plot(rows["event_time_months"], rows["estimate"], "o-", color="#2166ac", ms=3)
        ax.axhline(0, color="#444444", lw=0.8)
        ax.axvline(-0.5, color="#444444", ls=":", lw=0.8)
        ax.set_title(outcome.replace("_", " "))
        ax.set_xlabel("months since training")
    fig.tight_layout()
    section.figure = fig
    return section


def alerts(wh: Warehouse) -> Section:
    section = Section(
        "alerts", "At-risk alerts: alerted against held-out customers",
        "For customers flagged at risk, the difference between those alerted to the team and a random held-out "
        "group, per outcome, with 95% intervals (each outcome on its own scale).",
        "The hold-out is randomised, so a difference whose interval excludes 0 is the alert's effect; an interval "
        "around 0 says the outreach did not change that outcome detectably.", ["mart_alert_outcomes"])
    data = wh.frame("mart_alert_outcomes", "estimate is not null")
    if data.empty:
        section.missing = "mart_alert_outcomes has no estimate."
        return section
    fig, axes = plt.subplots(1, len(data), figsize=(2.4 * len(data), 2.4), squeeze=False)
    for ax, (_, row) in zip(axes.flat, data.iterrows()):
        ax.errorbar([0], [row["estimate"]], yerr=[[row["estimate"] - row["ci_lower"]],
                                                  [row["ci_upper"] - row["estimate"]]], fmt="o", color="#2166ac",
                    capsize=3)
        ax.axhline(0, color="#444444", ls="--", lw=0.8)
        ax.set_xticks([])
        ax.set_title(str(row["outcome"]).replace("_", " "), fontsize=8)
    fig.tight_layout()
    section.figure = fig
    return section


def scorecards(wh: Warehouse) -> Section:
    section = Section(
        "scorecards", "Agent scorecards: the latest month, raw and shrunk",
        "For the latest month, each agent's empathetic-contact rate: the raw share (hollow) and the estimate shrunk "
        "toward the team by empirical Bayes (filled) with its 95% credible interval, agents sorted by the estimate "
        "and coloured by team.",
        "Agents with few contacts move most toward their team; rank on the lower end of the interval, not on the raw "
        "share, so that eight lucky contacts do not put anyone on top.", ["mart_agent_scorecards"])
    data = wh.frame("mart_agent_scorecards", "metric = 'empathetic_contact_rate' and status = 'ok'")
    if data.empty:
        section.missing = "mart_agent_scorecards has no empathetic-contact rate."
        return section
    data = data[data["month_start"] == data["month_start"].max()].sort_values("estimate")
    teams = sorted(data["team"].dropna().unique())
    palette = plt.get_cmap("tab10")
    colours = [palette(teams.index(t) % 10) if t in teams else "#444444" for t in data["team"]]
    fig, ax = plt.subplots(figsize=(7, 0.18 * len(data) + 1.2))
    y = np.arange(len(data))
    ax.hlines(y, data["ci_lower"], data["ci_upper"], colors=colours, lw=1)
    ax.scatter(data["estimate"], y, c=colours, s=14, zorder=3)
    ax.scatter(data["raw_rate"], y, facecolors="white", edgecolors=colours, s=14, zorder=3)
    ax.set_yticks(y, [f"{a} ({n})" for a, n in zip(data["agent_id"], data["n_observations"])], fontsize=6)
    ax.set_xlabel(f"empathetic-contact rate, {pd.Timestamp(data['month_start'].iloc[0]):%B %Y} (contacts)")
    section.figure = fig
    return section


CHARTS: list[Callable[[Warehouse], Section]] = [
    csat_weighted, survival_curves, cohort_heat_map, hazard_forest, agreement_and_detection, weighting_diagnostics,
    experiments, event_study, alerts, scorecards]


# ------------------------------------------------------------------ the page
def _publication(db: Path) -> dict:
    record = db.with_name(f"{db.stem}.published.json")
    try:
        return json.loads(record.read_text())
    except (OSError, ValueError):
        return {}


def render(sections: list[Section], as_of: str, build: str, fingerprints: dict[str, str]) -> str:
    """The page: a header, a table of contents and one block per section (inline SVG or the reason it is missing)."""
    esc = html.escape
    blocks = []
    for s in sections:
        sources = "; ".join(f"<code>{esc(m)}</code> (rows {esc(fingerprints.get(m, 'n/a'))})" for m in s.sources)
        body = (f'<div class="chart" data-chart="{esc(s.key)}">{_svg(s.figure)}</div>' if s.figure is not None
                else f'<p class="missing" data-missing="{esc(s.key)}">Not drawn: {esc(s.missing or "no data")}</p>')
        blocks.append(
            f'<section id="{esc(s.key)}"><h2>{esc(s.title)}</h2>'
            f'<p class="shows"><strong>What it shows.</strong> {esc(s.shows)}</p>{body}'
            f'<p class="read"><strong>How to read it.</strong> {esc(s.read)}</p>'
            f'<p class="source">Data: {sources}; as of {esc(as_of)}; build {esc(build)}.</p></section>')
    toc = "".join(f'<li><a href="#{html.escape(s.key)}">{html.escape(s.title)}</a></li>' for s in sections)
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "section{border-top:1px solid #ddd;padding-top:.5em;margin-top:1.5em}.chart svg{max-width:100%;"
             "height:auto}.source{color:#666;font-size:.85em}.missing{color:#b2182b}code{font-size:.9em}")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Empathy in support: report</title>'
            f'<style>{style}</style></head><body><h1>Empathy in customer support</h1>'
            f'<p>Drawn from the warehouse\'s marts only, as of {html.escape(as_of)} (build {html.escape(build)}). '
            f'Every chart names the model it reads.</p><ol>{toc}</ol>{"".join(blocks)}</body></html>\n')


def build_report(db: Path, out: Path) -> Path:
    """Draw every chart from the warehouse ``db`` and write ``out/index.html``; returns its path."""
    wh = Warehouse(db)
    try:
        record = _publication(db)
        build = record.get("dbt_invocation_id") or "not recorded"
        if record.get("published_at"):
            build += f", published {record['published_at']}"
        sections = [chart(wh) for chart in CHARTS]
        fingerprints = wh.fingerprints({m for s in sections for m in s.sources})
        page = render(sections, wh.as_of(), build, fingerprints)
    finally:
        wh.con.close()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    drawn = sum(s.figure is not None for s in sections)
    print(f"report: {path} ({drawn} of {len(sections)} charts drawn)")
    for s in sections:
        if s.figure is None:
            print(f"report: not drawn: {s.title}: {s.missing}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get(DB_ENV_VAR, DEFAULT_DB)))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.db.is_file():
        print(f"report: no warehouse at {args.db}; run `make demo` (or `make build`) first", file=sys.stderr)
        return 2
    build_report(args.db, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
