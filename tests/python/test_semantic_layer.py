"""The semantic layer (models/marts/semantic/): MetricFlow accepts it against the demo warehouse, its metrics equal
the same definitions written in SQL on the marts, and every metric and measure says what it means.

MetricFlow's CLI reads `<project>/target/semantic_manifest.json` whatever dbt's target path, so the tests parse a
copy of the project's dbt files in a temporary folder (one `dbt parse`) and run `mf` there, on a copy of the demo
warehouse, with HOME, TMPDIR and the logs in that folder: nothing is written to the project or the demo build.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, query

BIN = Path(sys.executable).parent
MF = BIN / "mf"
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests/dbt", "analyses", "profiles")
#: A metric's name says its unit: a count (n_...), a share 0-1, NPS points, or a mean on the item's scale / in seconds.
METRIC_NAME = re.compile(r"^(n_[a-z0-9_]+|[a-z0-9_]+_(share|points|mean))$")


class SemanticProject:
    """A parsed copy of the dbt project beside a copy of the demo warehouse, where `mf` runs."""

    def __init__(self, root: Path, env: dict[str, str], warehouse: Path) -> None:
        self.root, self.env, self.warehouse = root, env, warehouse

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(MF), *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=600)

    def query(self, *args: str) -> list[dict[str, str]]:
        """`mf query ... --csv`: the result rows, values as MetricFlow wrote them ('' for null)."""
        out = self.root.parent / "result.csv"
        result = self.run("query", *args, "--csv", str(out), "--quiet")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        with out.open(newline="") as handle:
            return list(csv.DictReader(handle))

    @property
    def semantic_manifest(self) -> dict:
        return json.loads((self.root / "target" / "semantic_manifest.json").read_text())


@pytest.fixture(scope="module")
def semantic_project(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> SemanticProject:
    assert MF.exists(), f"no MetricFlow CLI at {MF}: dbt-metricflow is in requirements.txt (make setup)"
    work = tmp_path_factory.mktemp("semantic_layer")
    root = work / "project"
    for part in PROJECT_PARTS:
        source, target = PROJECT_DIR / part, root / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    warehouse = work / demo_db.name  # the relations dbt names carry the file's stem as catalogue: same file name
    shutil.copy(demo_db, warehouse)
    for folder in ("home", "tmp", "logs"):
        (work / folder).mkdir()
    env = {
        **os.environ,
        "HOME": str(work / "home"),
        "TMPDIR": str(work / "tmp"),
        "DBT_PROFILES_DIR": str(root / "profiles"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "EMPATHY_DUCKDB_PATH": str(warehouse),
        "EMPATHY_RAW_DIR": os.environ.get("EMPATHY_RAW_DIR", str(PROJECT_DIR / "data" / "demo")),
    }
    env.pop("DBT_TARGET_PATH", None)
    env.pop("DBT_PROJECT_DIR", None)
    parsed = subprocess.run([str(BIN / "dbt"), "parse"], cwd=root, env=env, capture_output=True, text=True,
                            timeout=600)
    assert parsed.returncode == 0, parsed.stdout[-3000:]
    return SemanticProject(root, env, warehouse)


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def _assert_equal(got: dict, want: dict) -> None:
    assert set(got) == set(want), (sorted(got, key=str), sorted(want, key=str))
    for key, value in want.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key


def test_metricflow_validates_the_semantic_layer_against_the_warehouse(semantic_project: SemanticProject) -> None:
    """Semantic validations (entities, joins, measures, metrics, saved queries) and the warehouse validations (every
    dimension, entity, measure and metric queried on the demo warehouse)."""
    result = semantic_project.run("validate-configs")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "Successfully validated the semantics of built manifest" in output, output[-5000:]
    assert "Successfully validated metrics against data warehouse" in output, output[-5000:]


def test_csat_and_acknowledgment_by_channel_equal_sql_on_the_marts(semantic_project: SemanticProject) -> None:
    """One query, both metrics by the interaction's channel, against the definitions in SQL: CSAT pulse answers 4-5
    over answers (fct_survey_responses joined to fct_interactions through the pulse's interaction; relationship NPS
    answers have no interaction: the null channel), and acknowledgment within 30 s over the interactions where it is
    known (mart_interaction_outcomes joined to fct_interactions). The unweighted CSAT share is also the naive
    estimate beside the weighted one in mart_csat_weighted."""
    rows = semantic_project.query("--metrics", "csat_top2_share,n_csat_answers,acknowledged_within_30s_share",
                                  "--group-by", "interaction__channel")
    got = {row["interaction__channel"] or None: row for row in rows}
    db = semantic_project.warehouse

    csat = query(db, """
        select interactions.channel,
               sum(case when responses.survey_type = 'csat_pulse' and responses.is_csat_top2 then 1 else 0 end)::double
               / nullif(sum(case when responses.survey_type = 'csat_pulse' and responses.csat is not null
                            then 1 else 0 end), 0),
               sum(case when responses.survey_type = 'csat_pulse' and responses.csat is not null then 1 else 0 end)
        from marts.fct_survey_responses as responses
        left join marts.fct_interactions as interactions on responses.interaction_key = interactions.interaction_key
        group by 1""")
    _assert_equal({c: _number(row["csat_top2_share"]) for c, row in got.items()},
                  {channel: share for channel, share, _ in csat})
    assert {c: int(row["n_csat_answers"] or 0) for c, row in got.items()} == {c: n for c, _, n in csat}
    naive = query(db, "select group_value, naive_estimate from marts.mart_csat_weighted "
                      "where metric = 'csat_top2_share' and group_by = 'channel'")
    assert naive, "mart_csat_weighted has no csat_top2_share by channel"
    _assert_equal({c: _number(got[c]["csat_top2_share"]) for c, _ in naive}, dict(naive))

    acknowledged = query(db, """
        select interactions.channel,
               sum(case when outcomes.is_acknowledged_within_30s then 1 else 0 end)::double
               / nullif(sum(case when outcomes.is_acknowledged_within_30s is not null then 1 else 0 end), 0)
        from marts.mart_interaction_outcomes as outcomes
        left join marts.fct_interactions as interactions on outcomes.interaction_key = interactions.interaction_key
        group by 1""")
    _assert_equal({c: _number(got[c]["acknowledged_within_30s_share"]) for c, _ in acknowledged},
                  dict(acknowledged))
    assert len(acknowledged) >= 2


def test_weekly_dashboard_query_reads_each_metric_in_its_own_period(semantic_project: SemanticProject) -> None:
    """The saved query of the weekly dashboard: metric_time is the week (Monday) of the answer for CSAT and of the
    interaction's start for the acknowledgment share."""
    rows = semantic_project.query("--saved-query", "weekly_csat_and_acknowledgment_by_channel")
    got = {(row["metric_time__week"][:10], row["interaction__channel"] or None): row for row in rows}
    db = semantic_project.warehouse
    csat = query(db, """
        select strftime(date_trunc('week', responses.responded_at), '%Y-%m-%d'), interactions.channel,
               avg(case when responses.is_csat_top2 then 1.0 else 0.0 end)
        from marts.fct_survey_responses as responses
        left join marts.fct_interactions as interactions on responses.interaction_key = interactions.interaction_key
        where responses.survey_type = 'csat_pulse' and responses.csat is not null
        group by 1, 2""")
    _assert_equal({(w, c): _number(got[(w, c)]["csat_top2_share"]) for w, c, _ in csat},
                  {(w, c): share for w, c, share in csat})
    acknowledged = query(db, """
        select strftime(date_trunc('week', outcomes.started_at), '%Y-%m-%d'), interactions.channel,
               avg(outcomes.is_acknowledged_within_30s::double)
        from marts.mart_interaction_outcomes as outcomes
        left join marts.fct_interactions as interactions on outcomes.interaction_key = interactions.interaction_key
        group by 1, 2""")
    _assert_equal({(w, c): _number(got[(w, c)]["acknowledged_within_30s_share"]) for w, c, _ in acknowledged},
                  {(w, c): share for w, c, share in acknowledged})
    assert len(csat) > 20


