"""The warehouse is safe beside real data and a BI tool (issue 8):

- the demo and test targets never write into the user's folders, the generator refuses foreign folders, and
  `make clean` removes only what the project created;
- a rebuild publishes a new file atomically: a reader holding a connection is never blocked, a failed build or a
  failed check leaves the served warehouse untouched;
- the same raw data builds the same warehouse, table for table;
- `dbt source freshness` runs on any `_loaded_at` type;
- schema drift and broken files fail the contract check by file, before anything is rewritten;
- labels match whatever their case and separators, and a large quarantine share warns.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import PROJECT_DIR, REFRESH_SCOPE_MODELS, query, run_dbt
from empathy.ops import publish
from empathy.ops.fingerprint import table_fingerprints
from empathy.demo.generate import MARKER, FolderNotOwned, generate
from tests.fixtures.handwritten_raw import write_handwritten_raw

MAKE_ENV_KEYS = ("EMPATHY_RAW_DIR", "EMPATHY_DUCKDB_PATH")


def _user_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A folder of "the user's" deliveries with one Parquet-looking file and one warehouse file."""
    user = tmp_path / "user"
    (user / "interactions").mkdir(parents=True)
    precious = user / "interactions" / "mine.parquet"
    precious.write_bytes(b"the user's own delivery")
    warehouse = user / "warehouse.duckdb"
    warehouse.write_bytes(b"the user's own warehouse")
    return precious, warehouse


def _make(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *args], cwd=PROJECT_DIR, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=600)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- 1. nothing the user owns is touched
def test_generator_refuses_a_folder_it_did_not_create(tmp_path: Path) -> None:
    precious, _ = _user_folder(tmp_path)
    with pytest.raises(FolderNotOwned, match="--force"):
        generate(30, 1, precious.parent.parent)
    assert precious.read_bytes() == b"the user's own delivery"
    cli = subprocess.run([sys.executable, "-m", "empathy.demo.generate", "--customers", "30", "--out",
                          str(precious.parent.parent)], capture_output=True, text=True)
    assert cli.returncode != 0 and "refusing to write demo data" in cli.stderr
    assert precious.read_bytes() == b"the user's own delivery"


