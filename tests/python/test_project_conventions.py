"""Conventions of the dbt project, checked on dbt's manifest: layers, documentation and consent tests."""
from __future__ import annotations

from pathlib import Path

PREFIXES = {
    "staging": ("stg_", "identity_", "screened_", "consented_"),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_", "mart_", "audit_", "restricted_"),
}


def _models(manifest: dict) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["package_name"] == "empathy_warehouse"]


def _layer(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]


def test_only_staging_reads_sources(dbt_manifest: dict) -> None:
    offenders = [
        n["name"] for n in _models(dbt_manifest)
        if _layer(n) != "staging" and any(d.startswith("source.") for d in n["depends_on"]["nodes"])
    ]
    assert offenders == []


def _folder(node: dict) -> str:
    return "/".join(Path(node["original_file_path"]).parts[1:-1])


def test_source_conformed_models_read_only_their_source_and_seeds(dbt_manifest: dict) -> None:
    """Staging step 1 (models/staging/<system>/stg_<system>__<table>): one source table, seeds, nothing else; no
    cross-system join."""
    offenders = []
    for n in _models(dbt_manifest):
        if _folder(n).startswith("staging/") and n["name"].startswith("stg_"):
            parents = n["depends_on"]["nodes"]
            sources = [d for d in parents if d.startswith("source.")]
            models = [d for d in parents if d.startswith("model.")]
            if models or (len(sources) != 1 and not n["name"].startswith("stg_build__")):
                offenders.append((n["name"], parents))
            system = n["name"].split("__")[0].removeprefix("stg_")
            if system != "build" and any(d.split(".")[2] != system for d in sources):
                offenders.append((n["name"], sources))
    assert offenders == []


def test_identity_and_consent_step_has_one_screen_and_one_publication_per_screened_table(
        dbt_manifest: dict) -> None:
    names = {n["name"]: n for n in _models(dbt_manifest)}
    screened = sorted(n.removeprefix("screened_") for n in names if n.startswith("screened_")
                      and n != "screened_quarantined_rows")
    assert len(screened) >= 10
    for table in screened:
        published = names[f"consented_{table}"]
        assert published["depends_on"]["nodes"] == [names[f"screened_{table}"]["unique_id"]], table
        assert _folder(published) == _folder(names[f"screened_{table}"]) == "staging/identity_and_consent"


def test_models_after_staging_read_only_consented_models(dbt_manifest: dict) -> None:
    """The privacy boundary: every model after staging (the audit excepted, which counts what was set aside) reads
    from staging only consented_ models and the build's as-of; dbt's group access enforces most of this, this test
    the rest (identity_customer_consent is protected for the consent tests). The one other exception: an
    incremental model reads its refresh scope, identity_interactions_changed or identity_outcomes_changed
    (interaction keys only), which must name a revoked customer's interactions so that their rows are deleted
    (D33, D43)."""
    by_id = {n["unique_id"]: n for n in _models(dbt_manifest)}
    offenders = []
    for n in by_id.values():
        if _layer(n) == "staging" or _folder(n) == "marts/audit":
            continue
        for parent in n["depends_on"]["nodes"]:
            node = by_id.get(parent)
            scope_of_an_incremental_model = (
                node is not None and node["name"] in ("identity_interactions_changed", "identity_outcomes_changed")
                and n["config"]["materialized"] == "incremental")
            if node and _layer(node) == "staging" and not (
                    node["name"].startswith("consented_") or node["name"] == "stg_build__as_of"
                    or scope_of_an_incremental_model):
                offenders.append(f"{node['name']} > {n['name']}")
    assert offenders == []


def test_the_consent_filter_is_written_only_in_the_identity_and_consent_step(dbt_manifest: dict) -> None:
    """No model after staging filters on a row's fate or consent: it reads consented_ models, which did."""
    offenders = [
        n["name"] for n in _models(dbt_manifest)
        if _layer(n) != "staging" and _folder(n) != "marts/audit"
        and any(word in n["raw_code"] for word in ("row_fate", "set_aside_reason", "consent_exclusion_reason",
                                                  "is_analytics_revoked"))
    ]
    assert offenders == []


def test_model_names_follow_their_layer(dbt_manifest: dict) -> None:
    offenders = [n["name"] for n in _models(dbt_manifest) if not n["name"].startswith(PREFIXES[_layer(n)])]
    assert offenders == []


def test_every_model_and_source_column_is_documented(dbt_manifest: dict) -> None:
    undocumented = [n["name"] for n in _models(dbt_manifest) if not n["description"].strip()]
    assert undocumented == []
    for source in dbt_manifest["sources"].values():
        assert source["description"].strip(), source["name"]
        assert source["columns"], f"source {source['name']} declares no columns"
        missing = [c for c, spec in source["columns"].items() if not spec["description"].strip()]
        assert missing == [], (source["name"], missing)
        assert "_loaded_at" in source["loaded_at_field"], source["name"]


