"""Benchmark: generate N customers of demo data, build the warehouse, report time, memory and slowest models.

Numbers, not assertions: speed and memory targets are read from the report, never timed in unit tests.

    python scripts/benchmark.py --customers 100000 [--seed 42] [--out target/benchmark] [--select "+mart_a +mart_b"]
        [--chunk-customers 25000] [--skip-incremental] [--skip-validation]

After the full build (and its validation), one more day is appended to the raw folder (the generator's
--append-day: new contacts, re-deliveries, late revocations) and the day is built incrementally (D33) as a
deployment builds it (D42): the daily job (`dbt build --selector daily`), then the weekly job (`--selector weekly`);
their wall time and memory and the seconds of the incremental models and their refresh scope are reported.

Writes <out>/report.json and <out>/report.md and prints the markdown. The benchmark uses its own raw folder and
warehouse file under <out>, never the demo build's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def run_measured(command: list[str], env: dict[str, str]) -> dict:
    """Run a command to completion; return wall seconds, its peak resident memory (MiB) and its exit code.

    Peak memory is the child's ru_maxrss as reported by /usr/bin/time -v when available (per command), else the
    maximum over all children of this process so far.
    """
    time_bin = Path("/usr/bin/time")
    wrapped = [str(time_bin), "-v", *command] if time_bin.exists() else command
    started = time.perf_counter()
    result = subprocess.run(wrapped, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mib = None
    for line in result.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak_mib = int(line.rsplit(":", 1)[1]) / 1024
    if peak_mib is None:
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-5000:] + result.stderr[-5000:])
    return {"seconds": round(seconds, 1), "peak_mib": round(peak_mib), "exit_code": result.returncode}


#: The models the learned behaviour detector adds to a build (training, cross-validation, terms, quality, gaps).
DETECTOR_MODELS = ("int_qa_verdicts_adjusted", "int_qa_verdicts_selected_for_training",
                   "int_detector_training_set_fingerprinted", "int_behavior_detectors_trained",
                   "int_behaviors_scored_out_of_fold", "int_behaviors_detected_by_model", "mart_detector_terms",
                   "mart_detection_quality", "mart_lexicon_candidate_phrases")
#: The models of acting on the signals (issue 12): customer-weeks, the risk model, alerts, economics, saves.
ACTION_MODELS = ("int_customer_weeks_signalled", "int_customer_weeks_scored", "mart_churn_risk_model_evaluation",
                 "mart_churn_risk_calibration", "mart_churn_risk_coefficients", "mart_at_risk_alerts",
                 "mart_alert_outcomes", "mart_empathy_economics", "int_retention_offers_joined_to_outcomes",
                 "mart_save_conversations", "mart_save_effects", "mart_save_team_scorecard")


def model_seconds(run_results: Path, names: tuple[str, ...]) -> dict[str, float]:
    """Execution seconds of the named models in a dbt run_results.json (those that ran)."""
    results = json.loads(run_results.read_text())["results"]
    return {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results
            if r["unique_id"].startswith("model.") and r["unique_id"].split(".")[-1] in names}


def slowest_nodes(run_results: Path, top: int = 12) -> list[dict]:
    """The slowest executed nodes of a dbt run_results.json."""
    results = json.loads(run_results.read_text())["results"]
    rows = [
        {"node": r["unique_id"].split(".", 2)[-1], "type": r["unique_id"].split(".")[0],
         "seconds": round(r["execution_time"], 2), "status": r["status"]}
        for r in results
    ]
    return sorted(rows, key=lambda row: row["seconds"], reverse=True)[:top]


def python_model_timings(target: Path) -> list[dict]:
    """Execution time of every dbt Python model (weights, survival, agreement, effects) of the run."""
    manifest = json.loads((target / "manifest.json").read_text())
    python_nodes = {uid for uid, node in manifest["nodes"].items() if node.get("language") == "python"}
    results = json.loads((target / "run_results.json").read_text())["results"]
    rows = [{"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 2), "status": r["status"]}
            for r in results if r["unique_id"] in python_nodes]
    return sorted(rows, key=lambda row: row["seconds"], reverse=True)


def table_rows(db: Path, tables: list[str]) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        present = {f"{schema}.{name}" for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables if t in present}


def reader_during_rebuild(db: Path, env: dict[str, str], interval_seconds: float = 0.05) -> dict:
    """Hold a read-only connection to the served warehouse and query it every `interval_seconds` while
    `python -m empathy.ops.publish` rebuilds and publishes it: how long the reader was blocked (goal: never)."""
    import threading

    import duckdb

    latencies: list[float] = []
    failures: list[str] = []
    done = threading.Event()
    reader = duckdb.connect(str(db), read_only=True)

    def read() -> None:
        while not done.is_set():
            started = time.perf_counter()
            try:
                reader.execute("select channel, count(*) from marts.fct_interactions group by channel").fetchall()
            except Exception as exc:  # noqa: BLE001 - a failure is the measurement
                failures.append(repr(exc))
            latencies.append(time.perf_counter() - started)
            time.sleep(interval_seconds)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        rebuild = run_measured([sys.executable, "-m", "empathy.ops.publish", "--no-validate"], env)
    finally:
        done.set()
        thread.join()
        reader.close()
    ordered = sorted(latencies)
    return {
        "rebuild": rebuild, "reader_queries": len(latencies), "reader_failures": len(failures),
        "first_failure": failures[0] if failures else None,
        "reader_max_ms": round(1000 * ordered[-1], 1) if ordered else None,
        "reader_p99_ms": round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 1) if ordered else None,
    }


#: The incremental models and the refresh scope they read (D33).
INCREMENTAL_MODELS = ("stg_helpdesk__interactions", "stg_helpdesk__transcript_segments", "identity_interactions_resolved",
                      "identity_interactions_delivered", "identity_customers_changed", "identity_interactions_changed",
                      "screened_interactions", "screened_transcript_segments", "int_transcript_phrases_matched",
                      "int_detector_training_set_fingerprinted", "int_behavior_detectors_trained",
                      "int_behaviors_scored_out_of_fold", "int_behaviors_detected_by_model",
                      "int_customer_segments_sentiment_filled", "int_interaction_behaviors_observed",
                      "int_interactions_scored", "fct_interaction_behaviors", "identity_outcomes_changed",
                      "mart_interaction_outcomes", "mart_interaction_churn_windows")


def incremental_day(out: Path, env: dict[str, str], select: str | None) -> dict:
    """Append one day to the raw folder and build again incrementally: the appended rows, the builds' wall time and
    memory, and the seconds of the incremental models (with their scope) in that build and in the full one.

    Without a selection the day runs as a deployment runs it (D42): the daily job (`dbt build --selector daily`:
    loads, incremental models, facts, scores and alerts), then the weekly job (`--selector weekly`: the statistics),
    each measured on its own. With --select, one incremental `dbt build` of the selection."""
    bin_dir = Path(sys.executable).parent
    run_results = out / "dbt_target" / "run_results.json"
    full_seconds = model_seconds(run_results, INCREMENTAL_MODELS)
    result = {"append_day": run_measured(
        [str(bin_dir / "python"), "-m", "empathy.demo.generate", "--append-day", "--out", str(env["EMPATHY_RAW_DIR"])],
        env)}
    manifest = json.loads((Path(env["EMPATHY_RAW_DIR"]) / "manifest.json").read_text())
    result["appended_rows"] = (manifest.get("appended_days") or [{}])[-1].get("rows", {})
    dbt = str(bin_dir / "dbt")
    if select:
        result["dbt_build_incremental"] = run_measured(
            [dbt, "build", "--select", *select.split(), "--indirect-selection", "cautious"], env)
        incremental_seconds = model_seconds(run_results, INCREMENTAL_MODELS)
        result["slowest_nodes_incremental"] = slowest_nodes(run_results)
    else:
        result["dbt_build_daily"] = run_measured([dbt, "build", "--selector", "daily"], env)
        incremental_seconds = model_seconds(run_results, INCREMENTAL_MODELS)
        result["slowest_nodes_incremental"] = slowest_nodes(run_results)
        result["dbt_build_weekly"] = run_measured([dbt, "build", "--selector", "weekly"], env)
        result["slowest_nodes_weekly"] = slowest_nodes(run_results)
    result["incremental_model_seconds"] = {
        name: {"full": full_seconds.get(name), "incremental": incremental_seconds.get(name)}
        for name in INCREMENTAL_MODELS}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "target" / "benchmark")
    parser.add_argument("--skip-reader", action="store_true",
                        help="skip the BI-reader-during-rebuild measurement (a second full build)")
    parser.add_argument("--chunk-customers", type=int, default=25_000,
                        help="stream the generator in chunks of this many customers (bounded memory, D34)")
    parser.add_argument("--skip-incremental", action="store_true",
                        help="skip the appended day and the incremental build after the full one")
    parser.add_argument("--skip-validation", action="store_true",
                        help="skip the Great Expectations validation after the full build (measured separately)")
    parser.add_argument("--select", default=None,
                        help="build only these dbt selectors (space-separated, e.g. '+mart_a +mart_b' for the marts of "
                             "one issue and their parents); validation and the reader measurement are then skipped")
    parser.add_argument("--duckdb-memory-limit", default=None,
                        help="cap DuckDB's buffer for the builds (EMPATHY_DUCKDB_MEMORY_LIMIT, e.g. 10GB): the Python "
                             "models' pandas frames need the rest of the machine at a million customers (D40)")
    args = parser.parse_args(argv)

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    raw_dir, db = out / "raw", out / "warehouse.duckdb"
    for stale in (db, Path(f"{db}.wal")):
        stale.unlink(missing_ok=True)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "EMPATHY_RAW_DIR": str(raw_dir),
        "EMPATHY_DUCKDB_PATH": str(db),
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_TARGET_PATH": str(out / "dbt_target"),
        "DBT_LOG_PATH": str(out / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **({"EMPATHY_DUCKDB_MEMORY_LIMIT": args.duckdb_memory_limit} if args.duckdb_memory_limit else {}),
    }

    report: dict = {
        "customers": args.customers, "seed": args.seed, "machine": platform.platform(),
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "duckdb_memory_limit": args.duckdb_memory_limit or "DuckDB's default (80% of the machine)",
    }
    report["generate"] = run_measured(
        [str(bin_dir / "python"), "-m", "empathy.demo.generate", "--customers", str(args.customers),
         "--seed", str(args.seed), "--out", str(raw_dir),
         *(["--chunk-customers", str(args.chunk_customers)] if args.chunk_customers < args.customers else [])], env)
    report["select"] = args.select
    report["dbt_build"] = run_measured(
        [str(bin_dir / "dbt"), "build",
         # cautious: a test that also reads a model outside the selection is skipped, not run against a missing table
         *(["--select", *args.select.split(), "--indirect-selection", "cautious"] if args.select else [])], env)
    report["slowest_nodes"] = slowest_nodes(out / "dbt_target" / "run_results.json")
    report["python_models"] = python_model_timings(out / "dbt_target")
    report["learned_detector_seconds"] = {
        row["node"]: row["seconds"] for row in report["python_models"]
        if row["node"].split(".")[-1] in DETECTOR_MODELS}
    report["action_model_seconds"] = model_seconds(out / "dbt_target" / "run_results.json", ACTION_MODELS)
    if report["dbt_build"]["exit_code"] == 0:
        report["rows"] = table_rows(db, [
            "staging.stg_helpdesk__interactions", "staging.stg_helpdesk__transcript_segments",
            "marts.fct_interactions", "marts.fct_interaction_behaviors", "marts.dim_customers",
            "marts.fct_csat_pulse_weights", "intermediate.int_lifelines_assembled",
            "intermediate.int_exposure_episodes_accumulated", "intermediate.int_customer_weeks_signalled",
            "marts.mart_at_risk_alerts", "marts.mart_save_conversations",
        ])
        if not args.select and not args.skip_validation:  # the suites expect every mart
            report["validate"] = run_measured(
                [str(bin_dir / "python"), "-m", "empathy.checks.validate", "--db", str(db), "--out", str(out / "gx")],
                env)
        if not args.skip_incremental:
            report.update(incremental_day(out, env, args.select))
        if not args.skip_reader and not args.select:
            report["reader_during_rebuild"] = reader_during_rebuild(db, env)

    (out / "report.json").write_text(json.dumps(report, indent=2))
    lines = [
        f"# Benchmark: {args.customers:,} customers (seed {args.seed})",
        "",
        f"Machine: {report['machine']}, {report['cpus']} CPUs, Python {report['python']}; DuckDB memory limit: "
        f"{report['duckdb_memory_limit']}",
        *([f"Built: `dbt build --select {args.select}`"] if args.select else []),
        "",
        "| step | wall time (s) | peak memory (MiB) | exit |",
        "|---|---|---|---|",
    ]
    for step in ("generate", "dbt_build", "validate", "append_day", "dbt_build_incremental", "dbt_build_daily",
                 "dbt_build_weekly"):
        if step in report:
            m = report[step]
            lines.append(f"| {step} | {m['seconds']} | {m['peak_mib']} | {m['exit_code']} |")
    if "reader_during_rebuild" in report:
        r = report["reader_during_rebuild"]
        lines += ["", "A BI reader during a rebuild (a read-only connection querying every 50 ms while "
                  "`python -m empathy.ops.publish --no-validate` rebuilds and publishes the served file):", "",
                  f"- rebuild and publish: {r['rebuild']['seconds']} s (exit {r['rebuild']['exit_code']})",
                  f"- reader queries: {r['reader_queries']}, failed: {r['reader_failures']}, "
                  f"longest: {r['reader_max_ms']} ms, 99th percentile: {r['reader_p99_ms']} ms"]
    if report.get("incremental_model_seconds"):
        seconds = report["incremental_model_seconds"]
        total = {kind: round(sum(v[kind] or 0 for v in seconds.values()), 1) for kind in ("full", "incremental")}
        lines += ["", f"Incremental models and their refresh scope (D33): {total['full']} s in the full build, "
                  f"{total['incremental']} s after one appended day "
                  f"({sum(report.get('appended_rows', {}).values()):,} rows appended).", "",
                  "| model | full build (s) | incremental (s) |", "|---|---|---|"]
        lines += [f"| {k} | {v['full']} | {v['incremental']} |" for k, v in seconds.items()]
        for key, title in (("slowest_nodes_incremental", "the incremental build (the daily job without --select)"),
                           ("slowest_nodes_weekly", "the weekly job after it")):
            if report.get(key):
                lines += ["", f"Slowest nodes of {title}:", "", "| node | type | seconds |", "|---|---|---|"]
                lines += [f"| {n['node']} | {n['type']} | {n['seconds']} |" for n in report[key]]
    if report.get("learned_detector_seconds"):
        detector = report["learned_detector_seconds"]
        lines += ["", f"The learned behaviour detector adds {round(sum(detector.values()), 1)} s of model time to the "
                  "build: " + ", ".join(f"{k} {v} s" for k, v in detector.items()) + "."]
    if report.get("action_model_seconds"):
        lines += ["", "Acting on the signals (issue 12):", "", "| model | seconds |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in report["action_model_seconds"].items()]
    if "rows" in report:
        lines += ["", "| table | rows |", "|---|---|"] + [f"| {t} | {n:,} |" for t, n in report["rows"].items()]
    lines += ["", "Slowest nodes of the build:", "", "| node | type | seconds |", "|---|---|---|"]
    lines += [f"| {n['node']} | {n['type']} | {n['seconds']} |" for n in report["slowest_nodes"]]
    lines += ["", "Python models (weights, statistics):", "", "| model | seconds | status |", "|---|---|---|"]
    lines += [f"| {n['node']} | {n['seconds']} | {n['status']} |" for n in report["python_models"]]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if report["dbt_build"]["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
