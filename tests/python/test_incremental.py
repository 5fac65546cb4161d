"""Incremental daily builds (D33) give the same warehouse as a one-shot build.

The demo's raw data is cut into three daily deliveries by `_loaded_at` (everything up to two days before the
last load, then each of the last two days), and hand-written deliveries, in other spellings than the generator's,
are added to the last two days:

- day 2: a re-delivery of a months-old interaction (later `updated_at`, another queue, now resolved) and of one
  of its agent turns with new words, which the lexicon must match in place of the old ones;
- day 3: a late analytics-consent revocation for a customer with many interactions, an interaction that links two
  customers' identifiers (an identity merge), and a transcript segment of an interaction nobody delivered.

The warehouse is built once per day incrementally, and once from the first two and from all three days at one go;
after day 2 and after day 3 every table of every layer must hold the same rows as the one-shot build. The learned
detector is trained yearly in these builds (var behavior_detector.retrain_every), so day 2 keeps the detector
trained on day 1 and scores only the day's refresh scope with it, and day 3 trains it again because the
revocation removes reviewed interactions from its training set (D37): both paths are compared. Separately, the
revoked customer's rows must be gone from every incremental model.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from empathy.ops.fingerprint import row_fingerprint
from tests.python.conftest import PROJECT_DIR, REFRESH_SCOPE_MODELS, run_dbt

DEMO_RAW = PROJECT_DIR / "data" / "demo"
# Seeds and models; the data tests run in every other build of the suite.
BUILD_WITHOUT_TESTS = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
INCREMENTAL_MODELS = ["stg_helpdesk__interactions", "stg_helpdesk__transcript_segments", "screened_interactions",
                      "screened_transcript_segments", "int_transcript_phrases_matched", "int_behavior_detectors_trained",
                      "int_behaviors_scored_out_of_fold", "int_behaviors_detected_by_model",
                      "int_customer_segments_sentiment_filled", "int_interaction_behaviors_observed",
                      "int_interactions_scored", "fct_interaction_behaviors", "mart_interaction_outcomes",
                      "mart_interaction_churn_windows"]


def detector_trained_yearly() -> list[str]:
    """--vars giving var behavior_detector with retrain_every: year (the rest as in dbt_project.yml)."""
    detector = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["behavior_detector"]
    return ["--vars", json.dumps({"behavior_detector": {**detector, "retrain_every": "year"}})]


def loaded_at_utc(column: str = "_loaded_at") -> str:
    return f"(try_cast(cast({column} as varchar) as timestamptz) at time zone 'UTC')"


def split_by_load_day(raw: Path, out: Path, cutoffs: list[dt.datetime]) -> list[Path]:
    """Cut every part file of every raw table into len(cutoffs) + 1 deliveries by `_loaded_at` (UTC): batch k
    holds the rows loaded in [cutoffs[k-1], cutoffs[k]). Each part keeps its own schema; empty parts are not
    written. Returns the batch folders."""
    batches = [out / f"batch_{k + 1}" for k in range(len(cutoffs) + 1)]
    bounds = [dt.datetime.min, *cutoffs, dt.datetime.max]
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for table_dir in sorted(p for p in raw.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for part in sorted(table_dir.glob("*.parquet")):
            for batch, low, high in zip(batches, bounds[:-1], bounds[1:]):
                rows = con.execute(
                    f"select * from read_parquet(?) where {loaded_at_utc()} >= ? and {loaded_at_utc()} < ?",
                    [str(part), low, high]).arrow()
                if isinstance(rows, pa.RecordBatchReader):
                    rows = rows.read_all()
                if rows.num_rows:
                    (batch / table_dir.name).mkdir(parents=True, exist_ok=True)
                    pq.write_table(rows.cast(pq.read_schema(part)), batch / table_dir.name / part.name)
    return batches


TYPES = {"is_escalated": pa.bool_(), "is_resolved": pa.bool_(), "segment_index": pa.int64(), "offset_ms": pa.int64(),
         "sentiment": pa.float64()}


def write_rows(folder: Path, table: str, name: str, rows: list[dict]) -> None:
    """Write hand-written rows as one more part of `table`: times as ISO-8601 strings with an offset (the contract
    allows them beside Parquet timestamps), the other columns in their contract types."""
    columns = list(rows[0])
    values = {c: [iso(r[c]) if isinstance(r[c], dt.datetime) else r[c] for r in rows] for c in columns}
    table_ = pa.table({c: pa.array(v, type=TYPES.get(c, pa.string())) for c, v in values.items()})
    (folder / table).mkdir(parents=True, exist_ok=True)
    pq.write_table(table_, folder / table / f"{name}.parquet")


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def hand_written_days(raw: Path, day2: dt.datetime, day3: dt.datetime) -> dict[str, list[tuple[str, list[dict]]]]:
    """The hand-written deliveries of days 2 and 3 (see the module docstring), picked from the demo's rows."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")

    def one(sql: str) -> tuple:
        row = con.execute(sql).fetchone()
        assert row is not None, sql
        return row

    src = lambda t: f"read_parquet('{raw}/{t}/*.parquet', union_by_name = true)"  # noqa: E731
    # a months-old interaction with an agent turn in its transcript
    old = one(f"""
        select i.interaction_id, i.source_system, i.channel, i.account_id, i.customer_email, i.customer_phone,
               i.agent_id, i.product, i.contact_reason, cast(i.started_at as varchar), cast(i.ended_at as varchar)
        from {src('interactions')} as i
        where {loaded_at_utc('i._loaded_at')} < timestamp '{day2:%Y-%m-%d}' - interval 90 day
          and i.account_id is not null and i.ended_at is not null
          and exists (select 1 from {src('transcript_segments')} as s
                      where s.interaction_id = i.interaction_id and lower(trim(s.speaker)) = 'agent')
          -- not reviewed: its new words do not change the detector's training set, so day 2 keeps the detector
          and not exists (select 1 from {src('qa_reviews')} as q where q.interaction_id = i.interaction_id)
        order by i.interaction_id limit 1""")
    segment = one(f"""
        select segment_index, offset_ms from {src('transcript_segments')}
        where interaction_id = '{old[0]}' and lower(trim(speaker)) = 'agent'
        order by segment_index limit 1""")
    # the customer with the most interactions revokes analytics consent; two others are linked by one contact
    revoker = one(f"""
        select account_id from {src('interactions')} where account_id is not null
        group by account_id order by count(*) desc, account_id limit 1""")[0]
    linked = con.execute(f"""
        select account_id, min(trim(customer_email)) from {src('interactions')}
        where account_id is not null and account_id != '{revoker}' and customer_email is not null
        group by account_id order by account_id limit 2""").fetchall()
    assert len(linked) == 2
    day2_time, day3_time = day2 + dt.timedelta(hours=5), day3 + dt.timedelta(hours=4)
    return {
        "day2": [
            ("interactions", [{
                "interaction_id": f"  {old[0]}", "source_system": old[1].upper(), "channel": old[2],
                "account_id": old[3], "customer_email": old[4], "customer_phone": old[5], "agent_id": old[6],
                "queue": "Billing Escalations", "product": old[7], "contact_reason": old[8], "is_escalated": True,
                "started_at": old[9], "first_agent_response_at": None, "ended_at": old[10], "is_resolved": True,
                "updated_at": day2_time, "_loaded_at": day2_time,
            }]),
            ("transcript_segments", [{
                "source_system": old[1], "interaction_id": old[0], "segment_index": segment[0],
                "speaker": " Agent", "offset_ms": segment[1],
                "text": "Oh no, I'm so sorry to hear about that, that sounds really stressful.",
                "sentiment": None, "_loaded_at": day2_time,
            }]),
        ],
        "day3": [
            ("consent_events", [{
                "event_id": "hand-revocation-1", "identifier_type": "Account ID", "identifier_value": revoker,
                "purpose": " ANALYTICS", "status": "Revoked", "event_at": day3_time - dt.timedelta(hours=2),
                "source": "support_agent", "_loaded_at": day3_time,
            }]),
            ("interactions", [{
                "interaction_id": "hand-merge-1", "source_system": "zendesk", "channel": "web chat",
                "account_id": linked[0][0], "customer_email": f"  {linked[1][1].upper()} ", "customer_phone": None,
                "agent_id": old[6], "queue": "general", "product": old[7], "contact_reason": "how_to",
                "is_escalated": False, "started_at": day3_time - dt.timedelta(hours=3), "first_agent_response_at": None,
                "ended_at": day3_time - dt.timedelta(hours=2), "is_resolved": True, "updated_at": day3_time,
                "_loaded_at": day3_time,
            }]),
            ("transcript_segments", [{
                "source_system": "zendesk", "interaction_id": "never-delivered-1", "segment_index": 0,
                "speaker": "AGENT", "offset_ms": 1000, "text": "I understand how frustrating this is.",
                "sentiment": None, "_loaded_at": day3_time,
            }]),
        ],
        "revoker": [("", [{"account_id": revoker}])],
        "redelivered": [("", [{"source_system": old[1], "interaction_id": old[0]}])],
    }


