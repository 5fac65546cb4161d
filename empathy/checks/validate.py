"""Great Expectations validation of the marts, a separate step after ``dbt build``.

``python -m empathy.checks.validate [--db PATH] [--out DIR]``

The DuckDB file is opened read-only and every table that has a suite in :mod:`empathy.checks.expectations` is
read, one at a time, into a pandas DataFrame holding only the columns its expectations read (GX's SQL data
source fails on DuckDB through duckdb-engine, so the validation runs on pandas); the expectations on column
names run on the table's zero-row frame with every column. Each suite runs through a GX validation definition
in an ephemeral Data Context; the results land in ``<out>/results/`` (one JSON per suite and ``summary.json``)
and the GX Data Docs static site in ``<out>/data_docs/``.

Exit codes: 0 every error-severity expectation passed (warnings may have failed), 1 at least one
failed or a required table is missing, 2 the database cannot be opened.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb  # noqa: E402
import great_expectations as gx  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.core import ExpectationSuiteValidationResult  # noqa: E402
from great_expectations.data_context import AbstractDataContext  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.expectation import BatchExpectation  # noqa: E402
from great_expectations.expectations.metadata_types import FailureSeverity  # noqa: E402
from great_expectations.expectations.registry import get_expectation_impl  # noqa: E402
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent  # noqa: E402
from great_expectations.render.renderer.renderer import renderer  # noqa: E402

import dataclasses  # noqa: E402

from empathy.checks.expectations import SUITES, ExpectationSpec, SuiteSpec, ValuesOf  # noqa: E402

DB_ENV_VAR = "EMPATHY_DUCKDB_PATH"
DEFAULT_DB = Path("target/empathy.duckdb")
DEFAULT_OUT = Path("target/great_expectations")
DATA_DOCS_SITE = "empathy_site"
DATA_SOURCE = "empathy_duckdb"
RESULT_FORMAT: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
_SEVERITY = {"error": FailureSeverity.CRITICAL, "warning": FailureSeverity.WARNING}


class ExpectTableColumnsToNotMatchRegex(BatchExpectation):
    """Expect no column name of the table to match ``regex`` (searched, so unanchored).

    GX has no expectation that forbids column names; this one guards marts against personal data.
    """

    regex: str

    metric_dependencies = ("table.columns",)
    success_keys = ("regex",)
    args_keys = ("regex",)

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls, configuration: Any = None, result: Any = None, runtime_configuration: dict | None = None, **kwargs: Any
    ) -> list[RenderedStringTemplateContent]:
        """Data Docs sentence: 'No column name may match <regex>.'"""
        params = {"regex": (configuration.kwargs if configuration else {}).get("regex")}
        template = {"template": "No column name may match $regex.", "params": params}
        styling = (runtime_configuration or {}).get("styling")
        return [
            RenderedStringTemplateContent(
                content_block_type="string_template", string_template={**template, "styling": styling}
            )
        ]

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> dict[str, Any]:
        pattern = re.compile(self._get_success_kwargs()["regex"])
        offending = sorted(str(c) for c in metrics["table.columns"] if pattern.search(str(c)))
        # Only observed_value: an unexpected_count without unexpected_percent breaks the Data Docs renderer.
        return {"success": not offending, "result": {"observed_value": offending}}


class DatabaseError(Exception):
    """The DuckDB file is missing or cannot be opened read-only."""


@dataclass
class SuiteSummary:
    """What ``summary.json`` says of one suite."""

    suite: str
    success: bool
    evaluated: int = 0
    failed: int = 0
    warnings: int = 0
    failed_expectations: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    skipped: bool = False


def resolve_db_path(arg: str | None) -> Path:
    """``--db``, else env ``EMPATHY_DUCKDB_PATH``, else ``target/empathy.duckdb``."""
    return Path(arg or os.environ.get(DB_ENV_VAR) or DEFAULT_DB)


#: Expectations that read only the table's column names: they run on the table's zero-row frame.
SCHEMA_EXPECTATIONS = frozenset({
    "expect_table_columns_to_match_set", "expect_table_columns_to_match_ordered_list",
    "expect_table_columns_to_not_match_regex", "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
})
#: Keyword arguments that name one column an expectation reads (``column_list`` names several).
_COLUMN_KWARGS = ("column", "column_A", "column_B")


def _condition_columns(condition: Any) -> set[str] | None:
    """The columns a GX row condition reads (the ``Column`` objects of a comparison or an and/or of them);
    ``None`` when it cannot be told (a pandas query string), so the caller reads every column."""
    if condition is None:
        return set()
    if not hasattr(condition, "dict"):
        return None
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            column = node.get("column")
            if isinstance(column, dict) and isinstance(column.get("name"), str):
                found.add(column["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(condition.dict())
    return found


def columns_read(expectations: tuple[ExpectationSpec, ...]) -> set[str] | None:
    """The columns the (data) expectations read: named in their column arguments or row conditions; ``None``
    when one of them may read any column (an unparsed row condition), so the whole table is read."""
    columns: set[str] = set()
    for spec in expectations:
        columns.update(spec.kwargs[k] for k in _COLUMN_KWARGS if isinstance(spec.kwargs.get(k), str))
        columns.update(spec.kwargs.get("column_list") or ())
        conditioned = _condition_columns(spec.kwargs.get("row_condition"))
        if conditioned is None:
            return None
        columns |= conditioned
    return columns


@dataclass
class TableFrames:
    """What one suite validates: the table's rows restricted to the columns its data expectations read (in the
    table's column order; an absent column is left for GX to report), and a zero-row frame with every column
    for the expectations on column names."""

    data: pd.DataFrame
    schema: pd.DataFrame


def connect_read_only(db_path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse, or :class:`DatabaseError`."""
    if not db_path.is_file():
        raise DatabaseError(f"database file not found: {db_path} (run `dbt build` first or pass --db)")
    try:
        return duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise DatabaseError(f"cannot open {db_path} read-only: {exc}") from exc


