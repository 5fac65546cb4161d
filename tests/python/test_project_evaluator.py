"""dbt-project-evaluator's rules, ported to tests on dbt's manifest (the package hub is out of reach here).

One function per rule returns the offending ids (a model, a source, or `parent > child`); the exceptions seed
`seeds/dbt_project_evaluator_exceptions.csv` lists what is allowed, by rule and fnmatch pattern, each with the reason.
A new violation fails; an exception that no longer matches anything fails too, so the list cannot go stale.
Rules and thresholds as documented by dbt-project-evaluator (modeling, testing, documentation, structure,
performance, governance).
"""
from __future__ import annotations

import csv
import fnmatch
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import PROJECT_DIR

PACKAGE = "empathy_warehouse"
EXCEPTIONS_SEED = PROJECT_DIR / "seeds" / "dbt_project_evaluator_exceptions.csv"
MODEL_FANOUT_MAX = 3
TOO_MANY_JOINS = 7
CHAINED_VIEWS_MAX = 4
#: layer -> allowed prefixes (dbt-project-evaluator's model_types, with this project's identity-and-consent step,
#: a model type of its own between staging and intermediate (models/staging/identity_and_consent/), its analytic
#: marts and the restricted and audit schemas).
PREFIXES = {
    "staging": ("stg_",),
    "identity_and_consent": ("identity_", "screened_", "consented_"),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_", "mart_", "audit_", "restricted_"),
}


class Graph:
    """Models, sources, tests and edges of the project, from dbt's manifest."""

    def __init__(self, manifest: dict) -> None:
        self.nodes = {uid: n for uid, n in manifest["nodes"].items() if n.get("package_name") == PACKAGE}
        self.models = {uid: n for uid, n in self.nodes.items() if n["resource_type"] == "model"}
        self.tests = {uid: n for uid, n in self.nodes.items() if n["resource_type"] == "test"}
        self.sources = {uid: s for uid, s in manifest["sources"].items() if s["package_name"] == PACKAGE}
        self.exposures = {uid: e for uid, e in manifest.get("exposures", {}).items()
                          if e["package_name"] == PACKAGE}
        self.parents = {uid: [p for p in n["depends_on"]["nodes"] if p in self.models or p in self.sources]
                        for uid, n in self.models.items()}
        self.children: dict[str, list[str]] = defaultdict(list)
        for child, parents in self.parents.items():
            for parent in parents:
                self.children[parent].append(child)

    def name(self, uid: str) -> str:
        node = self.models.get(uid) or self.sources.get(uid) or self.nodes.get(uid) or {}
        if uid in self.sources:
            return f"{node['source_name']}.{node['name']}"
        return node.get("name", uid)

    def layer(self, uid: str) -> str:
        parts = Path(self.models[uid]["original_file_path"]).parts
        if parts[1:3] == ("staging", "identity_and_consent"):
            return "identity_and_consent"
        return parts[1] if len(parts) > 2 else "root"


@pytest.fixture(scope="module")
def graph(dbt_manifest: dict) -> Graph:
    return Graph(dbt_manifest)


# ----------------------------------------------------------------------------- modeling
def fct_direct_join_to_source(g: Graph) -> list[str]:
    return [f"{g.name(p)} > {g.name(m)}" for m, ps in g.parents.items()
            if any(p in g.sources for p in ps) and any(p in g.models for p in ps) for p in ps if p in g.sources]


def fct_marts_or_intermediate_dependent_on_source(g: Graph) -> list[str]:
    return [f"{g.name(p)} > {g.name(m)}" for m, ps in g.parents.items() if g.layer(m) in ("intermediate", "marts")
            for p in ps if p in g.sources]


def fct_duplicate_sources(g: Graph) -> list[str]:
    seen: dict[tuple, list[str]] = defaultdict(list)
    for uid, s in g.sources.items():
        seen[(s["database"], s["schema"], s["identifier"], s.get("meta", {}).get("external_location"))].append(
            g.name(uid))
    return [" = ".join(sorted(names)) for names in seen.values() if len(names) > 1]


HARD_CODED = re.compile(r"\b(from|join)\s+(?!\{\{)(?!\()([a-z_][\w]*\.[a-z_][\w.]*)", re.IGNORECASE)


def fct_hard_coded_references(g: Graph) -> list[str]:
    out = []
    for uid, m in g.models.items():
        code = re.sub(r"\{#.*?#\}", "", m["raw_code"], flags=re.DOTALL)
        code = re.sub(r"--[^\n]*", "", code)
        if m["language"] == "sql":
            for match in HARD_CODED.finditer(code):
                out.append(f"{g.name(uid)}: {match.group(2)}")
    return out