def test_nps_and_voluntary_churn_equal_sql_on_the_marts(semantic_project: SemanticProject) -> None:
    """NPS in points over the relationship respondents (also mart_nps_weighted's naive overall estimate) and the
    voluntary churn share of the customers with a subscription."""
    (row,) = semantic_project.query("--metrics", "nps_points,promoter_share,voluntary_churn_share")
    db = semantic_project.warehouse
    ((nps, promoters, churn),) = query(db, """
        select 100 * (avg(case when nps_category = 'promoter' then 1.0 else 0.0 end)
                      - avg(case when nps_category = 'detractor' then 1.0 else 0.0 end)),
               avg(case when nps_category = 'promoter' then 1.0 else 0.0 end),
               (select avg(case when subscription_status = 'churned' and is_voluntary_churn then 1.0 else 0.0 end)
                from marts.dim_customers where subscription_status in ('active', 'churned'))
        from marts.fct_survey_responses where survey_type = 'relationship_nps' and nps_category is not null""")
    _assert_equal({k: _number(row[k]) for k in ("nps_points", "promoter_share", "voluntary_churn_share")},
                  {"nps_points": nps, "promoter_share": promoters, "voluntary_churn_share": churn})
    ((naive,),) = query(db, "select naive_estimate from marts.mart_nps_weighted "
                            "where metric = 'nps' and group_by = 'overall'")
    assert _number(row["nps_points"]) == pytest.approx(naive, rel=1e-9)


def test_every_metric_and_semantic_element_is_described_and_named_with_its_unit(
        semantic_project: SemanticProject) -> None:
    manifest = semantic_project.semantic_manifest
    metrics = manifest["metrics"]
    assert len(metrics) >= 15
    assert [m["name"] for m in metrics if not (m.get("description") or "").strip()] == []
    assert [m["name"] for m in metrics if not METRIC_NAME.match(m["name"])] == []
    assert all(m["type"] != "ratio" or m["name"].endswith("_share") for m in metrics)
    undescribed = []
    for model in manifest["semantic_models"]:
        if not (model.get("description") or "").strip():
            undescribed.append(model["name"])
        for kind in ("measures", "dimensions", "entities"):
            undescribed += [f"{model['name']}.{item['name']}" for item in model.get(kind) or []
                            if not (item.get("description") or "").strip()]
    assert undescribed == []
    assert [q["name"] for q in manifest.get("saved_queries", []) if not (q.get("description") or "").strip()] == []
    assert {m["name"] for m in metrics} >= {
        "csat_top2_share", "csat_mean", "acknowledged_within_30s_share", "empathy_score_mean", "repeat_contact_share",
        "handle_time_seconds_mean", "promoter_share", "nps_points", "voluntary_churn_share"}
