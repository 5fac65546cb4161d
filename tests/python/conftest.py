"""Shared pytest fixtures: paths of the demo build that `make test` runs before pytest, and a dbt runner."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The incremental refresh scope (D33): these differ by design between an incremental and a one-shot build.
REFRESH_SCOPE_MODELS = frozenset(
    {"identity_customers_changed", "identity_interactions_changed", "identity_interactions_delivered",
     "identity_outcomes_changed"})


@pytest.fixture(scope="session")
def demo_db() -> Path:
    """The warehouse built from the demo data (`make demo`); the tests on it fail, not skip, when it is missing."""
    path = Path(os.environ.get("EMPATHY_DUCKDB_PATH", PROJECT_DIR / "target" / "demo.duckdb"))
    assert path.exists(), f"no demo warehouse at {path}: run `make demo` (or `make test`) first"
    return path


@pytest.fixture(scope="session")
def demo_manifest() -> dict:
    """The generator's manifest of the demo raw data the warehouse was built from."""
    raw_dir = Path(os.environ.get("EMPATHY_RAW_DIR", PROJECT_DIR / "data" / "demo"))
    path = raw_dir / "manifest.json"
    assert path.exists(), f"no demo manifest at {path}: run `make demo` first"
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def dbt_manifest() -> dict:
    """dbt's manifest.json of the demo build (parsed project: nodes, columns, tests, meta)."""
    path = PROJECT_DIR / "target" / "manifest.json"
    assert path.exists(), f"no dbt manifest at {path}: run `make build` first"
    return json.loads(path.read_text())


def query(db: Path, sql: str) -> list[tuple]:
    """Run one query on a warehouse file opened read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def run_dbt(args: list[str], raw_dir: Path, work_dir: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Run dbt on another raw folder into its own warehouse file and target folder (never the demo build's)."""
    env = {
        **os.environ,
        "EMPATHY_RAW_DIR": str(raw_dir),
        "EMPATHY_DUCKDB_PATH": str(work_dir / "warehouse.duckdb"),
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    dbt = Path(sys.executable).parent / "dbt"
    # A guard against a hung build, not a speed target (make benchmark reports speed): the 20,000-customer build
    # of the planted-effects tests takes about ten minutes on two cores.
    return subprocess.run(
        [str(dbt), *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=1800
    )