def test_marts_document_every_column(dbt_manifest: dict) -> None:
    for node in _models(dbt_manifest):
        if _layer(node) == "marts":
            assert node["columns"], f"{node['name']} documents no columns"
            assert all(c["description"].strip() for c in node["columns"].values()), node["name"]


def test_every_customer_key_after_staging_has_the_consent_test(dbt_manifest: dict) -> None:
    tested = {
        (n["attached_node"], n["column_name"])
        for n in dbt_manifest["nodes"].values()
        if n["resource_type"] == "test" and n.get("test_metadata", {}).get("name") == "not_consent_revoked"
    }
    for node in _models(dbt_manifest):
        if _layer(node) != "staging" and "customer_key" in node["columns"]:
            assert (node["unique_id"], "customer_key") in tested, node["name"]


def test_no_mart_documents_a_pii_column(dbt_manifest: dict) -> None:
    """Marts carry no PII column; the restricted schema holds redacted free text on purpose (tagged)."""
    for node in _models(dbt_manifest):
        if _layer(node) == "marts" and node["config"]["schema"] != "restricted":
            tagged = [c for c, spec in node["columns"].items() if (spec.get("meta") or {}).get("contains_pii")]
            assert tagged == [], node["name"]


def test_every_model_has_a_primary_key_test(dbt_manifest: dict) -> None:
    """A unique (or unique-combination) test on every model, unless its YAML says why it has no key."""
    tested = {
        n["attached_node"]
        for n in dbt_manifest["nodes"].values()
        if n["resource_type"] == "test"
        and n.get("test_metadata", {}).get("name") in ("unique", "unique_combination_of_columns")
    }
    missing = [
        n["name"] for n in _models(dbt_manifest)
        if n["unique_id"] not in tested and "primary_key" not in (n.get("meta") or {})
    ]
    assert missing == []


# ----------------------------------------------------------------------------- the statistics vocabulary
def _statistics_marts(manifest: dict) -> list[dict]:
    return [n for n in _models(manifest) if "statistics" in n["config"].get("tags", [])]


def test_statistics_marts_speak_one_vocabulary(dbt_manifest: dict, demo_db: Path) -> None:
    """docs/statistics_vocabulary.md: no second word for an idea, counts are integers named n_*, every statistics
    mart has a documented, never-null status, and every column is described."""
    from conftest import query
    from empathy.vocabulary import FORBIDDEN_NAME

    marts = _statistics_marts(dbt_manifest)
    assert len(marts) >= 12
    for node in marts:
        built = query(demo_db, "select column_name, data_type from duckdb_columns() "
                               f"where schema_name = '{node['schema']}' and table_name = '{node['alias']}'")
        assert built, node["name"]
        names = [c for c, _ in built]
        assert [c for c in names if FORBIDDEN_NAME.match(c)] == [], node["name"]
        counts = {c: t for c, t in built if c.startswith("n_") or "_n_" in c}
        assert all(t in ("BIGINT", "INTEGER", "HUGEINT") for t in counts.values()), (node["name"], counts)
        assert "status" in names, node["name"]
        assert "`" in node["columns"]["status"]["description"], f"{node['name']}: status values are not documented"
        undocumented = [c for c in names if not node["columns"].get(c, {}).get("description", "").strip()]
        assert undocumented == [], (node["name"], undocumented)
        nulls = query(demo_db, f"select count(*) from {node['schema']}.{node['alias']} where status is null")
        assert nulls == [(0,)], node["name"]


def test_shares_are_fractions(dbt_manifest: dict, demo_db: Path) -> None:
    from conftest import query

    for node in _statistics_marts(dbt_manifest):
        columns = [c for (c,) in query(demo_db, "select column_name from duckdb_columns() where schema_name = "
                                               f"'{node['schema']}' and table_name = '{node['alias']}'")]
        for column in columns:
            if column.endswith(("_share", "_rate")) and column != "share_difference":
                bad = query(demo_db, f"select count(*) from {node['schema']}.{node['alias']} "
                                     f"where {column} < 0 or {column} > 1")
                assert bad == [(0,)], (node["name"], column)


def test_every_mart_column_is_described(dbt_manifest: dict, demo_db: Path) -> None:
    """Every column of every mart and audit table, as built, has a description (doc blocks for shared ones)."""
    from conftest import query

    for node in _models(dbt_manifest):
        if _layer(node) != "marts":
            continue
        built = [c for (c,) in query(demo_db, "select column_name from duckdb_columns() where schema_name = "
                                             f"'{node['schema']}' and table_name = '{node['alias']}'")]
        undocumented = [c for c in built if not node["columns"].get(c, {}).get("description", "").strip()]
        assert undocumented == [], (node["name"], undocumented)


