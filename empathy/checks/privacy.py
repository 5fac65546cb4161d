"""Privacy checks run after the build, over the whole warehouse file (read-only).

The dbt tests check the models they are attached to; these checks cover every table, including models added
later without their tests:

* no column tagged ``meta.contains_pii`` anywhere in the project (sources or models) reaches a mart schema
  (``marts``, ``audit``);
* no text value in a mart, or in the ``restricted`` schema of redacted free text, looks like an e-mail address
  or a phone number;
* no customer whose analytics consent is revoked appears in any table after staging (raw contract, "Consent
  rules": a revoked customer leaves every model after staging, history included).

Usage: ``python -m empathy.checks.privacy [--db PATH] [--manifest PATH]``; exit 0 when clean, 1 on a violation.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

MART_SCHEMAS = ("marts", "audit")
# Restricted holds redacted free text (tagged contains_pii on purpose): its values are scanned, not its names.
VALUE_SCAN_SCHEMAS = ("marts", "audit", "restricted")
AFTER_STAGING_SCHEMAS = ("intermediate", "marts", "audit", "restricted")
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE_PATTERN = r"(\+\d{10,15}\b)|(\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b)"
REVOKED_SQL = "select customer_key from staging.identity_customer_consent where is_analytics_revoked"


@dataclass
class PrivacyReport:
    """Violations found, one readable line each."""

    violations: list[str] = field(default_factory=list)
    checked_tables: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations


def pii_column_names(manifest: dict) -> set[str]:
    """Names of every column tagged ``meta: {contains_pii: true}`` in the project's sources and models."""
    names: set[str] = set()
    for section in ("nodes", "sources"):
        for node in manifest.get(section, {}).values():
            for column in node.get("columns", {}).values():
                if (column.get("meta") or {}).get("contains_pii"):
                    names.add(column["name"].lower())
    return names


def _tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (select unnest(?)) order by 1, 2",
        [list(schemas)],
    ).fetchall()
    return [(schema, table) for schema, table in rows]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()


def check_warehouse(con: duckdb.DuckDBPyConnection, pii_columns: set[str]) -> PrivacyReport:
    """Run the three checks on an open connection and return the violations."""
    report = PrivacyReport()
    for schema, table in _tables(con, VALUE_SCAN_SCHEMAS):
        report.checked_tables += 1
        columns = _columns(con, schema, table)
        for name, data_type in columns:
            if schema in MART_SCHEMAS and name.lower() in pii_columns:
                report.violations.append(f"{schema}.{table}.{name}: a column tagged contains_pii reaches a mart")
            if data_type.upper() != "VARCHAR" or name.lower().endswith("_key"):
                continue
            found = con.execute(
                f'select count(*) filter (where regexp_matches("{name}", ?)), '
                f'count(*) filter (where regexp_matches("{name}", ?)) from "{schema}"."{table}"',
                [EMAIL_PATTERN, PHONE_PATTERN],
            ).fetchone()
            if found[0]:
                report.violations.append(f"{schema}.{table}.{name}: {found[0]} value(s) look like e-mail addresses")
            if found[1]:
                report.violations.append(f"{schema}.{table}.{name}: {found[1]} value(s) look like phone numbers")

    revoked_known = bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'staging' and table_name = 'identity_customer_consent'"
        ).fetchone()[0]
    )
    if not revoked_known:
        report.violations.append("staging.identity_customer_consent is missing: cannot check consent")
        return report
    for schema, table in _tables(con, AFTER_STAGING_SCHEMAS):
        if "customer_key" not in {name for name, _ in _columns(con, schema, table)}:
            continue
        leaked = con.execute(
            f'select count(*) from "{schema}"."{table}" where customer_key in ({REVOKED_SQL})'
        ).fetchone()[0]
        if leaked:
            report.violations.append(
                f"{schema}.{table}: {leaked} row(s) of customers whose analytics consent is revoked"
            )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("EMPATHY_DUCKDB_PATH", "target/empathy.duckdb"))
    parser.add_argument("--manifest", default="target/manifest.json")
    args = parser.parse_args(argv)
    if not Path(args.db).exists():
        print(f"privacy: no warehouse at {args.db}; run the build first", file=sys.stderr)
        return 2
    if not Path(args.manifest).exists():
        print(f"privacy: no dbt manifest at {args.manifest}; run the build first", file=sys.stderr)
        return 2
    pii = pii_column_names(json.loads(Path(args.manifest).read_text()))
    with duckdb.connect(args.db, read_only=True) as con:
        report = check_warehouse(con, pii)
    for line in report.violations:
        print(f"PRIVACY VIOLATION {line}")
    print(
        f"privacy: {report.checked_tables} mart tables checked against {len(pii)} PII-tagged column names; "
        f"{len(report.violations)} violation(s)"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
