"""Build the warehouse into a new DuckDB file, validate it, then publish it atomically over the served path.

``python -m empathy.ops.publish [--no-validate] [DBT_BUILD_ARGS ...]``

DuckDB allows one writer per file, and a writer cannot open a file that a reader (a BI tool, a notebook) holds,
so building in place makes every rebuild fail while anyone reads, and makes every reader fail while the build
runs. Here the served file (``EMPATHY_DUCKDB_PATH``, default ``target/empathy.duckdb``) is never opened for
writing:

1. ``dbt build`` writes a new file next to it (``.<name>.building-<pid>.duckdb``, same folder, so the rename
   below is atomic);
2. Great Expectations (:mod:`empathy.checks.validate`) and the privacy scan (:mod:`empathy.checks.privacy`) read the new file;
3. only when both succeed is the new file checkpointed and renamed over the served path (``os.replace``).

A reader that holds a connection keeps reading the warehouse it opened (the old file stays alive until it
disconnects); a new connection opens the new build. A failed build or a failed check never touches the served
file: the new file is deleted (build) or kept as ``<name>.failed.duckdb`` for inspection (checks).
A record of the last publication is written beside the served file (``<name>.published.json``).

Incremental builds (docs/decisions.md D33): when the served warehouse was built by the same project code and
settings (:func:`code_fingerprint`, kept in the record) and holds the incremental state, the new file starts as a
copy of it and ``dbt build`` updates the incremental models from their watermark; otherwise, or with
``--full-refresh``, the new file starts empty. Either way the served file is never written.

Exit codes: 0 published; otherwise the exit code of the step that failed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

DB_ENV_VAR = "EMPATHY_DUCKDB_PATH"
DEFAULT_DB = Path("target/empathy.duckdb")


def served_path() -> Path:
    """The path BI tools read: ``EMPATHY_DUCKDB_PATH``, else ``target/empathy.duckdb`` (absolute)."""
    return Path(os.environ.get(DB_ENV_VAR) or DEFAULT_DB).resolve()


def staging_path(served: Path) -> Path:
    """Where a build writes before it is published: a hidden file in the served file's folder."""
    return served.with_name(f".{served.stem}.building-{os.getpid()}{served.suffix}")


def failed_path(served: Path) -> Path:
    """Where a build that failed its checks is kept for inspection."""
    return served.with_name(f"{served.stem}.failed{served.suffix}")


def record_path(served: Path) -> Path:
    """The record of the last publication, beside the served file."""
    return served.with_name(f"{served.stem}.published.json")


FINGERPRINTED = ("dbt_project.yml", "models", "macros", "seeds", "profiles")
#: dbt arguments that choose which nodes run, not what a node computes: the daily and weekly jobs (D42) take turns
#: on one served warehouse, so they must not change the fingerprint. Each is followed by its value(s).
SELECTION_ARGS = ("--select", "-s", "--models", "-m", "--exclude", "--selector", "--indirect-selection",
                  "--resource-type", "--resource-types", "--exclude-resource-type", "--exclude-resource-types")


def computing_args(dbt_args: Sequence[str]) -> list[str]:
    """The dbt arguments that can change what a node computes: without --full-refresh and without node
    selection (SELECTION_ARGS with their values, as separate words or as --flag=value)."""
    kept: list[str] = []
    skipping = False
    for arg in dbt_args:
        if arg == "--full-refresh":
            skipping = False
            continue
        if arg.split("=", 1)[0] in SELECTION_ARGS:
            skipping = "=" not in arg
            continue
        if skipping and not arg.startswith("-"):
            continue
        skipping = False
        kept.append(arg)
    return kept