def present_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """``schema.table`` of every table and view of the warehouse."""
    return {f"{schema}.{table}" for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables").fetchall()}


def read_frames(con: duckdb.DuckDBPyConnection, spec: SuiteSpec) -> TableFrames:
    """One table as its suite needs it (:class:`TableFrames`): only the read columns cross into pandas, so the
    memory of a validation is that of its largest projected table, not of every table at once."""
    relation = f'"{spec.schema}"."{spec.table}"'
    schema = con.execute(f"select * from {relation} limit 0").df()
    wanted = columns_read(tuple(e for e in spec.expectations if e.type not in SCHEMA_EXPECTATIONS))
    columns = list(schema.columns) if wanted is None else [c for c in schema.columns if c in wanted]
    if columns:
        data = con.execute(f"select {', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)} from {relation}").df()
    else:  # only table-level expectations (a row count): the rows without columns
        data = pd.DataFrame(index=pd.RangeIndex(con.execute(f"select count(*) from {relation}").fetchone()[0]))
    return TableFrames(data=data, schema=schema)


def resolve_values(con: duckdb.DuckDBPyConnection, specs: tuple[SuiteSpec, ...], present_suites: set[str]
                   ) -> tuple[SuiteSpec, ...]:
    """The specs of the present tables with every :class:`ValuesOf` argument replaced by the distinct values it
    names, read from the warehouse (``con``, read-only); specs of missing tables are kept as they are."""
    def resolve(value: Any) -> Any:
        if not isinstance(value, ValuesOf):
            return value
        present = con.execute("select count(*) from information_schema.tables where table_schema = ? "
                              "and table_name = ?", [value.schema, value.table]).fetchone()[0]
        if not present:
            raise DatabaseError(f"reference table {value.schema}.{value.table} is missing: an expectation "
                                f"reads its {value.column} values")
        rows = con.execute(f'select distinct "{value.column}" from "{value.schema}"."{value.table}" '
                           f'order by 1').fetchall()
        return sorted({row[0] for row in rows} | set(value.extra))

    return tuple(
        dataclasses.replace(spec, expectations=tuple(
            dataclasses.replace(e, kwargs={k: resolve(v) for k, v in e.kwargs.items()})
            for e in spec.expectations))
        if spec.name in present_suites else spec
        for spec in specs
    )


def build_context(data_docs_dir: Path) -> AbstractDataContext:
    """An ephemeral Data Context, quiet, with one Data Docs site written to ``data_docs_dir``."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for site in list(context.get_site_names()):
        context.delete_data_docs_site(site)
    context.add_data_docs_site(
        site_name=DATA_DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(data_docs_dir.resolve()),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def build_expectation(spec: ExpectationSpec) -> gx.expectations.Expectation:
    """One GX expectation from its spec; the spec's severity goes to GX ``severity`` and ``meta``."""
    cls = get_expectation_impl(spec.type)
    return cls(
        **spec.kwargs,
        severity=_SEVERITY[spec.severity],
        meta={"severity": spec.severity},
        notes=spec.notes,
    )


def build_suite(name: str, expectations: tuple[ExpectationSpec, ...]) -> gx.ExpectationSuite:
    """The GX expectation suite ``name`` of some expectation specs."""
    return gx.ExpectationSuite(name=name, expectations=[build_expectation(e) for e in expectations])


def validate_frame(
    context: AbstractDataContext, name: str, expectations: tuple[ExpectationSpec, ...], df: pd.DataFrame
) -> ExpectationSuiteValidationResult:
    """Run expectations on one DataFrame through a validation definition ``name`` (stored for Data Docs)."""
    source = context.data_sources.add_or_update_pandas(DATA_SOURCE)
    asset = source.add_dataframe_asset(name=name)
    batch_definition = asset.add_batch_definition_whole_dataframe(name)
    suite = context.suites.add(build_suite(name, expectations))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    return definition.run(batch_parameters={"dataframe": df}, result_format=RESULT_FORMAT)


@dataclass
class SuiteResult:
    """The results of one suite's expectations, in the suite's order, and its JSON record."""

    results: list[Any]
    record: dict[str, Any]


def validate_suite(context: AbstractDataContext, spec: SuiteSpec, frames: TableFrames) -> SuiteResult:
    """Validate one suite: the expectations on column names against the zero-row frame (suite
    ``<name>.columns`` in Data Docs), every other one against the projected rows (suite ``<name>``)."""
    parts = {
        False: tuple(e for e in spec.expectations if e.type not in SCHEMA_EXPECTATIONS),
        True: tuple(e for e in spec.expectations if e.type in SCHEMA_EXPECTATIONS),
    }
    runs = {
        on_names: validate_frame(context, f"{spec.name}.columns" if on_names else spec.name, expectations,
                                 frames.schema if on_names else frames.data)
        for on_names, expectations in parts.items() if expectations
    }
    pending = {on_names: list(run.results) for on_names, run in runs.items()}
    ordered = [pending[e.type in SCHEMA_EXPECTATIONS].pop(0) for e in spec.expectations]
    records = {on_names: run.to_json_dict() for on_names, run in runs.items()}
    successful = sum(1 for r in ordered if r.success)
    record = {
        **records.get(False, records.get(True, {})),
        "suite_name": spec.name,
        "success": successful == len(ordered),
        "results": [r.to_json_dict() for r in ordered],
        "statistics": {
            "evaluated_expectations": len(ordered), "successful_expectations": successful,
            "unsuccessful_expectations": len(ordered) - successful,
            "success_percent": 100.0 * successful / len(ordered) if ordered else None,
        },
    }
    return SuiteResult(results=ordered, record=record)


def _severity_of(result: Any) -> str:
    """``warning`` or ``error`` for one expectation result (from the ``meta`` set by the spec)."""
    meta = result.expectation_config.meta or {}
    return "warning" if meta.get("severity") == "warning" else "error"


def describe_failure(result: Any) -> dict[str, Any]:
    """The summary entry of one failed expectation: type, domain, severity, unexpected count."""
    config = result.expectation_config
    details = result.result or {}
    entry: dict[str, Any] = {
        "expectation": config.type,
        "kwargs": {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")},
        "severity": _severity_of(result),
        "unexpected_count": details.get("unexpected_count"),
    }
    if details.get("unexpected_percent") is not None:
        entry["unexpected_percent"] = round(float(details["unexpected_percent"]), 4)
    if "details" in details:
        entry["details"] = details["details"]
    elif "observed_value" in details:
        entry["observed_value"] = details["observed_value"]
    messages = exception_messages(result.exception_info)
    if messages:
        entry["exception"] = "; ".join(messages)
    return entry


def exception_messages(exception_info: dict | None) -> list[str]:
    """Messages of exceptions raised while evaluating an expectation (e.g. a missing column).

    GX puts them either flat (``raised_exception``/``exception_message``) or one dict per metric.
    """
    if not exception_info:
        return []
    infos = [exception_info] if "raised_exception" in exception_info else list(exception_info.values())
    return sorted(
        {str(i.get("exception_message")) for i in infos if isinstance(i, dict) and i.get("raised_exception")}
    )


def summarize(name: str, result: SuiteResult) -> SuiteSummary:
    """Per-suite counts; only error-severity failures make the suite unsuccessful."""
    failures = [describe_failure(r) for r in result.results if not r.success]
    errors = sum(1 for f in failures if f["severity"] == "error")
    return SuiteSummary(
        suite=name,
        success=errors == 0,
        evaluated=len(result.results),
        failed=errors,
        warnings=len(failures) - errors,
        failed_expectations=failures,
    )


def missing_table_summary(spec: SuiteSpec, db_path: Path) -> SuiteSummary:
    """A table absent from the database: an error, or a skip when its spec is optional."""
    if spec.optional:
        return SuiteSummary(suite=spec.name, success=True, skipped=True, error="table not built (optional)")
    return SuiteSummary(suite=spec.name, success=False, error=f"table {spec.name} is missing from {db_path}")


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def reset_dir(path: Path) -> None:
    """Empty ``path`` (only this step's own output folders) so it holds this run's output only."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def _one_line(failure: dict[str, Any]) -> str:
    """``<expectation> <column(s)> unexpected=<n>`` (or ``observed=<value>`` for table-level ones)."""
    kwargs = failure["kwargs"]
    target = kwargs.get("column") or kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
    target = target if target != [None, None] else None
    count = failure["unexpected_count"]
    if "exception" in failure:
        found = f"exception={failure['exception']}"
    elif count is not None:
        found = f"unexpected={count}"
    else:
        found = f"observed={failure.get('details', failure.get('observed_value'))}"
    return " ".join(str(part) for part in (failure["expectation"], target, found) if part is not None)


def print_summary(summaries: list[SuiteSummary], index_html: Path | None) -> None:
    """A short table on stdout: suite, evaluated, failed, warnings, success."""
    width = max([len(s.suite) for s in summaries] + [5])
    print(f"{'suite':<{width}}  evaluated  failed  warnings  success")
    for s in summaries:
        status = "skipped" if s.skipped else str(s.success).lower()
        print(f"{s.suite:<{width}}  {s.evaluated:>9}  {s.failed:>6}  {s.warnings:>8}  {status}")
        if s.error and not s.skipped:
            print(f"  ERROR: {s.error}")
        for f in s.failed_expectations:
            print(f"  {f['severity'].upper()}: {_one_line(f)}")
    if index_html is not None:
        print(f"Data Docs: {index_html}")


def run(db_path: Path, out_dir: Path, specs: tuple[SuiteSpec, ...] = SUITES) -> int:
    """Validate every spec'd table of ``db_path``, one table at a time; write results and Data Docs; return the
    exit code."""
    try:
        con = connect_read_only(db_path)
    except DatabaseError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    with con:
        try:
            present = {spec.name for spec in specs} & present_tables(con)
            specs = resolve_values(con, specs, present)
        except DatabaseError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 2
        results_dir, docs_dir = out_dir / "results", out_dir / "data_docs"
        reset_dir(results_dir)
        reset_dir(docs_dir)
        context = build_context(docs_dir)
        summaries: list[SuiteSummary] = []
        for spec in specs:
            if spec.name not in present:
                summaries.append(missing_table_summary(spec, db_path))
                continue
            result = validate_suite(context, spec, read_frames(con, spec))
            write_json(results_dir / f"{spec.name}.json", result.record)
            summaries.append(summarize(spec.name, result))
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    index_html = (docs_dir / "index.html").resolve()
    success = all(s.success for s in summaries)
    write_json(
        results_dir / "summary.json",
        {
            "success": success,
            "database": str(db_path),
            "data_docs": str(index_html) if index_html.is_file() else None,
            "suites": [vars(s) for s in summaries],
        },
    )
    print_summary(summaries, index_html if index_html.is_file() else None)
    return 0 if success else 1


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m empathy.checks.validate", description=__doc__.split("\n")[0])
    parser.add_argument("--db", help=f"DuckDB file (default: ${DB_ENV_VAR} or {DEFAULT_DB})")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    return run(resolve_db_path(args.db), Path(args.out))


if __name__ == "__main__":
    sys.exit(main())
