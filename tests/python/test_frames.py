"""The chunked read of a large relation (empathy/frames.py sorted_chunks): every row once, whole keys per chunk,
chunks bounded by the row cap, and the same rows as one sorted read."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from empathy.frames import sorted_chunks, sorted_frame, written_in_chunks


@pytest.fixture()
def relation():
    con = duckdb.connect()
    con.execute("""
        create table segments as
        select 'i' || lpad(cast(i // 7 as varchar), 5, '0') as interaction_key, i % 7 as segment_index,
               'text ' || i as text_redacted, case when i % 3 = 0 then null else (i % 11) / 10.0 end as sentiment
        from range(7000) as t(i)
        where i % 13 <> 0
    """)
    yield con.table("segments")
    con.close()


COLUMNS = ["interaction_key", "segment_index", "text_redacted", "sentiment"]


@pytest.mark.parametrize("max_rows", [10_000, 1_000, 97])
def test_chunks_hold_every_row_once_and_whole_keys(relation, max_rows):
    chunks = list(sorted_chunks(relation, COLUMNS, "interaction_key", max_rows))
    total = relation.aggregate("count(*)").fetchone()[0]
    assert len(chunks) == max(1, -(-total // max_rows))
    combined = pd.concat(chunks, ignore_index=True)
    whole = sorted_frame(relation, COLUMNS)
    pd.testing.assert_frame_equal(
        combined.sort_values(COLUMNS, ignore_index=True), whole.sort_values(COLUMNS, ignore_index=True))
    keys_per_chunk = [set(chunk["interaction_key"]) for chunk in chunks]
    assert sum(len(keys) for keys in keys_per_chunk) == whole["interaction_key"].nunique()  # no key in two chunks
    if len(chunks) > 1:  # hashing deals the keys about evenly: no chunk beyond twice the cap
        assert max(len(chunk) for chunk in chunks) <= 2 * max_rows


def test_an_empty_relation_gives_one_empty_chunk_with_its_columns(relation):
    chunks = list(sorted_chunks(relation.filter("false"), COLUMNS, "interaction_key", 100))
    assert len(chunks) == 1 and chunks[0].empty and list(chunks[0].columns) == COLUMNS


def test_written_in_chunks_returns_every_chunk_with_text_columns_typed():
    """The chunks land in a temporary table of the session, returned as a relation; an all-null (or empty) first
    chunk still gives a text column, so later chunks' text fits."""
    con = duckdb.connect()
    chunks = [pd.DataFrame({"k": pd.Series([], dtype=object), "source": pd.Series([], dtype=object),
                            "x": pd.Series([], dtype=float)}),
              pd.DataFrame({"k": ["a", "b"], "source": [None, None], "x": [1.0, None]}),
              pd.DataFrame({"k": ["c"], "source": ["vendor"], "x": [2.5]})]
    relation = written_in_chunks(con, "model_x", iter(chunks))
    assert relation.order("k").fetchall() == [("a", None, 1.0), ("b", None, None), ("c", "vendor", 2.5)]
    assert [t for _, t, *_ in con.execute("describe select * from _chunks_model_x").fetchall()] == \
        ["VARCHAR", "VARCHAR", "DOUBLE"]
    again = written_in_chunks(con, "model_x", iter(chunks[2:]))  # a second run replaces the temporary table
    assert again.fetchall() == [("c", "vendor", 2.5)]


def test_written_in_chunks_concatenates_for_another_session():
    chunks = [pd.DataFrame({"k": ["a"]}), pd.DataFrame({"k": ["b"]})]
    assert list(written_in_chunks(object(), "m", iter(chunks))["k"]) == ["a", "b"]


def test_a_left_join_in_the_engine_is_the_pandas_merge_of_the_sorted_frames():
    """left_joined_frame gives what merging the two sorted frames in pandas gives: the left rows in key order, the
    other's columns null where it has no row; with or without the key itself."""
    from empathy.frames import left_joined_frame
    con = duckdb.connect()
    left = con.sql("select 'k' || lpad(cast(i as varchar), 4, '0') as key, i * 1.5 as x, i % 4 = 0 as flag "
                   "from range(3000) t(i) order by random()")
    other = con.sql("select 'k' || lpad(cast(i as varchar), 4, '0') as key, 'sup' || (i % 9) as supervisor_id "
                    "from range(3000) t(i) where i % 5 <> 0")
    got = left_joined_frame(left, ["key", "x", "flag"], other, ["supervisor_id"], "key")
    expected = sorted_frame(left).merge(sorted_frame(other), on="key", how="left")
    pd.testing.assert_frame_equal(got, expected)
    assert got["supervisor_id"].isna().sum() == 600
    without_key = left_joined_frame(left, ["x", "flag"], other, ["supervisor_id"], "key")
    pd.testing.assert_frame_equal(without_key, expected.drop(columns=["key"]))
    with pytest.raises(ValueError, match="looked up by"):
        left_joined_frame(left, ["x"], other, ["key"], "key")


def test_a_key_ordered_projection_has_the_whole_tables_order_without_the_key():
    """key_ordered_frame: the asked columns in the order sorted_frame gives the whole table (the key leads it),
    without reading the key's columns."""
    from empathy.frames import key_ordered_frame
    con = duckdb.connect()
    table = con.sql("select 'e' || (i % 3) as experiment_id, 'k' || lpad(cast(i as varchar), 5, '0') as key, "
                    "(i * 7919) % 1000 as value, i % 2 = 0 as flag from range(5000) t(i) order by random()")
    got = key_ordered_frame(table, ["value", "flag"], ["experiment_id", "key"])
    expected = sorted_frame(table)[["value", "flag"]]
    pd.testing.assert_frame_equal(got, expected)


def test_the_experiment_analysis_reads_its_fixed_columns_subgroups_and_metric_columns():
    from empathy.stats.experiment_analysis import experiment_columns
    available = ["experiment_id", "interaction_key", "customer_key", "agent_id", "period", "unit_id", "itt_arm",
                 "is_in_assigned_unit", "channel", "subgroup_channel", "subgroup_tough_moment", "has_acknowledge",
                 "is_csat_top2", "csat_pulse_weight", "handle_time_seconds"]
    metrics = pd.DataFrame({"value_column": ["is_csat_top2", "is_csat_top2", "nps_value"],
                            "weight_column": [None, "csat_pulse_weight", None]})
    assert experiment_columns(available, metrics) == [
        "experiment_id", "agent_id", "period", "unit_id", "itt_arm", "is_in_assigned_unit", "subgroup_channel",
        "subgroup_tough_moment", "is_csat_top2", "csat_pulse_weight"]