def test_generator_rewrites_its_own_folder_and_obeys_force(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    generate(30, 1, out)
    assert (out / MARKER).exists()
    generate(30, 2, out)  # its own folder: regenerated without --force
    empty = tmp_path / "empty"
    empty.mkdir()
    generate(30, 1, empty)  # an empty folder is fine
    precious, _ = _user_folder(tmp_path)
    generate(30, 1, precious.parent.parent, force=True)
    assert (precious.parent.parent / MARKER).exists()


def test_make_data_writes_the_demo_folder_whatever_the_environment(tmp_path: Path) -> None:
    precious, warehouse = _user_folder(tmp_path)
    demo = tmp_path / "project_demo"
    result = _make(["data", "CUSTOMERS=30", f"DEMO_RAW_DIR={demo}"],
                   {"EMPATHY_RAW_DIR": str(precious.parent.parent), "EMPATHY_DUCKDB_PATH": str(warehouse)})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert precious.read_bytes() == b"the user's own delivery"
    assert (demo / "interactions").is_dir() and (demo / MARKER).exists()


def test_demo_and_test_targets_never_name_the_users_paths(tmp_path: Path) -> None:
    """`make -n` prints every command the targets would run: none may mention the user's folders."""
    precious, warehouse = _user_folder(tmp_path)
    user_dir = precious.parent.parent
    env = {"EMPATHY_RAW_DIR": str(user_dir), "EMPATHY_DUCKDB_PATH": str(warehouse)}
    for target in ("data", "demo", "test", "pytest", "lint", "docs", "clean"):
        dry = _make(["-n", "-B", target], env)
        assert dry.returncode == 0, dry.stderr
        assert str(user_dir) not in dry.stdout, (target, dry.stdout)
    # ... while `make build` does build the user's data into the user's warehouse
    build = _make(["-n", "build"], env)
    assert f'EMPATHY_RAW_DIR="{user_dir}"' in build.stdout and f'EMPATHY_DUCKDB_PATH="{warehouse}"' in build.stdout


def test_make_clean_removes_only_what_the_project_created(tmp_path: Path) -> None:
    precious, warehouse = _user_folder(tmp_path)
    target, logs, foreign_demo = tmp_path / "target", tmp_path / "logs", tmp_path / "not_generated"
    for folder in (target, logs, foreign_demo):
        folder.mkdir()
        (folder / "file").write_text("x")
    env = {"EMPATHY_RAW_DIR": str(precious.parent.parent), "EMPATHY_DUCKDB_PATH": str(warehouse)}
    result = _make(["clean", f"TARGET_DIR={target}", f"LOG_DIR={logs}", f"DEMO_RAW_DIR={foreign_demo}"], env)
    assert result.returncode == 0, result.stderr
    assert not target.exists() and not logs.exists()
    assert (foreign_demo / "file").exists(), "a demo folder without the generator's marker is kept"
    assert "kept" in result.stdout
    assert precious.exists() and warehouse.exists()
    (foreign_demo / MARKER).write_text("made by the generator")
    result = _make(["clean", f"TARGET_DIR={target}", f"LOG_DIR={logs}", f"DEMO_RAW_DIR={foreign_demo}"], env)
    assert result.returncode == 0 and not foreign_demo.exists()


# ----------------------------------------------------------------------------- 2. readers and rebuilds coexist
def _publish(raw: Path, served: Path, work: Path, dbt_args: list[str], validate: bool = True,
             ) -> subprocess.CompletedProcess:
    env = {
        **os.environ, "EMPATHY_RAW_DIR": str(raw), "EMPATHY_DUCKDB_PATH": str(served),
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"), "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = [sys.executable, "-m", "empathy.ops.publish", *([] if validate else ["--no-validate"]), *dbt_args]
    return subprocess.run(args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The hand-written raw data built, validated and published once: (raw folder, served file, work folder)."""
    work = tmp_path_factory.mktemp("publish")
    raw = write_handwritten_raw(work / "raw")
    served = work / "served" / "warehouse.duckdb"
    result = _publish(raw, served, work, [])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert served.exists() and publish.record_path(served).exists()
    return raw, served, work


def test_a_rebuild_with_the_same_code_and_settings_is_incremental(published: tuple[Path, Path, Path]) -> None:
    """The second publication of the same raw data starts from a copy of the served warehouse (D33), says so in
    its record, and serves the same content as the first."""
    raw, served, work = published
    first = json.loads(publish.record_path(served).read_text())
    before = table_fingerprints(served, ("staging", "intermediate", "marts", "audit", "restricted"))
    result = _publish(raw, served, work, [])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    second = json.loads(publish.record_path(served).read_text())
    assert (first["build_mode"], second["build_mode"]) == ("full", "incremental")
    assert first["code_fingerprint"] == second["code_fingerprint"]
    assert "publish: incremental build" in result.stdout
    assert "sql incremental model staging.screened_interactions" in result.stdout
    after = table_fingerprints(served, ("staging", "intermediate", "marts", "audit", "restricted"))
    changed = sorted(n for n in before if before[n] != after.get(n) and n.split(".")[-1] not in REFRESH_SCOPE_MODELS)
    assert changed == []
    assert publish.incremental_base(served, second["code_fingerprint"], ["--full-refresh"])[0] is None
    assert publish.incremental_base(served, "another fingerprint", [])[0] is None


def test_node_selection_does_not_change_the_code_fingerprint() -> None:
    """The daily and weekly jobs (D42) differ only in which nodes run; --vars or --target change what is built."""
    assert publish.computing_args(["--selector", "daily"]) == []
    assert publish.computing_args(["--select", "a", "b+", "--exclude", "c", "--full-refresh", "--vars", "{x: 1}"]) == [
        "--vars", "{x: 1}"]
    assert publish.computing_args(["--selector=weekly", "--target", "prod"]) == ["--target", "prod"]
    assert publish.computing_args(["-s", "tag:statistics+", "--indirect-selection", "cautious"]) == []


def test_the_daily_then_the_weekly_job_serve_the_same_warehouse(published: tuple[Path, Path, Path]) -> None:
    """`--selector daily` then `--selector weekly` on the served warehouse (D42): both start from it incrementally
    (selection is not in the fingerprint); the daily job leaves the statistics marts alone and the weekly job builds
    only them; afterwards the warehouse serves the same content as the one-shot build of the same raw data."""
    raw, served, work = published
    schemas = ("staging", "intermediate", "marts", "audit", "restricted")
    before = table_fingerprints(served, schemas)
    first = json.loads(publish.record_path(served).read_text())
    daily = _publish(raw, served, work, ["--selector", "daily"], validate=False)
    assert daily.returncode == 0, daily.stdout[-4000:] + daily.stderr[-2000:]
    assert json.loads(publish.record_path(served).read_text())["build_mode"] == "incremental"
    assert re.search(r"model marts\.fct_interactions\b", daily.stdout)
    assert not re.search(r"model marts\.mart_behavior_effects\b", daily.stdout)
    weekly = _publish(raw, served, work, ["--selector", "weekly"], validate=False)
    assert weekly.returncode == 0, weekly.stdout[-4000:] + weekly.stderr[-2000:]
    record = json.loads(publish.record_path(served).read_text())
    assert (record["build_mode"], record["code_fingerprint"]) == ("incremental", first["code_fingerprint"])
    assert re.search(r"model marts\.mart_behavior_effects\b", weekly.stdout)
    assert not re.search(r"model marts\.fct_interactions\b", weekly.stdout)
    after = table_fingerprints(served, schemas)
    assert set(after) == set(before)
    changed = sorted(n for n in before if before[n] != after[n] and n.split(".")[-1] not in REFRESH_SCOPE_MODELS)
    assert changed == []


def test_a_rebuild_succeeds_while_a_reader_holds_a_connection(published: tuple[Path, Path, Path]) -> None:
    raw, served, work = published
    latencies: list[float] = []
    errors: list[str] = []
    done = threading.Event()
    reader = duckdb.connect(str(served), read_only=True)
    before = reader.execute("select as_of::varchar from staging.stg_build__as_of").fetchone()[0]

    def read_continuously() -> None:
        while not done.is_set():
            started = time.perf_counter()
            try:
                reader.execute("select count(*) from marts.fct_interactions").fetchone()
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(repr(exc))
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)

    thread = threading.Thread(target=read_continuously)
    thread.start()
    try:
        result = _publish(raw, served, work, ["--vars", "{as_of: '2026-03-04 00:00:00'}"])
    finally:
        done.set()
        thread.join()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert errors == []
    assert len(latencies) > 20, "the reader ran throughout the build"
    # how long the reader waited is measured by scripts/benchmark.py, not asserted here (no timed unit tests)
    print(f"reader during a rebuild: {len(latencies)} queries, longest {max(latencies) * 1000:.1f} ms")
    # the old connection still reads the warehouse it opened; a new connection reads the new build
    assert reader.execute("select as_of::varchar from staging.stg_build__as_of").fetchone()[0] == before
    reader.close()
    assert query(served, "select as_of::varchar from staging.stg_build__as_of") == [("2026-03-04 00:00:00",)]
    assert not list(served.parent.glob(".*building*")), "no build file is left behind"


def test_a_failed_build_leaves_the_served_warehouse_untouched(published: tuple[Path, Path, Path],
                                                             tmp_path: Path) -> None:
    _, served, work = published
    before = _digest(served)
    broken = write_handwritten_raw(tmp_path / "raw")
    shutil.rmtree(broken / "agents")
    result = _publish(broken, served, work, [])
    assert result.returncode != 0
    assert "table 'agents'" in result.stdout and "unchanged" in result.stderr
    assert _digest(served) == before
    assert not list(served.parent.glob(".*building*"))


def test_a_build_that_fails_its_checks_is_not_published(published: tuple[Path, Path, Path]) -> None:
    raw, served, work = published
    before = _digest(served)
    failing_check = [[sys.executable, "-c", "raise SystemExit(3)"]]
    env_backup = dict(os.environ)
    os.environ.update({"EMPATHY_RAW_DIR": str(raw), "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
                       "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")})
    try:
        rc = publish.build_and_publish(publish.dbt_build_command(["--select", "+stg_build__as_of", "--indirect-selection", "cautious"]), failing_check,
                                       served)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    assert rc == 3
    assert _digest(served) == before
    assert publish.failed_path(served).exists(), "the rejected build is kept for inspection"


# ----------------------------------------------------------------------------- 3. same data, same warehouse
def test_the_same_raw_data_builds_the_same_warehouse(demo_db: Path, tmp_path: Path) -> None:
    """The demo raw data built a second time gives, table for table, the same content (order-independent hash of
    every row of every table after staging, floats compared bit for bit)."""
    raw = Path(os.environ.get("EMPATHY_RAW_DIR", PROJECT_DIR / "data" / "demo"))
    result = run_dbt(["build", "--exclude", "resource_type:test", "resource_type:unit_test"], raw, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    schemas = ("staging", "intermediate", "marts", "audit", "restricted")
    first = table_fingerprints(demo_db, schemas)
    second = table_fingerprints(tmp_path / "warehouse.duckdb", schemas)
    assert len(first) > 50
    differing = sorted(name for name in first.keys() | second.keys() if first.get(name) != second.get(name))
    assert differing == []


# ----------------------------------------------------------------------------- 4. source freshness
def test_source_freshness_reports_every_table(demo_db: Path, tmp_path: Path) -> None:
    raw = Path(os.environ.get("EMPATHY_RAW_DIR", PROJECT_DIR / "data" / "demo"))
    generous = run_dbt(["source", "freshness", "--vars",
                        "{source_freshness_warn_after_hours: 1000000, source_freshness_error_after_hours: 2000000}"],
                       raw, tmp_path)
    assert generous.returncode == 0, generous.stdout[-3000:]
    sources = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
    assert len(sources) == 14
    assert {r["status"] for r in sources} == {"pass"}
    assert all(r["max_loaded_at"] for r in sources)
    # with the default thresholds the demo data (loaded in the past) is stale: reported, not a runtime error
    default = run_dbt(["source", "freshness"], raw, tmp_path)
    statuses = {r["status"] for r in json.loads((tmp_path / "target" / "sources.json").read_text())["results"]}
    assert "runtime error" not in statuses and statuses <= {"pass", "warn", "error"}, default.stdout[-3000:]


# ----------------------------------------------------------------------------- 5. schema drift, broken files
def test_a_column_missing_from_one_file_is_named_with_the_file(tmp_path: Path) -> None:
    raw = write_handwritten_raw(tmp_path / "raw")
    first = raw / "interactions" / "part-1.parquet"
    second = raw / "interactions" / "part-8.parquet"
    pq.write_table(pq.read_table(first).drop(["channel"]), second)  # a second file, without `channel`
    result = run_dbt(["seed", "--select", "label_synonyms"], raw, tmp_path)
    assert result.returncode != 0
    assert f"table 'interactions' (source helpdesk): column 'channel' is missing in file {second}" in result.stdout
    assert str(first) not in result.stdout.split("column 'channel'")[1].split("\n")[0]


def test_broken_files_are_all_listed_and_the_warehouse_is_untouched(tmp_path: Path) -> None:
    raw = write_handwritten_raw(tmp_path / "raw")
    assert run_dbt(["seed", "--select", "label_synonyms"], raw, tmp_path).returncode == 0
    warehouse = tmp_path / "warehouse.duckdb"
    views_before = query(warehouse, "select view_name, sql from duckdb_views() where schema_name = 'raw' order by 1")
    zero = raw / "agents" / "part-9.parquet"
    zero.write_bytes(b"")
    whole = (raw / "incidents" / "part-1.parquet").read_bytes()
    truncated = raw / "incidents" / "part-9.parquet"
    truncated.write_bytes(whole[: len(whole) // 2])
    foreign = raw / "qa_reviews" / "part-9.parquet"
    foreign.write_text("review_id,score\nR1,5\n")
    moved = tmp_path / "elsewhere"
    shutil.copytree(raw, moved)
    result = run_dbt(["seed", "--select", "label_synonyms"], moved, tmp_path)
    assert result.returncode != 0
    for path in (zero, truncated, foreign):
        moved_path = moved / path.relative_to(raw)
        assert f"file {moved_path} is" in result.stdout, path
    assert "zero bytes" in result.stdout and "truncated or corrupt" in result.stdout
    views_after = query(warehouse, "select view_name, sql from duckdb_views() where schema_name = 'raw' order by 1")
    assert views_after == views_before, "a failed contract check does not repoint the raw views"


# ----------------------------------------------------------------------------- 6. labels and quarantine shares
def test_a_large_quarantine_share_warns_with_table_reason_count_and_values(tmp_path: Path) -> None:
    raw = write_handwritten_raw(tmp_path / "raw")
    path = raw / "interactions" / "part-1.parquet"
    table = pq.read_table(path).to_pylist()
    labels = ["Live Chat", "live-chat", "LIVECHAT", "Carrier Pigeon", "carrier pigeon"]
    extra = [{**table[0], "interaction_id": f"X{i}", "channel": label} for i, label in enumerate(labels)]
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(extra, schema=pq.read_schema(path)), raw / "interactions" / "part-7.parquet")
    result = run_dbt(["build", "--select", "stg_helpdesk__interactions", "label_synonyms"], raw, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    channels = dict(query(tmp_path / "warehouse.duckdb",
                          "select interaction_id, channel from staging.stg_helpdesk__interactions "
                          "where interaction_id like 'X%'"))
    assert channels == {"X0": "chat", "X1": "chat", "X2": "chat", "X3": None, "X4": None}
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    share_test = [r for r in results if "quarantine_share_within_limit_stg_helpdesk__interactions" in r["unique_id"]]
    assert [r["status"] for r in share_test] == ["warn"]
    line = next(l for l in result.stdout.splitlines() if "WARNING quarantine: table 'interactions'" in l
                and "unmapped_channel" in l)
    assert re.search(r"holds 3 of \d+ delivered rows", line), line
    assert "'carrier pigeon' (2), 'Carrier Pigeon' (1)" in line  # the fixture's own I5 + two added


# ----------------------------------------------------------------------------- 7. README and repository
def test_bare_dbt_commands_work_from_the_project_root(tmp_path: Path) -> None:
    """The README's bare `dbt ...` commands: the profile is found without DBT_PROFILES_DIR."""
    env = {k: v for k, v in os.environ.items() if k != "DBT_PROFILES_DIR"}
    env.update({"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs"),
                "EMPATHY_DUCKDB_PATH": str(tmp_path / "w.duckdb")})
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run([str(dbt), "parse"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]


def test_readme_lists_every_mart_and_schema(dbt_manifest: dict) -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    models = [n for n in dbt_manifest["nodes"].values()
              if n["resource_type"] == "model" and n["package_name"] == "empathy_warehouse"]
    marts = sorted(n["name"] for n in models if n["original_file_path"].startswith("models/marts/"))
    missing = [m for m in marts if f"`{m}`" not in readme]
    assert missing == []
    schemas = {n["schema"] for n in models} | {"raw", "reference"}
    assert [s for s in sorted(schemas) if f"`{s}`" not in readme] == []


def test_requirements_are_pinned_split_and_declared() -> None:
    def pins(name: str) -> dict[str, str]:
        lines = (PROJECT_DIR / name).read_text().splitlines()
        found = {}
        for line in lines:
            line = line.split("#")[0].strip()
            if not line or line.startswith("-"):
                continue
            assert "==" in line, f"{name}: {line} is not pinned"
            package, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", package).lower()] = version
        return found

    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert "-r requirements.txt" in (PROJECT_DIR / "requirements-dev.txt").read_text()
    assert not set(runtime) & set(dev), "each package is pinned in one file"
    assert {"pytest", "sqlfluff"} <= set(dev) and not {"pytest", "sqlfluff"} & set(runtime)
    pyproject = (PROJECT_DIR / "pyproject.toml").read_text()
    declared = dict(re.findall(r'"([A-Za-z0-9_.-]+)==([^"]+)"', pyproject))
    assert declared, "pyproject.toml declares the runtime dependencies"
    for package, version in declared.items():
        assert runtime.get(re.sub(r"[-_.]+", "-", package).lower()) == version, package


def test_generated_files_are_not_tracked() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True)
    if tracked.returncode != 0:
        pytest.skip("not a git checkout")
    assert [f for f in tracked.stdout.splitlines() if ".egg-info" in f or f.startswith(("target/", "data/"))] == []


def test_trace_analysis_compiles_as_documented_and_orders_the_words_by_offset(demo_db: Path, tmp_path: Path) -> None:
    """The analysis' own instructions: `dbt compile --select trace_interaction --vars ...`, then run the SQL."""
    interaction_id, source_system = query(
        demo_db, "select interaction_id, source_system from marts.fct_interactions where is_transcript_usable "
                 "order by interaction_key limit 1")[0]
    raw = Path(os.environ.get("EMPATHY_RAW_DIR", PROJECT_DIR / "data" / "demo"))
    warehouse = tmp_path / demo_db.name  # the compiled SQL names the warehouse file's catalogue: same file name
    shutil.copy(demo_db, warehouse)
    result = run_dbt(["compile", "--select", "trace_interaction", "--vars",
                      f"{{trace_source_system: {source_system}, trace_interaction_id: {interaction_id}}}"],
                     raw, tmp_path, {"EMPATHY_DUCKDB_PATH": str(warehouse)})
    assert result.returncode == 0, result.stdout[-3000:]
    sql = next((tmp_path / "target" / "compiled").rglob("trace_interaction.sql")).read_text()
    rows = query(warehouse, sql)
    steps = [row[2] for row in rows]
    assert steps == sorted(steps, key=["words", "behaviour", "outcome"].index) and "outcome" in steps
    offsets = [row[1] for row in rows if row[2] == "words"]
    assert len(offsets) > 1 and offsets == sorted(offsets)


# ----------------------------------------------------------------------------- 8. docs a BI tool can see
def test_column_descriptions_are_persisted_in_the_catalogue(demo_db: Path, dbt_manifest: dict) -> None:
    """Every table and column description of the marts is a comment in DuckDB's catalogue, word for word."""
    comments = {
        (schema, table, column): comment
        for schema, table, column, comment in query(
            demo_db, "select schema_name, table_name, column_name, comment from duckdb_columns() "
                     "where schema_name in ('marts', 'audit', 'restricted')")
    }
    table_comments = dict(query(demo_db, "select table_name, comment from duckdb_tables() "
                                         "where schema_name in ('marts', 'audit', 'restricted')"))
    checked = 0
    for node in dbt_manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] not in ("marts", "audit", "restricted"):
            continue
        assert table_comments.get(node["alias"], "").strip() == node["description"].strip(), node["name"]
        for column, spec in node["columns"].items():
            if spec["description"].strip():
                assert (comments.get((node["schema"], node["alias"], column)) or "").strip() == \
                    spec["description"].strip(), (node["name"], column)
                checked += 1
    assert checked > 200