def test_dev_target_prefixes_every_schema_and_prod_uses_the_layer_names(tmp_path: Path) -> None:
    """generate_schema_name: production (the default target) writes the layer schemas by name; a developer's
    target writes <EMPATHY_DEV_SCHEMA>_<layer>, so the two never collide."""
    import json
    import os
    import subprocess
    import sys

    from conftest import PROJECT_DIR

    def schemas(target: str) -> set[str]:
        env = {**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"), "EMPATHY_DEV_SCHEMA": "dev_ann",
               "DBT_TARGET_PATH": str(tmp_path / target), "DBT_LOG_PATH": str(tmp_path / "logs"),
               "EMPATHY_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
        result = subprocess.run([str(Path(sys.executable).parent / "dbt"), "parse", "--target", target],
                                cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]
        manifest = json.loads((tmp_path / target / "manifest.json").read_text())
        return {n["schema"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")}

    assert schemas("prod") == {"staging", "intermediate", "marts", "audit", "restricted", "reference"}
    assert schemas("dev") == {f"dev_ann_{s}" for s in ("staging", "intermediate", "marts", "audit", "restricted",
                                                         "reference")}


def test_macros_do_not_hide_dependencies() -> None:
    """A macro takes a relation as an argument; only a model's import CTEs call ref() or source(), so a model's top
    lists everything it reads. Generic tests ({% test %} blocks) may read the model they test against another."""
    import re

    from conftest import PROJECT_DIR

    hooks = {"check_raw_contract": "the on-run-start hook that checks every source before any model runs",
             "default__check_raw_contract": "that hook on DuckDB (the Spark form reads the raw folders, D36)"}
    offenders = []
    for path in sorted((PROJECT_DIR / "macros").rglob("*.sql")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.DOTALL)
        for block in re.findall(r"\{%-?\s*macro\b.*?\{%-?\s*endmacro", text, flags=re.DOTALL):
            if re.search(r"\b(ref|source)\(", block):
                name = block.split("(")[0].split()[-1]
                if name not in hooks:
                    offenders.append((path.name, name))
    assert offenders == []


def _selected(selector: str | None, tmp_path: Path) -> dict[str, str]:
    """unique_id -> resource type of what `dbt ls` selects (every node when selector is None)."""
    import json
    import os
    import subprocess
    import sys

    from conftest import PROJECT_DIR

    env = {**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"), "DBT_TARGET_PATH": str(tmp_path / "t"),
           "DBT_LOG_PATH": str(tmp_path / "logs"), "EMPATHY_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "ls", "-q", *(["--selector", selector] if selector else []),
         "--output", "json", "--output-keys", "unique_id", "resource_type"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {row["unique_id"]: row["resource_type"] for row in rows}


def test_the_daily_and_weekly_jobs_split_the_project(tmp_path: Path) -> None:
    """The selectors daily and weekly (D42): every node that builds or tests is in exactly one of them; the
    incremental models, the facts and dimensions of the BI layer and the at-risk alerts are daily; every
    statistics mart is weekly; and the daily job does no work that only the weekly job reads (an intermediate model
    in the daily job has a daily descendant)."""
    every = {k: v for k, v in _selected(None, tmp_path).items() if v != "source"}
    daily, weekly = _selected("daily", tmp_path), _selected("weekly", tmp_path)
    assert set(daily) & set(weekly) == set()
    assert set(daily) | set(weekly) == set(every)
    assert {"model", "test", "seed", "unit_test"} <= set(daily.values())

    import json

    manifest = json.loads((tmp_path / "t" / "manifest.json").read_text())  # the project as `dbt ls` just parsed it
    models = {n["unique_id"]: n for n in _models(manifest)}
    by_name = {n["name"]: uid for uid, n in models.items()}
    incremental = [uid for uid, n in models.items() if n["config"]["materialized"] == "incremental"]
    assert incremental and all(uid in daily for uid in incremental)
    statistics = [uid for uid, n in models.items() if "statistics" in n["config"].get("tags", [])]
    assert statistics and all(uid in weekly for uid in statistics)
    bi_layer = [uid for uid, n in models.items() if n["name"].startswith(("fct_", "dim_"))
                and "weekly" not in n["config"].get("tags", [])]
    assert by_name["mart_at_risk_alerts"] in daily and all(uid in daily for uid in bi_layer)

    children: dict[str, set[str]] = {}
    for uid, node in models.items():
        for parent in node["depends_on"]["nodes"]:
            children.setdefault(parent, set()).add(uid)

    def descendants(uid: str) -> set[str]:
        seen: set[str] = set()
        stack = [uid]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    feeding_only_weekly = [
        models[uid]["name"] for uid in models
        if uid in daily and _layer(models[uid]) == "intermediate"
        and descendants(uid) and not (descendants(uid) & set(daily))]
    assert feeding_only_weekly == [], "tag these weekly: only the weekly job reads them"
