"""The one way dbt Python models read a relation into pandas: sorted, so the same table always gives the same frame.

DuckDB returns rows in whatever order its threads finish. Floating-point sums depend on the order of their terms,
so a statistic fitted on an unsorted frame can differ in the last digits from one build to the next (and a
Newton-Raphson fit or a raking loop can amplify that to the third digit). Sorting by every column (`ORDER BY ALL`)
makes the frame, and therefore every estimate, a function of the table's content alone.

The seam takes either engine's table (docs/decisions.md D36): a DuckDB relation, as dbt-duckdb's `dbt.ref()`
returns it, or a Spark DataFrame, as dbt-databricks' `dbt.ref()` returns it. Projection, filtering and aggregation
happen in the engine (`summarised_frame` groups before anything reaches pandas), so only the small result crosses
into the driver's memory.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import duckdb
import pandas as pd
import pyarrow as pa

# Aggregations summarised_frame runs in the engine: name -> (DuckDB SQL template, Spark SQL template).
AGGREGATIONS = {
    "count": ("count({c})", "count({c})"),
    "sum": ("sum({c})", "sum({c})"),
    "mean": ("avg({c})", "avg({c})"),
    "min": ("min({c})", "min({c})"),
    "max": ("max({c})", "max({c})"),
    "count_distinct": ("count(distinct {c})", "count(distinct {c})"),
}


def is_spark_frame(relation) -> bool:
    """A Spark DataFrame (classic or Spark Connect) rather than a DuckDB relation."""
    return type(relation).__module__.startswith("pyspark.")


def sorted_frame(relation, columns: list[str] | None = None) -> pd.DataFrame:
    """The relation (a DuckDB relation or a Spark DataFrame) as a DataFrame in a deterministic row order.

    `columns`: keep only these (projection happens in the engine, before rows reach pandas).
    """
    if is_spark_frame(relation):
        if columns:
            relation = relation.select(*[f"`{c}`" for c in columns])
        from pyspark.sql import functions as F

        # DuckDB sorts nulls last; so does this, so both engines give the same frame.
        return _spark_to_pandas(relation.orderBy(*[F.col(f"`{c}`").asc_nulls_last() for c in relation.columns]))
    if columns:
        relation = relation.project(", ".join(f'"{c}"' for c in columns))
    return relation.order("all").df()


def key_ordered_frame(relation, columns: list[str], key: list[str]) -> pd.DataFrame:
    """``columns`` of the relation in the order of ``key`` (unique, and the table's leading columns, so the order
    is the one :func:`sorted_frame` gives the whole table), the key's own columns read only if asked for: a model
    that needs a few columns of a wide fact gets its rows in the usual order without the key's text in pandas."""
    if is_spark_frame(relation):
        from pyspark.sql import functions as F

        ordered = relation.orderBy(*[F.col(f"`{c}`").asc_nulls_last() for c in key])
        return _spark_to_pandas(ordered.select(*[f"`{c}`" for c in columns]))
    selected = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(f'"{c}"' for c in key)
    return relation.query("_key_ordered", f"select {selected} from _key_ordered order by {order}").df()


def with_keys_in(relation, keys, key: str | list[str] = "interaction_key"):
    """The rows of ``relation`` whose ``key`` (a column, or several) is among the ``key`` values of ``keys`` (a
    relation that may hold other columns and repeated keys): a semi-join in the engine, so that only those rows ever
    reach pandas."""
    columns = ", ".join(f'"{c}"' for c in ([key] if isinstance(key, str) else key))
    return relation.join(keys.project(columns).distinct().set_alias("_keys"), columns, how="semi")


def left_joined_frame(relation, columns: list[str], other, other_columns: list[str], key: str) -> pd.DataFrame:
    """``relation``'s ``columns`` with ``other_columns`` of ``other`` looked up by ``key`` (a left join in DuckDB,
    null where ``other`` has no row), ordered by ``key`` (unique in ``relation`` and its leading column): the frame a
    pandas left merge of the two sorted frames gives, without the second frame in pandas, and without the key
    unless ``columns`` names it."""
    if key in other_columns:
        raise ValueError(f"the key {key!r} is looked up by, not looked up: {other_columns}")
    renamed = other.project(", ".join([f'"{key}" as _other_key', *(f'"{c}"' for c in other_columns)]))
    read = relation.project(", ".join(f'"{c}"' for c in [key, *(c for c in columns if c != key)]))
    joined = read.join(renamed, f'"{key}" = _other_key', how="left")
    return key_ordered_frame(joined, [*columns, *other_columns], [key])