def fct_model_fanout(g: Graph) -> list[str]:
    out = []
    for parent in g.models:
        leaves = [c for c in g.children.get(parent, []) if not g.children.get(c)]
        if len(leaves) > MODEL_FANOUT_MAX:
            out.append(g.name(parent))
    return out


def fct_multiple_sources_joined(g: Graph) -> list[str]:
    return [g.name(m) for m, ps in g.parents.items() if sum(p in g.sources for p in ps) > 1]


def fct_rejoining_of_upstream_concepts(g: Graph) -> list[str]:
    out = []
    for child, ps in g.parents.items():
        for middle in ps:
            if middle in g.models and g.children.get(middle) == [child]:
                for grand in g.parents.get(middle, []):
                    if grand in ps:
                        out.append(f"{g.name(grand)} > {g.name(middle)} > {g.name(child)}")
    return out


def fct_root_models(g: Graph) -> list[str]:
    return [g.name(m) for m, n in g.models.items() if not n["depends_on"]["nodes"]]


def fct_source_fanout(g: Graph) -> list[str]:
    return [g.name(s) for s in g.sources if len(g.children.get(s, [])) > 1]


def fct_staging_dependent_on_marts_or_intermediate(g: Graph) -> list[str]:
    return [f"{g.name(p)} > {g.name(m)}" for m, ps in g.parents.items()
            if g.layer(m) in ("staging", "identity_and_consent")
            for p in ps if p in g.models and g.layer(p) in ("intermediate", "marts")]


def fct_staging_dependent_on_staging(g: Graph) -> list[str]:
    return [f"{g.name(p)} > {g.name(m)}" for m, ps in g.parents.items() if g.layer(m) == "staging"
            for p in ps if p in g.models and g.layer(p) == "staging"]


def fct_unused_sources(g: Graph) -> list[str]:
    return [g.name(s) for s in g.sources if not g.children.get(s)]


def fct_too_many_joins(g: Graph) -> list[str]:
    return [g.name(m) for m, ps in g.parents.items() if len(ps) >= TOO_MANY_JOINS]


# ----------------------------------------------------------------------------- testing
def _tested(g: Graph, names: tuple[str, ...] | None = None) -> set[str]:
    return {t.get("attached_node") for t in g.tests.values()
            if names is None or t.get("test_metadata", {}).get("name") in names}


def fct_missing_primary_key_tests(g: Graph) -> list[str]:
    keyed = _tested(g, ("unique", "unique_combination_of_columns"))
    return [g.name(m) for m in g.models if m not in keyed]


def fct_sources_without_freshness(g: Graph) -> list[str]:
    return [g.name(s) for s, n in g.sources.items()
            if not (n.get("freshness") or {}).get("warn_after", {}).get("count")
            and not (n.get("freshness") or {}).get("error_after", {}).get("count")]


def fct_test_coverage(g: Graph) -> list[str]:
    tested = _tested(g)
    return [g.name(m) for m in g.models if m not in tested]


# ----------------------------------------------------------------------------- documentation
def fct_undocumented_models(g: Graph) -> list[str]:
    return [g.name(m) for m, n in g.models.items() if not n["description"].strip()]


def fct_documentation_coverage(g: Graph) -> list[str]:
    return [f"{g.name(m)}.{c}" for m, n in g.models.items() for c, spec in n["columns"].items()
            if not spec["description"].strip()]


def fct_undocumented_source_tables(g: Graph) -> list[str]:
    return [g.name(s) for s, n in g.sources.items() if not n["description"].strip()]


def fct_undocumented_sources(g: Graph) -> list[str]:
    return sorted({n["source_name"] for n in g.sources.values() if not n.get("source_description", "").strip()})


# ----------------------------------------------------------------------------- structure
def fct_model_naming_conventions(g: Graph) -> list[str]:
    return [g.name(m) for m in g.models if not g.name(m).startswith(PREFIXES.get(g.layer(m), ("",)))
            or g.layer(m) not in PREFIXES]


def fct_model_directories(g: Graph) -> list[str]:
    """Staging models sit in models/staging/<source>/ when they read a source; every model sits in the folder of
    its prefix's layer."""
    out = []
    for m, n in g.models.items():
        parts = Path(n["original_file_path"]).parts
        layer = g.layer(m)
        expected = [lay for lay, prefixes in PREFIXES.items() if g.name(m).startswith(prefixes)]
        if expected and layer not in expected:
            out.append(f"{g.name(m)} in {layer}")
        for p in g.parents[m]:
            if p in g.sources and (len(parts) < 3 or parts[2] != g.sources[p]["source_name"]):
                out.append(f"{g.name(m)} outside models/staging/{g.sources[p]['source_name']}/")
    return out


