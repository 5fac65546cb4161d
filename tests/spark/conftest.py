"""Fixtures of the Spark tests (`make test-spark`; not part of the default `python -m pytest`, whose testpaths are
tests/python): one local Spark session configured like the dbt profile's `spark` output, so it opens the
metastore and warehouse directory the Spark build wrote (EMPATHY_SPARK_DIR)."""
from __future__ import annotations

import os
import re
from pathlib import Path

import jinja2
import pytest
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]


def spark_profile_parameters() -> dict[str, str]:
    """The `spark` output's server_side_parameters from profiles/profiles.yml, env_var() rendered as dbt would."""
    text = (PROJECT_DIR / "profiles" / "profiles.yml").read_text()

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise KeyError(f"profiles.yml needs the environment variable {name}")
        return value

    rendered = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text).render(env_var=env_var)
    output = yaml.safe_load(rendered)["empathy_warehouse"]["outputs"]["spark"]
    return {str(k): str(v) for k, v in output["server_side_parameters"].items()}


@pytest.fixture(scope="session")
def spark():
    """A local SparkSession with the profile's settings (and ANSI mode off, as dbt-spark sets it)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport().appName("empathy-spark-tests")
    for key, value in spark_profile_parameters().items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.ansi.enabled", "false")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_schema_prefix() -> str:
    """The Spark target's schema (the layer schemas are <schema>_<layer>: the spark target is not prod)."""
    return os.environ.get("EMPATHY_SPARK_SCHEMA", "empathy")


def safe_identifier(name: str) -> str:
    """A column name as both engines accept it unquoted-or-quoted (the project's names are snake_case)."""
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), f"unexpected column name {name!r}"
    return name