def sorted_chunks(relation, columns: list[str], key: str, max_rows: int) -> Iterator[pd.DataFrame]:
    """The relation's rows (only ``columns``) as sorted frames of about ``max_rows`` rows at most, the rows of one
    ``key`` value never split across two (they are dealt to chunks by DuckDB's hash of the key), so that a model
    over tens of millions of rows never holds them all in pandas. At least one (possibly empty) chunk, so the
    caller's output has its columns. A Spark DataFrame is one chunk (its driver memory is the platform's to size).
    """
    if is_spark_frame(relation):
        yield sorted_frame(relation, columns)
        return
    total = relation.aggregate("count(*)").fetchone()[0]
    n_chunks = max(1, math.ceil(total / max_rows))
    for chunk in range(n_chunks):
        part = relation.filter(f'hash("{key}") % {n_chunks} = {chunk}') if n_chunks > 1 else relation
        yield sorted_frame(part, columns)


def keys_to_refresh(session, rows, this, is_incremental: bool, key: str = "interaction_key"):
    """The keys an incremental Python model computes (D33, D37, D41): every key of ``rows`` on a first or full
    build; on an incremental one, those with no row stored in ``this``. The model's pre-hook has deleted its
    refresh scope (and anything else it deletes) before, so the scope's keys are among them. DuckDB only."""
    keys = rows.project(f'"{key}"')
    if not is_incremental:
        return keys
    return keys.join(session.sql(f'select distinct "{key}" from {this}'), key, how="anti")


def _text_typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding only text or nothing typed as strings, so an all-null chunk (or an empty one) gives a
    text column rather than Arrow's null type, and every chunk has the first one's column types."""
    text = [c for c in frame.columns if frame[c].dtype == object
            and pd.api.types.infer_dtype(frame[c], skipna=True) in ("string", "empty")]
    return frame.astype({c: "string" for c in text}) if text else frame


def written_in_chunks(session, name: str, frames: Iterable[pd.DataFrame]):
    """Write a model's output a chunk at a time into a temporary table ``name`` of the model's own DuckDB
    connection and return that table as a relation, which dbt-duckdb materialises on the same connection: memory
    holds one chunk and its result, never the whole output (tens of millions of rows at a million customers). The
    temporary table is replaced if it exists. Any other session (Spark on Databricks) gets the frames
    concatenated."""
    if not isinstance(session, duckdb.DuckDBPyConnection):
        return pd.concat(list(frames), ignore_index=True)
    table = f"_chunks_{name}"
    view = f"_chunk_{name}"
    created = False
    for frame in frames:
        session.register(view, pa.Table.from_pandas(_text_typed(frame), preserve_index=False))
        if created:
            session.execute(f'insert into "{table}" by name select * from "{view}"')
        else:
            session.execute(f'create or replace temporary table "{table}" as select * from "{view}"')
            created = True
        session.unregister(view)
    if not created:
        raise ValueError(f"{name}: no chunk to write (the caller gives one, possibly empty, at least)")
    return session.table(table)


def summarised_frame(relation, by: list[str], aggregations: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Group `relation` by the columns `by` in its own engine and return the (small) result, sorted by `by`.

    `aggregations`: output column -> (aggregation, input column), the aggregation one of AGGREGATIONS; `count` of
    `*` counts rows. Null groups are kept. The same call gives the same frame on DuckDB and on Spark.
    """
    unknown = sorted({how for how, _ in aggregations.values()} - set(AGGREGATIONS))
    if unknown:
        raise ValueError(f"unknown aggregation(s) {unknown}; known: {sorted(AGGREGATIONS)}")
    spark = is_spark_frame(relation)
    quote = (lambda c: c if c == "*" else f"`{c}`") if spark else (lambda c: c if c == "*" else f'"{c}"')
    selects = [
        f"{AGGREGATIONS[how][1 if spark else 0].format(c=quote(column))} as {quote(name)}"
        for name, (how, column) in aggregations.items()
    ]
    if spark:
        from pyspark.sql import functions as F

        grouped = relation.groupBy(*[F.col(quote(c)) for c in by]) if by else relation.groupBy()
        result = grouped.agg(*[F.expr(s) for s in selects])
        ordered = result.orderBy(*[F.col(quote(c)).asc_nulls_last() for c in by]) if by else result
        return _spark_to_pandas(ordered)
    if not by:
        return relation.aggregate(", ".join(selects)).df()
    keys = ", ".join(quote(c) for c in by)
    return relation.aggregate(f"{keys}, {', '.join(selects)}", keys).order(keys).df()


def _spark_to_pandas(frame) -> pd.DataFrame:
    """A Spark DataFrame into pandas with a fresh RangeIndex (what DuckDB's .df() gives)."""
    return frame.toPandas().reset_index(drop=True)
