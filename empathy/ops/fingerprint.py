"""Content fingerprints of warehouse tables: the same content gives the same fingerprint whatever the row order.

Used to prove that the same raw data builds the same warehouse (tests) and to compare two builds by hand:
``python -m empathy.ops.fingerprint A.duckdb B.duckdb`` lists the tables whose content differs.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb


def row_fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[int, int]:
    """One table's (row count, sum of 64-bit row hashes as a 128-bit integer) on an open connection."""
    return tuple(con.execute(
        f'select count(*), coalesce(sum(hash(t)::hugeint), 0) from "{schema}"."{table}" as t').fetchone())


def table_fingerprints(db: Path | str, schemas: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Per base table ``schema.table``: (row count, sum of 64-bit row hashes as a 128-bit integer). The incremental
    build's bookkeeping (``_incremental_*``: the watermark, when and by which invocation it was recorded) is not
    content and is left out.

    DuckDB's ``hash`` of the whole row (a struct) hashes every value, floats by their bits, so a difference in the
    last bit of one estimate changes the fingerprint; summing (not xor-ing) keeps duplicate rows from cancelling.
    """
    schemas = tuple(schemas)
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in "
            f"({', '.join('?' for _ in schemas)}) and not starts_with(table_name, '_incremental_') order by 1, 2",
            list(schemas)).fetchall()
        return {f"{schema}.{table}": row_fingerprint(con, schema, table) for schema, table in tables}


def main(argv: list[str] | None = None) -> int:
    first, second = (argv or sys.argv[1:])[:2]
    schemas = ("staging", "intermediate", "marts", "audit", "restricted", "reference")
    a, b = table_fingerprints(first, schemas), table_fingerprints(second, schemas)
    differing = sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))
    for name in differing:
        print(f"differs: {name}")
    print(f"{len(a.keys() | b.keys()) - len(differing)} tables identical, {len(differing)} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