def fct_source_directories(g: Graph) -> list[str]:
    return [g.name(s) for s, n in g.sources.items()
            if Path(n["original_file_path"]).parent.as_posix() != f"models/staging/{n['source_name']}"]


def fct_test_directories(g: Graph) -> list[str]:
    out = []
    for t in g.tests.values():
        attached = t.get("attached_node")
        if attached in g.models and t.get("test_metadata"):
            if Path(t["original_file_path"]).parent != Path(g.models[attached]["original_file_path"]).parent:
                out.append(f"{t['name']} ({t['original_file_path']})")
    return out


# ----------------------------------------------------------------------------- performance
def fct_chained_views_dependencies(g: Graph) -> list[str]:
    def depth(uid: str) -> int:
        n = g.models.get(uid)
        if not n or n["config"]["materialized"] not in ("view", "ephemeral"):
            return 0
        return 1 + max((depth(p) for p in g.parents[uid]), default=0)

    return [g.name(m) for m in g.models if depth(m) > CHAINED_VIEWS_MAX]


def fct_exposure_parents_materializations(g: Graph) -> list[str]:
    return [f"{g.name(p)} > {e['name']}" for e in g.exposures.values() for p in e["depends_on"]["nodes"]
            if p in g.models and g.models[p]["config"]["materialized"] not in ("table", "incremental")]


# ----------------------------------------------------------------------------- governance
def _public(g: Graph) -> list[str]:
    return [m for m, n in g.models.items() if n.get("access") == "public"]


def fct_public_models_without_contract(g: Graph) -> list[str]:
    return [g.name(m) for m in _public(g) if not g.models[m]["config"].get("contract", {}).get("enforced")]


def fct_undocumented_public_models(g: Graph) -> list[str]:
    return [g.name(m) for m in _public(g) if not g.models[m]["description"].strip()
            or any(not c["description"].strip() for c in g.models[m]["columns"].values())]


def fct_exposures_dependent_on_private_models(g: Graph) -> list[str]:
    return [f"{g.name(p)} > {e['name']}" for e in g.exposures.values() for p in e["depends_on"]["nodes"]
            if p in g.models and g.models[p].get("access") != "public"]


RULES = [
    fct_direct_join_to_source, fct_marts_or_intermediate_dependent_on_source, fct_duplicate_sources,
    fct_hard_coded_references, fct_model_fanout, fct_multiple_sources_joined, fct_rejoining_of_upstream_concepts,
    fct_root_models, fct_source_fanout, fct_staging_dependent_on_marts_or_intermediate,
    fct_staging_dependent_on_staging, fct_unused_sources, fct_too_many_joins,
    fct_missing_primary_key_tests, fct_sources_without_freshness, fct_test_coverage,
    fct_undocumented_models, fct_documentation_coverage, fct_undocumented_source_tables, fct_undocumented_sources,
    fct_model_naming_conventions, fct_model_directories, fct_source_directories, fct_test_directories,
    fct_chained_views_dependencies, fct_exposure_parents_materializations,
    fct_public_models_without_contract, fct_undocumented_public_models, fct_exposures_dependent_on_private_models,
]


def _exceptions() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with EXCEPTIONS_SEED.open() as handle:
        for row in csv.DictReader(handle):
            assert row["comment"].strip(), f"exception without a reason: {row}"
            found[row["fct_name"]].append((row["id_to_exclude"], row["comment"]))
    return found


def test_there_are_29_rules() -> None:
    assert len(RULES) == 29


@pytest.mark.parametrize("rule", RULES, ids=[r.__name__ for r in RULES])
def test_rule_holds_apart_from_its_listed_exceptions(graph: Graph, rule) -> None:
    allowed = _exceptions().get(rule.__name__, [])
    violations = rule(graph)
    unexcused = [v for v in violations if not any(fnmatch.fnmatch(v, pattern) for pattern, _ in allowed)]
    assert unexcused == [], f"{rule.__name__}: {unexcused}"
    stale = [pattern for pattern, _ in allowed if not any(fnmatch.fnmatch(v, pattern) for v in violations)]
    assert stale == [], f"{rule.__name__}: exceptions that match nothing any more: {stale}"


def test_every_exception_names_a_rule() -> None:
    names = {r.__name__ for r in RULES}
    assert set(_exceptions()) <= names
