"""Conventions of the dbt project, checked on dbt's manifest: layers, documentation and consent tests."""
from __future__ import annotations

from pathlib import Path

PREFIXES = {
    "staging": ("base_", "stg_"),
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
