"""The Spark build of the SQL layers equals the DuckDB build (docs/decisions.md D36).

For every model of the selector spark_sql_layers (as `dbt ls` resolves it), on the DuckDB warehouse of the demo
data (EMPATHY_DUCKDB_PATH, default target/demo.duckdb) and on the Spark build of the same data (EMPATHY_SPARK_DIR):
the same columns, the same row count and, per column, the same aggregates: non-null count; for numbers the sum,
minimum and maximum; for booleans the number true; for text the total length, the minimum and the maximum, and for
key and code columns (KEY_SUFFIXES) the number of distinct values; for dates and timestamps the sum, minimum and
maximum of the instant (epoch seconds or days); for lists the total number of elements and the distinct lists.

Tolerance: counts and text must be equal. Numbers are compared with a relative tolerance of 1e-9 (absolute 1e-6
near zero): a sum of doubles depends on the order of its terms, which differs between the engines (DuckDB sums
avg/stddev inputs in order with `order by`, Spark has no ordered aggregates). Nothing is skipped: a model that
cannot be compared fails the test.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.spark.conftest import PROJECT_DIR, safe_identifier, spark_schema_prefix

pytestmark = pytest.mark.spark

KEY_SUFFIXES = ("_id", "_key", "_code", "_node", "_system", "_type", "_reason", "_fate")
REL_TOL = 1e-9
ABS_TOL = 1e-6
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "FLOAT", "REAL", "DOUBLE", "DECIMAL")


def category(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t.endswith("[]"):
        return "list"
    if t.startswith(NUMERIC):
        return "number"
    if t == "BOOLEAN":
        return "boolean"
    if t == "VARCHAR":
        return "text"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return "other"


def is_key(column: str) -> bool:
    """A key or code column: its distinct values are counted (each distinct count costs Spark a pass)."""
    return column.endswith(KEY_SUFFIXES)


def aggregates(column: str, kind: str, engine: str) -> dict[str, str]:
    """Aggregate name -> SQL expression over one column, in the given engine's dialect."""
    c = safe_identifier(column)
    spark = engine == "spark"
    found = {"non_null": f"count({c})"}
    if kind == "number":
        x = f"cast({c} as double)"
        found |= {"sum": f"sum({x})", "min": f"min({x})", "max": f"max({x})"}
    elif kind == "boolean":
        found |= {"n_true": f"sum(case when {c} then 1 else 0 end)"}
    elif kind == "text":
        found |= {"length": f"sum(length({c}))", "min": f"min({c})", "max": f"max({c})"}
        if is_key(column):
            found |= {"distinct": f"count(distinct {c})"}
    elif kind == "timestamp":
        x = f"unix_micros(cast({c} as timestamp)) / 1e6" if spark else f"epoch({c})"
        found |= {"sum": f"sum({x})", "min": f"min({x})", "max": f"max({x})"}
    elif kind == "date":
        x = f"datediff(cast({c} as date), date'1970-01-01')" if spark else f"date_diff('day', date '1970-01-01', {c})"
        found |= {"sum": f"sum({x})", "min": f"min({x})", "max": f"max({x})"}
    elif kind == "list":
        size = f"size({c})" if spark else f"len({c})"
        joined = f"array_join({c}, '|')" if spark else f"array_to_string({c}, '|')"
        found |= {"elements": f"sum({size})", "distinct": f"count(distinct {joined})", "min": f"min({joined})"}
    return found


@pytest.fixture(scope="session")
def duckdb_path() -> Path:
    path = Path(os.environ.get("EMPATHY_DUCKDB_PATH", PROJECT_DIR / "target" / "demo.duckdb"))
    assert path.exists(), f"no DuckDB build at {path}: run `make demo` (or set EMPATHY_DUCKDB_PATH)"
    return path


@pytest.fixture(scope="session")
def spark_models(tmp_path_factory) -> list[dict]:
    """The selector's models as dbt resolves them: name, custom schema and alias (dbt writes its manifest into a
    temporary folder, never over the DuckDB build's target/manifest.json)."""
    work = tmp_path_factory.mktemp("dbt_ls")
    env = {**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "ls", "--target", "spark", "--selector", "spark_sql_layers", "--resource-type", "model",
         "--output", "json", "--output-keys", "name config original_file_path", "--quiet"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    models = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert models, "the selector spark_sql_layers selects no model"
    return models


def test_selection_is_the_sql_models_with_sql_ancestors(spark_models):
    """Every selected model is SQL; none is a Python model (those cannot run on OSS Spark)."""
    python_models = [m["name"] for m in spark_models if m["original_file_path"].endswith(".py")]
    assert not python_models, python_models
    assert len(spark_models) >= 60, f"only {len(spark_models)} models selected"


def test_spark_build_equals_duckdb_build(spark, spark_models, duckdb_path):
    prefix = spark_schema_prefix()
    differences: list[str] = []
    compared = 0
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        for model in sorted(spark_models, key=lambda m: m["name"]):
            name = model["config"].get("alias") or model["name"]
            layer = model["config"]["schema"]
            duck_columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position", [layer, name]).fetchall()
            if not duck_columns:
                differences.append(f"{name}: not in the DuckDB build ({layer}.{name})")
                continue
            spark_table = f"{prefix}_{layer}.{name}"
            if not spark.catalog.tableExists(spark_table):
                differences.append(f"{name}: not in the Spark build ({spark_table})")
                continue
            spark_columns = [f.name.lower() for f in spark.table(spark_table).schema.fields]
            if sorted(spark_columns) != sorted(c for c, _ in duck_columns):
                differences.append(f"{name}: columns differ: only DuckDB "
                                   f"{sorted({c for c, _ in duck_columns} - set(spark_columns))}, only Spark "
                                   f"{sorted(set(spark_columns) - {c for c, _ in duck_columns})}")
                continue
            labels, duck_sql, spark_sql = ["rows"], ["count(*)"], ["count(*)"]
            for column, data_type in duck_columns:
                kind = category(data_type)
                for (label, d), s in zip(aggregates(column, kind, "duckdb").items(),
                                         aggregates(column, kind, "spark").values()):
                    labels.append(f"{column}.{label}")
                    duck_sql.append(d)
                    spark_sql.append(s)
            duck_row = con.execute(f'select {", ".join(duck_sql)} from "{layer}"."{name}"').fetchone()
            spark_row = spark.sql(f"select {', '.join(spark_sql)} from {spark_table}").collect()[0]
            compared += 1
            for label, d, s in zip(labels, duck_row, spark_row):
                if not same(d, s):
                    differences.append(f"{name}.{label}: duckdb={d!r} spark={s!r}")
    print(f"compared {compared} models")
    assert not differences, f"{len(differences)} difference(s) between DuckDB and Spark:\n  " + "\n  ".join(differences)
    assert compared == len(spark_models)


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)


def test_spark_build_records_no_incremental_state():
    """On Spark the large models are plain tables and the Python incremental models never run, so the on-run-end
    hook neither records a watermark nor reports one as missing (its log line of a partial build)."""
    log = Path(os.environ.get("EMPATHY_SPARK_DIR", PROJECT_DIR / "target" / "spark")) / "logs" / "dbt.log"
    assert log.is_file(), f"no Spark build log at {log}: run `make test-spark`"
    text = log.read_text(errors="replace")
    assert "OK hook: empathy_warehouse.on-run-end" in text, "the Spark build's log shows no on-run-end hook that ran"
    assert "incremental state: not recorded" not in text
    assert "incremental state: recording" not in text
