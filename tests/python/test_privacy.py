"""The post-build privacy scan finds PII columns, PII-looking values and revoked customers after staging."""
from __future__ import annotations

from pathlib import Path

import duckdb

from empathy.checks.privacy import check_warehouse, pii_column_names

REVOKED = "b" * 64
KEPT = "a" * 64


def _warehouse(path: Path, mart_sql: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema staging; create schema marts; create schema audit; create schema intermediate")
    con.execute(
        "create table staging.identity_customer_consent as "
        f"select * from (values ('{KEPT}', false), ('{REVOKED}', true)) as t(customer_key, is_analytics_revoked)"
    )
    con.execute(mart_sql)
    return con


def test_clean_mart_passes(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb", f"create table marts.dim_x as select '{KEPT}' as customer_key, 'pro' as plan")
    report = check_warehouse(con, {"customer_email"})
    assert report.ok and report.checked_tables == 1


def test_tagged_pii_column_in_a_mart_is_a_violation(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb", "create table marts.dim_x as select 'x' as customer_email")
    report = check_warehouse(con, {"customer_email"})
    assert any("customer_email: a column tagged contains_pii" in v for v in report.violations)


def test_email_and_phone_values_are_violations_whatever_the_column_name(tmp_path: Path) -> None:
    con = _warehouse(
        tmp_path / "w.duckdb",
        "create table audit.notes as select * from (values ('write to ann@example.com'), ('call (555) 010-2233'), "
        "('ring +15550102233'), ('order 12345')) as t(note)",
    )
    report = check_warehouse(con, set())
    assert any("1 value(s) look like e-mail" in v for v in report.violations)
    assert any("2 value(s) look like phone" in v for v in report.violations)


def test_revoked_customer_after_staging_is_a_violation(tmp_path: Path) -> None:
    con = _warehouse(
        tmp_path / "w.duckdb",
        f"create table intermediate.int_x as select * from (values ('{KEPT}'), ('{REVOKED}')) as t(customer_key)",
    )
    report = check_warehouse(con, set())
    assert report.violations == ["intermediate.int_x: 1 row(s) of customers whose analytics consent is revoked"]


def test_pii_column_names_come_from_sources_and_models() -> None:
    manifest = {
        "nodes": {"model.a": {"columns": {"c": {"name": "Customer_ID", "meta": {"contains_pii": True}}}}},
        "sources": {"source.b": {"columns": {"e": {"name": "email", "meta": {"contains_pii": True}},
                                             "p": {"name": "plan", "meta": {}}}}},
    }
    assert pii_column_names(manifest) == {"customer_id", "email"}


def test_demo_warehouse_is_clean(demo_db: Path, dbt_manifest: dict) -> None:
    with duckdb.connect(str(demo_db), read_only=True) as con:
        report = check_warehouse(con, pii_column_names(dbt_manifest))
    assert report.ok, report.violations
    assert report.checked_tables >= 5