def code_fingerprint(project_dir: Path, dbt_args: Sequence[str]) -> str:
    """sha256 of everything that decides what a build computes from the same raw rows: the project's files
    (dbt_project.yml, models, macros, seeds, profiles), the dbt arguments that change what a node computes
    (:func:`computing_args`: not the node selection), the raw folder and the salt (hashed).
    An incremental build is only correct on a warehouse built with the same fingerprint."""
    digest = hashlib.sha256()
    for name in FINGERPRINTED:
        root = project_dir / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.exists():
                digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    settings = {
        "dbt_args": computing_args(dbt_args),
        "raw_dir": str(Path(os.environ.get("EMPATHY_RAW_DIR", "data/demo")).resolve()),
        "raw_schema_target": os.environ.get("EMPATHY_TARGET", "prod"),
        "salt": hashlib.sha256(os.environ.get("EMPATHY_SALT", "").encode()).hexdigest(),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def has_incremental_state(path: Path) -> bool:
    """Whether the warehouse at ``path`` recorded the watermark of a complete build (D33)."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return bool(con.execute(
                "select count(*) from information_schema.tables where table_name = '_incremental_state'"
            ).fetchone()[0])
    except duckdb.Error:
        return False


def incremental_base(served: Path, fingerprint: str, dbt_args: Sequence[str]) -> tuple[Path | None, str]:
    """The warehouse an incremental build may start from (the served one), or None, with the reason."""
    if "--full-refresh" in dbt_args:
        return None, "--full-refresh was asked for"
    if not served.exists():
        return None, "there is no served warehouse yet"
    try:
        record = json.loads(record_path(served).read_text())
    except (OSError, ValueError):
        return None, "the served warehouse has no publication record"
    if record.get("code_fingerprint") != fingerprint:
        return None, "the project code or build settings changed since the served warehouse was built"
    if not has_incremental_state(served):
        return None, "the served warehouse holds no incremental state"
    return served, "the served warehouse was built by the same code and settings"


def default_checks() -> list[list[str]]:
    """The checks a new build must pass before it is published: Great Expectations, then the privacy scan."""
    return [[sys.executable, "-m", "empathy.checks.validate"], [sys.executable, "-m", "empathy.checks.privacy"]]


def dbt_build_command(dbt_args: Sequence[str]) -> list[str]:
    """``dbt build`` from the running interpreter's environment, with extra arguments."""
    return [str(Path(sys.executable).parent / "dbt"), "build", *dbt_args]


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        if p.exists():
            p.unlink()


def _checkpoint(path: Path) -> None:
    """Fold any write-ahead log into the file, so the file alone is the whole warehouse."""
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")
    if Path(f"{path}.wal").exists():
        raise RuntimeError(f"{path}.wal still exists after a checkpoint; not publishing")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish_file(new_file: Path, served: Path) -> None:
    """Atomically replace ``served`` by ``new_file`` (same folder). A stale ``served.wal`` (left by a writer that
    crashed) belongs to the old file and would be replayed onto the new one: it is moved aside first."""
    _checkpoint(new_file)
    stale_wal = Path(f"{served}.wal")
    if stale_wal.exists():
        aside = stale_wal.with_name(f"{stale_wal.name}.stale-{int(time.time())}")
        os.replace(stale_wal, aside)
        print(f"publish: moved a stale write-ahead log of the old warehouse aside to {aside}", file=sys.stderr)
    os.replace(new_file, served)
    _fsync_dir(served.parent)


def _invocation_id(since: dt.datetime) -> str | None:
    """The dbt invocation id of the build just run (``run_results.json`` in dbt's target path, when it was written
    after ``since``): the build id the report prints beside every chart."""
    results = Path(os.environ.get("DBT_TARGET_PATH", "target")) / "run_results.json"
    try:
        metadata = json.loads(results.read_text())["metadata"]
        generated = dt.datetime.fromisoformat(metadata["generated_at"].replace("Z", "+00:00"))
    except (OSError, KeyError, ValueError):
        return None
    return metadata.get("invocation_id") if generated >= since else None


def build_and_publish(
    build_command: Sequence[str],
    checks: Sequence[Sequence[str]],
    served: Path | None = None,
    fingerprint: str | None = None,
) -> int:
    """Run ``build_command`` into a new file, run each check on it, publish it over ``served``; the exit code.

    Every command runs with ``EMPATHY_DUCKDB_PATH`` pointing at the new file, so dbt's profile, the validation and
    the privacy scan all address it without extra arguments. With ``fingerprint`` (the :func:`code_fingerprint`
    of this build) the new file starts as a copy of the served warehouse when that was built with the same one.
    """
    served = (served or served_path()).resolve()
    served.parent.mkdir(parents=True, exist_ok=True)
    new_file = staging_path(served)
    _remove(new_file)
    env = {**os.environ, DB_ENV_VAR: str(new_file)}
    started = time.monotonic()
    started_wall = dt.datetime.now(dt.timezone.utc)
    base, why = incremental_base(served, fingerprint, build_command) if fingerprint else (None, "no fingerprint")
    mode = "incremental" if base is not None else "full"
    if base is not None:
        shutil.copyfile(base, new_file)
    print(f"publish: {mode} build into {new_file} ({why})")
    rc = subprocess.run(list(build_command), env=env).returncode
    if rc != 0:
        _remove(new_file)
        print(f"publish: the build failed (exit {rc}); the served warehouse {served} is unchanged", file=sys.stderr)
        return rc
    build_seconds = time.monotonic() - started
    for check in checks:
        rc = subprocess.run(list(check), env=env).returncode
        if rc != 0:
            kept = failed_path(served)
            _remove(kept)
            os.replace(new_file, kept)
            print(f"publish: check {' '.join(check[-2:])} failed (exit {rc}); the served warehouse {served} is "
                  f"unchanged; the rejected build is kept at {kept}", file=sys.stderr)
            return rc
    publish_file(new_file, served)
    record = {
        "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "dbt_invocation_id": _invocation_id(started_wall),
        "path": str(served),
        "build_mode": mode,
        "code_fingerprint": fingerprint,
        "build_seconds": round(build_seconds, 1),
        "total_seconds": round(time.monotonic() - started, 1),
        "build_command": list(build_command)[1:],
        "checks": [" ".join(c[-2:]) for c in checks],
    }
    record_path(served).write_text(json.dumps(record, indent=2) + "\n")
    print(f"publish: {served} is the new warehouse ({record['total_seconds']} s)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--no-validate", action="store_true",
                        help="publish without Great Expectations and the privacy scan (not for production)")
    args, dbt_args = parser.parse_known_args(argv)
    checks = [] if args.no_validate else default_checks()
    fingerprint = code_fingerprint(Path.cwd(), dbt_args)
    return build_and_publish(dbt_build_command(dbt_args), checks, fingerprint=fingerprint)


if __name__ == "__main__":
    sys.exit(main())
