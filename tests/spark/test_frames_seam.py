"""The seam between the engines and the statistics (empathy/frames.py) takes a Spark DataFrame as well as a DuckDB
relation, and gives the same pandas frame from both (docs/decisions.md D36): on Databricks, dbt-databricks hands a
Python model Spark DataFrames where dbt-duckdb hands it DuckDB relations."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from empathy.frames import is_spark_frame, sorted_frame, summarised_frame

pytestmark = pytest.mark.spark

ROWS = pd.DataFrame({
    "channel": ["voice", "chat", "voice", None, "chat", "email", "voice", "chat"],
    "agent_id": ["a1", "a2", "a1", "a3", "a2", "a3", "a2", "a1"],
    "handle_seconds": [300.0, 120.0, None, 60.0, 90.0, 600.0, 240.0, 150.0],
    "is_resolved": [True, False, True, True, None, False, True, True],
})

AGGREGATIONS = {
    "contacts": ("count", "*"),
    "timed_contacts": ("count", "handle_seconds"),
    "handle_seconds_total": ("sum", "handle_seconds"),
    "handle_seconds_mean": ("mean", "handle_seconds"),
    "handle_seconds_max": ("max", "handle_seconds"),
    "agents": ("count_distinct", "agent_id"),
}


@pytest.fixture(scope="module")
def duck_relation():
    con = duckdb.connect()
    con.register("rows_frame", ROWS)
    yield con.sql("select * from rows_frame")
    con.close()


@pytest.fixture(scope="module")
def spark_frame(spark):
    schema = "channel string, agent_id string, handle_seconds double, is_resolved boolean"
    records = [tuple(None if pd.isna(v) else v for v in row) for row in ROWS.itertuples(index=False)]
    return spark.createDataFrame(records, schema=schema)


def expected_summary() -> pd.DataFrame:
    """The same summary computed by pandas alone, null channel included and sorted last."""
    groups = ROWS.assign(channel=ROWS["channel"].fillna("\uffff")).groupby("channel", sort=True)
    expected = pd.DataFrame({
        "contacts": groups.size(),
        "timed_contacts": groups["handle_seconds"].count(),
        "handle_seconds_total": groups["handle_seconds"].sum(min_count=1),
        "handle_seconds_mean": groups["handle_seconds"].mean(),
        "handle_seconds_max": groups["handle_seconds"].max(),
        "agents": groups["agent_id"].nunique(),
    }).reset_index()
    expected["channel"] = expected["channel"].replace("\uffff", None)
    return expected


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as floats and missing values as None, so frames from either engine compare by value."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype("float64")
        else:
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def test_the_seam_recognises_the_engine(duck_relation, spark_frame):
    assert is_spark_frame(spark_frame)
    assert not is_spark_frame(duck_relation)


def test_summarised_frame_is_the_same_from_duckdb_and_spark(duck_relation, spark_frame):
    from_duckdb = normalised(summarised_frame(duck_relation, ["channel"], AGGREGATIONS))
    from_spark = normalised(summarised_frame(spark_frame, ["channel"], AGGREGATIONS))
    expected = normalised(expected_summary())
    pd.testing.assert_frame_equal(from_spark, expected)
    pd.testing.assert_frame_equal(from_duckdb, expected)
    assert list(from_spark["channel"]) == ["chat", "email", "voice", None]


def test_summarised_frame_without_groups(duck_relation, spark_frame):
    aggregations = {"contacts": ("count", "*"), "handle_seconds_total": ("sum", "handle_seconds")}
    for relation in (duck_relation, spark_frame):
        frame = summarised_frame(relation, [], aggregations)
        assert len(frame) == 1
        assert frame.loc[0, "contacts"] == len(ROWS)
        assert frame.loc[0, "handle_seconds_total"] == pytest.approx(ROWS["handle_seconds"].sum())


def test_sorted_frame_is_the_same_from_duckdb_and_spark(duck_relation, spark_frame):
    columns = ["agent_id", "channel", "handle_seconds"]
    from_duckdb = normalised(sorted_frame(duck_relation, columns))
    from_spark = normalised(sorted_frame(spark_frame, columns))
    pd.testing.assert_frame_equal(from_spark, from_duckdb)
    assert list(from_spark.columns) == columns
    assert len(from_spark) == len(ROWS)
    # sorted by every column, nulls last in each
    assert list(from_spark["agent_id"]) == sorted(ROWS["agent_id"])
    a3 = from_spark[from_spark["agent_id"] == "a3"]
    assert list(a3["channel"]) == ["email", None]
    a1 = from_spark[from_spark["agent_id"] == "a1"]
    assert np.isnan(a1["handle_seconds"].iloc[-1])


def test_sorted_frame_keeps_every_column_by_default(spark_frame):
    assert list(sorted_frame(spark_frame).columns) == list(ROWS.columns)


def test_unknown_aggregation_is_refused(spark_frame):
    with pytest.raises(ValueError, match="unknown aggregation"):
        summarised_frame(spark_frame, ["channel"], {"p50": ("median", "handle_seconds")})