def add_rows(folder: Path, deliveries: list[tuple[str, list[dict]]], name: str) -> None:
    for table, rows in deliveries:
        write_rows(folder, table, name, rows)


def copy_into(batch: Path, raw: Path) -> None:
    for table_dir in batch.iterdir():
        (raw / table_dir.name).mkdir(parents=True, exist_ok=True)
        for part in table_dir.glob("*.parquet"):
            shutil.copy2(part, raw / table_dir.name / f"{batch.name}-{part.name}")


def fingerprints(db: Path) -> dict[str, tuple[int, int]]:
    """(rows, sum of row hashes) of every table and view of every layer (empathy.ops.fingerprint's definition),
    but the refresh scope and the state, which differ by design."""
    with duckdb.connect(str(db), read_only=True) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('information_schema', 'pg_catalog', 'main') order by 1, 2").fetchall()
        return {f"{schema}.{table}": row_fingerprint(con, schema, table) for schema, table in relations
                if not table.startswith("_incremental_") and table not in REFRESH_SCOPE_MODELS}


@pytest.fixture(scope="module")
def incremental_and_full(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("incremental")
    con = duckdb.connect()
    last = con.execute(
        f"select max({loaded_at_utc()}) from read_parquet('{DEMO_RAW}/interactions/*.parquet', union_by_name = true)"
    ).fetchone()[0]
    day3 = dt.datetime(last.year, last.month, last.day)
    day2 = day3 - dt.timedelta(days=1)
    batches = split_by_load_day(DEMO_RAW, work / "split", [day2, day3])
    hand = hand_written_days(DEMO_RAW, day2, day3)
    add_rows(batches[1], hand["day2"], "hand-written-day2")
    add_rows(batches[2], hand["day3"], "hand-written-day3")

    incremental_raw, full_raw = work / "raw_incremental", work / "raw_full"
    incremental_dir = work / "incremental"
    build = [*BUILD_WITHOUT_TESTS, *detector_trained_yearly()]
    runs, copies, one_shot = [], {}, {}
    for day, batch in enumerate(batches, start=1):
        copy_into(batch, incremental_raw)
        result = run_dbt(build, incremental_raw, incremental_dir)
        runs.append(result)
        assert result.returncode == 0, result.stdout[-4000:]
        # same file name: the views name their catalogue, which DuckDB takes from the file name
        (work / f"after_day{day}").mkdir()
        copies[day] = work / f"after_day{day}" / "warehouse.duckdb"
        shutil.copy(incremental_dir / "warehouse.duckdb", copies[day])
        copy_into(batch, full_raw)
        if day >= 2:
            full = run_dbt([*build, "--full-refresh"], full_raw, work / f"full_day{day}")
            assert full.returncode == 0, full.stdout[-4000:]
            one_shot[day] = work / f"full_day{day}" / "warehouse.duckdb"
    return {"incremental": copies[3], "full": one_shot[3], "incremental_day2": copies[2], "full_day2": one_shot[2],
            "after_day1": copies[1], "runs": runs, "revoker": hand["revoker"][0][1][0]["account_id"],
            "redelivered": hand["redelivered"][0][1][0]}


def test_incremental_runs_recompute_only_their_scope(incremental_and_full: dict) -> None:
    """Days 2 and 3 ran as incremental runs (dbt says so) and recorded their watermark."""
    for result in incremental_and_full["runs"][1:]:
        for model in INCREMENTAL_MODELS:
            assert "incremental model" in result.stdout and model in result.stdout
        assert "incremental state: recording the watermark" in result.stdout
    with duckdb.connect(str(incremental_and_full["incremental"]), read_only=True) as con:
        n_scope = con.execute("select count(*) from staging.identity_interactions_changed").fetchone()[0]
        n_all = con.execute("select count(*) from staging.screened_interactions").fetchone()[0]
        reasons = {r for (r,) in con.execute(
            "select distinct change_reason from staging.identity_customers_changed").fetchall()}
    assert 0 < n_scope < n_all / 5, f"day 3 recomputed {n_scope} of {n_all} interactions"
    assert {"consent_changed", "identity_changed", "interaction_delivered"} <= reasons


def detector_fingerprint(db: Path) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        (fingerprint,) = con.execute(
            "select distinct training_set_fingerprint from intermediate.int_behavior_detectors_trained").fetchone()
        scored = con.execute("select distinct training_set_fingerprint "
                             "from intermediate.int_behaviors_detected_by_model").fetchall()
    assert scored == [(fingerprint,)], "every score is made with the stored detector"
    return fingerprint


def test_the_detector_is_kept_on_day_2_and_trained_again_on_day_3(incremental_and_full: dict) -> None:
    """Day 2 (nothing it learns from changed) keeps day 1's detector; day 3 (a revocation removes reviewed
    interactions from the training set) trains it again (D37). So the two comparisons below cover both paths."""
    day1, day2, day3 = (detector_fingerprint(incremental_and_full[k])
                        for k in ("after_day1", "incremental_day2", "incremental"))
    assert day1 == day2 != day3


@pytest.mark.parametrize("day", ["day 2: the detector kept", "day 3: the detector trained again"])
def test_every_table_equals_the_one_shot_build(incremental_and_full: dict, day: str) -> None:
    keys = ("incremental_day2", "full_day2") if day.startswith("day 2") else ("incremental", "full")
    incremental, full = (fingerprints(incremental_and_full[k]) for k in keys)
    assert len(full) > 100 and incremental.keys() == full.keys()
    differing = {name: (incremental[name], full[name]) for name in full if incremental[name] != full[name]}
    assert not differing, "tables whose rows differ (rows, row-hash sum: incremental, one-shot):\n" + "\n".join(
        f"{name}: {pair}" for name, pair in sorted(differing.items()))


def test_a_late_revocation_removes_the_customer_from_every_incremental_model(incremental_and_full: dict) -> None:
    revoker = incremental_and_full["revoker"]
    checks = {
        "staging.screened_interactions": "account_id = '{a}' and row_fate = 'kept'",
        "staging.consented_interactions": "account_id = '{a}'",
    }
    before, after = incremental_and_full["after_day1"], incremental_and_full["incremental"]
    for db, expect_rows in ((before, True), (after, False)):
        with duckdb.connect(str(db), read_only=True) as con:
            keys = [k for (k,) in con.execute(
                f"select interaction_key from staging.screened_interactions where account_id = '{revoker}'").fetchall()]
            assert keys
            key_list = ", ".join(f"'{k}'" for k in keys)
            counts = {t: con.execute(f"select count(*) from {t} where {w.format(a=revoker)}").fetchone()[0]
                      for t, w in checks.items()}
            counts["staging.consented_transcript_segments"] = con.execute(
                f"select count(*) from staging.consented_transcript_segments where interaction_key in ({key_list})"
            ).fetchone()[0]
            counts["intermediate.int_transcript_phrases_matched"] = con.execute(
                f"select count(*) from intermediate.int_transcript_phrases_matched where interaction_key in ({key_list})"
            ).fetchone()[0]
            counts["intermediate.int_customer_segments_sentiment_filled"] = con.execute(
                "select count(*) from intermediate.int_customer_segments_sentiment_filled "
                f"where interaction_key in ({key_list})").fetchone()[0]
            for table in ("intermediate.int_interaction_behaviors_observed", "intermediate.int_interactions_scored",
                          "marts.fct_interaction_behaviors", "marts.mart_interaction_outcomes",
                          "marts.mart_interaction_churn_windows"):
                counts[table] = con.execute(
                    f"select count(*) from {table} where interaction_key in ({key_list})").fetchone()[0]
            counts["marts.fct_interactions"] = con.execute(
                f"select count(*) from marts.fct_interactions where interaction_key in ({key_list})").fetchone()[0]
        if expect_rows:
            assert all(n > 0 for n in counts.values()), counts
        else:
            assert all(n == 0 for n in counts.values()), counts


def test_a_redelivery_replaces_the_old_version(incremental_and_full: dict) -> None:
    """The re-delivered interaction (other spelling of its id and source system) and agent turn replace the old
    versions: the new queue and resolution are served, the new words are the kept segment's."""
    old = incremental_and_full["redelivered"]
    where = f"source_system = '{old['source_system'].lower()}' and interaction_id = '{old['interaction_id']}'"
    for db, expect_new in ((incremental_and_full["after_day1"], False), (incremental_and_full["incremental"], True)):
        with duckdb.connect(str(db), read_only=True) as con:
            kept = con.execute(f"select queue, is_resolved from staging.stg_helpdesk__interactions "
                               f"where {where} and row_fate = 'kept'").fetchall()
            versions = con.execute(
                f"select count(*) from staging.stg_helpdesk__interactions where {where}").fetchone()[0]
            texts = [t for (t,) in con.execute(
                f"select text_redacted from staging.stg_helpdesk__transcript_segments "
                f"where {where} and row_fate = 'kept'").fetchall()]
        assert len(kept) == 1
        assert (kept[0] == ("billing escalations", True)) is expect_new
        assert any("so sorry to hear about that" in t.lower() for t in texts) is expect_new
        if expect_new:
            assert versions >= 2, "the old delivery is kept as superseded, not deleted"
