"""Tests for the streaming demo generator (--chunk-customers) and --append-day (empathy.demo.stream, .append)."""
from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from empathy.demo.append import append_day
from empathy.demo.generate import generate
from empathy.demo.spec import CONTRACT, KEYS
from empathy.demo.stream import MIN_CHUNK, chunk_bounds

SMALL = 300
#: rows_fingerprint of the in-memory demo of 300 customers, seed 7, as the generator wrote it before streaming
#: existed (commit 56125d2). Any change of the default demo's rows changes it; re-record it only for a change of the
#: demo that is meant (and then every recorded estimate of the demo moves too).
DEFAULT_FINGERPRINT = "ababd70df6b4e208"
CHUNKED = 1600  # customers of the chunked run: chunks of 600, 600 and 400 (the remainder joins the chunk before)
CHUNK = 600


def rows_fingerprint(out: Path) -> str:
    """A fingerprint of every table's rows (as sorted repr of the values read from each part file, independent of
    file names, part order and Parquet encoding) and of the truth tables."""
    h = hashlib.sha256()
    folders = [*CONTRACT, "_truth"]
    for name in folders:
        rows = []
        for f in sorted((out / name).glob("*.parquet")):
            tbl = pq.read_table(f)
            rows += [repr(tuple(r.values())) for r in tbl.to_pylist()] if name != "_truth" else [
                f.name + repr(tuple(r.values())) for r in tbl.to_pylist()]
        h.update(name.encode())
        for r in sorted(rows):
            h.update(r.encode())
    return h.hexdigest()[:16]


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone='UTC'")
    return con


def _src(out: Path, table: str, files: str = "*.parquet") -> str:
    return f"read_parquet('{out / table}/{files}', union_by_name=true)"


def _approx_equal(a, b, path: str = "") -> list[str]:
    """Paths where two JSON values differ beyond floating-point rounding."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: missing" for k in set(a) ^ set(b)]
        return out + [d for k in set(a) & set(b) for d in _approx_equal(a[k], b[k], f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _approx_equal(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, (int, float)):
        same = math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
        return [] if same else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


@pytest.fixture(scope="module")
def in_memory(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("mem")
    return out, generate(SMALL, 7, out)


@pytest.fixture(scope="module")
def chunked(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("chunked")
    return out, generate(CHUNKED, 11, out, chunk_customers=CHUNK)


# ------------------------------------------------------------------ the default demo and one chunk
def test_default_demo_rows_unchanged(in_memory):
    """The in-memory generator (no new flag) writes the rows it wrote before streaming existed."""
    out, _ = in_memory
    assert rows_fingerprint(out) == DEFAULT_FINGERPRINT


def test_one_chunk_reproduces_the_in_memory_demo(in_memory, tmp_path):
    """Streaming with a chunk holding every customer draws exactly what the in-memory generator draws: the same rows
    in every table and truth file, and the same manifest up to file names and floating-point rounding."""
    out, m = in_memory
    s_out = tmp_path / "one_chunk"
    s_m = generate(SMALL, 7, s_out, chunk_customers=SMALL)
    assert rows_fingerprint(s_out) == rows_fingerprint(out)
    assert s_m["streaming"]["chunks"] == 1
    for table in CONTRACT:
        assert s_m["tables"][table]["files"] == [f.replace("part-", "part-00000-") for f in m["tables"][table]["files"]]
        s_m["tables"][table]["files"] = m["tables"][table]["files"]
    del s_m["streaming"]
    assert _approx_equal(m, s_m) == []


# ------------------------------------------------------------------ several chunks
def test_chunk_bounds():
    assert chunk_bounds(1600, 600) == [(0, 600), (600, 1000)]
    assert chunk_bounds(2000, 500) == [(0, 500), (500, 500), (1000, 500), (1500, 500)]
    assert chunk_bounds(300, 300) == [(0, 300)]
    with pytest.raises(ValueError):
        chunk_bounds(2000, MIN_CHUNK - 1)


def test_streaming_is_deterministic(chunked, tmp_path):
    out, m = chunked
    again = tmp_path / "again"
    assert generate(CHUNKED, 11, again, chunk_customers=CHUNK) == m
    for f in sorted(out.rglob("*.parquet")):
        assert f.read_bytes() == (again / f.relative_to(out)).read_bytes(), f
    other = tmp_path / "other_seed"
    generate(CHUNKED, 12, other, chunk_customers=CHUNK)
    f = Path("interactions") / "part-00001-0000.parquet"
    assert not pq.read_table(other / f).equals(pq.read_table(out / f))


def test_streaming_writes_every_table_per_contract(chunked):
    out, m = chunked
    assert m["streaming"]["chunks"] == 2 and m["customers"] == CHUNKED
    con = _con()
    for table, cols in CONTRACT.items():
        files = sorted((out / table).glob("part-*.parquet"))
        chunks = {f.name.split("-")[1] for f in files}
        global_table = table in ("agents", "training_completions", "experiment_assignments", "incidents")
        assert chunks == ({"00000"} if global_table else {"00000", "00001"}), table
        for f in files:
            assert pq.read_schema(f).names == [c for c, _ in cols], (table, f.name)
        # ids unique across chunks: distinct keys = rows - duplicates, as the manifest says
        key = ", ".join(KEYS[table])
        total, distinct = con.execute(f"select count(*), count(distinct ({key})) from {_src(out, table)}").fetchone()
        assert (total, total - distinct) == (m["tables"][table]["rows_delivered"], m["tables"][table]["duplicate_rows"])
    # every customer once (plus re-deliveries), numbered on from chunk to chunk, phone numbers unique
    accounts, lo, hi, phones = con.execute(
        f"select count(distinct account_id), min(account_id), max(account_id), "
        f"count(distinct right(regexp_replace(phone, '[^0-9]', '', 'g'), 7)) from {_src(out, 'customers')}").fetchone()
    assert (accounts, lo, hi) == (CHUNKED, "A000001", f"A{CHUNKED:06d}")
    assert phones == CHUNKED - con.execute(f"select count(distinct account_id) from {_src(out, 'customers')} "
                                           "where phone is null").fetchone()[0]
    # the planted defects, found in the data as the manifest counts them (the orphans' made-up ids never meet a real one)
    d = m["defects"]
    inter = f"(select distinct source_system, interaction_id from {_src(out, 'interactions')})"
    assert con.execute(f"select count(*) from {_src(out, 'transcript_segments')} anti join {inter} "
                       "using (source_system, interaction_id)").fetchone()[0] == d["transcript_segments"]["orphan_interaction"]
    assert con.execute(f"select count(*) from {_src(out, 'qa_reviews')} anti join {inter} "
                       "using (source_system, interaction_id)").fetchone()[0] == d["qa_reviews"]["orphan_interaction"]
    assert con.execute(f"select count(*) from {_src(out, 'survey_responses')} anti join "
                       f"(select distinct invitation_id from {_src(out, 'survey_invitations')}) using (invitation_id)"
                       ).fetchone()[0] == d["survey_responses"]["orphan_invitation"]
    assert min(v for kinds in d.values() for v in kinds.values()) > 0
    # timestamp styles as in memory
    kinds = {("iso" if pa.types.is_string(t) else "utc" if t.tz else "naive")
             for f in (out / "interactions").glob("*.parquet") for t in [pq.read_schema(f).field("started_at").type]}
    assert kinds == {"iso", "utc", "naive"}


def test_streaming_truth_and_effects_cover_every_chunk(chunked):
    """The truth files hold every chunk, and the manifest's realised effects are measured on all of them (not on
    chunk 0 alone): recomputed here from the truth files."""
    out, m = chunked
    con = _con()
    truth = f"read_parquet('{out / '_truth' / 'interaction_truth.parquet'}')"
    n_truth, eligible, top2 = con.execute(
        f"select count(*), count(*) filter (where is_eligible_for_pulse), "
        f"avg(csat_top2_potential::int) filter (where is_eligible_for_pulse) from {truth}").fetchone()
    n_inter = con.execute(f"select count(distinct (source_system, interaction_id)) from {_src(out, 'interactions')}"
                          ).fetchone()[0]
    assert n_truth == n_inter
    assert pq.read_metadata(out / "_truth" / "customer_truth.parquet").num_rows == CHUNKED
    eff = m["effects"]
    assert eff["csat_ack30"]["eligible_interactions"] == eligible
    assert eff["csat_ack30"]["population_top2_share"] == pytest.approx(top2)
    by_ch = dict(con.execute(f"select channel, avg(csat_top2_potential::int) from {truth} "
                             "where is_eligible_for_pulse group by 1").fetchall())
    assert eff["csat_ack30"]["population_top2_share_by_channel"] == pytest.approx(by_ch)
    # the planted directions hold on the streamed data
    assert eff["tough_moment_oversampling"]["naive_respondent_top2_share"] < eff["csat_ack30"]["population_top2_share"]
    assert 0 < eff["experiment_prompt"]["potential_outcome_truth"]["acknowledged"] <= 0.15
    assert eff["training_staggered"]["expected_csat_top2_att"] > 0
    assert m["consent"]["analytics_revoked_customers"] == con.execute(
        f"select count(*) from '{out / '_truth' / 'customer_truth.parquet'}' where analytics_revoked").fetchone()[0]


# ------------------------------------------------------------------ --append-day
@pytest.fixture(scope="module")
def appended(in_memory, tmp_path_factory) -> tuple[Path, dict, dict[str, str], list[dict]]:
    """A copy of the in-memory demo with three appended days, the base manifest and the base files' digests."""
    base, m = in_memory
    out = tmp_path_factory.mktemp("appended") / "raw"
    shutil.copytree(base, out)
    digests = {str(f.relative_to(out)): hashlib.sha256(f.read_bytes()).hexdigest()
               for f in out.rglob("*.parquet")}
    days = [append_day(out) for _ in range(3)]
    return out, m, digests, days


def _epoch(con, s: str) -> int:
    return int(con.execute(f"select epoch('{s}'::timestamptz)").fetchone()[0])


def test_append_three_consecutive_days_inside_their_day(appended):
    out, m, digests, days = appended
    con = _con()
    assert [d["date"] for d in days] == ["2026-07-02", "2026-07-03", "2026-07-04"]  # as_of 2026-07-01T06:00
    for d in days:
        tag = d["date"].replace("-", "")
        lo, hi = _epoch(con, d["date"]), _epoch(con, d["date"]) + 86_400
        assert sum(d["rows"].values()) > 0
        for table in CONTRACT:
            files = sorted((out / table).glob(f"day-{tag}-*.parquet"))
            if table in d["rows"]:
                assert files, (table, tag)
            for f in files:
                assert pq.read_schema(f).names == [c for c, _ in CONTRACT[table]], f
                n, a, b = con.execute(f"select count(*), min(epoch(_loaded_at::timestamptz)), "
                                      f"max(epoch(_loaded_at::timestamptz)) from read_parquet('{f}')").fetchone()
                assert n > 0 and lo <= a and b < hi, (f, a, b)
            assert sum(pq.read_metadata(f).num_rows for f in files) == d["rows"].get(table, 0)
    # the files the generator wrote are untouched
    for rel, digest in digests.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest, rel
    assert json.loads((out / "manifest.json").read_text())["appended_days"] == days


def _before(out: Path, table: str, tag: str) -> str:
    """The table's files delivered before the appended day ``tag`` (the generator's and earlier days')."""
    files = [str(f) for f in sorted((out / table).glob("*.parquet"))
             if not f.name.startswith("day-") or f.name.split("-")[1] < tag]
    return f"read_parquet({files!r}, union_by_name=true)"


def test_append_new_records_have_new_ids_and_redeliveries_existing_ones(appended):
    out, m, _, days = appended
    con = _con()
    for (table, key), d in ((tk, d) for tk in KEYS.items() for d in days):
        k = ", ".join(key)
        tag = d["date"].replace("-", "")
        base = _before(out, table, tag)
        if (out / table / f"day-{tag}-part-0000.parquet").exists():
            new = _src(out, table, f"day-{tag}-part-0000.parquet")
            clash = con.execute(f"select count(*) from (select {k} from {new}) semi join {base} using ({k})").fetchone()[0]
            assert clash == 0, table  # new records never reuse an id
            total, distinct = con.execute(f"select count(*), count(distinct ({k})) from {new}").fetchone()
            assert total == distinct, table
        if (out / table / f"day-{tag}-part-0001.parquet").exists():
            # re-deliveries are of existing keys, loaded after every earlier delivery of the key
            again = _src(out, table, f"day-{tag}-part-0001.parquet")
            match = " and ".join(f"b.{c} = r.{c}" for c in key)
            late = con.execute(f"""
                select count(*) from {again} r where not exists (select 1 from {base} b where {match})
                   or r._loaded_at::timestamptz <= (select max(b._loaded_at::timestamptz) from {base} b
                                                    where {match})""").fetchone()[0]
            assert late == 0, (table, tag)
    # interactions open before are re-delivered ended, with a later updated_at; customers with a new plan
    for d in days:
        tag = d["date"].replace("-", "")
        closed = con.execute(f"""
            with b as (select source_system, interaction_id, ended_at, updated_at::timestamptz u
                       from {_before(out, 'interactions', tag)}
                       qualify row_number() over (partition by source_system, interaction_id
                                                  order by u desc, _loaded_at::timestamptz desc) = 1)
            select count(*), count(*) filter (where b.ended_at is null and r.ended_at is not null
                                              and r.updated_at::timestamptz > b.u and r.is_resolved is not null)
            from {_src(out, 'interactions', f'day-{tag}-part-0001.parquet')} r join b using (source_system, interaction_id)
            """).fetchone()
        assert closed[0] == d["closed_interactions"] == closed[1] > 0, tag
        changed = con.execute(f"""
            with b as (select account_id, plan, updated_at::timestamptz u from {_before(out, 'customers', tag)}
                       qualify row_number() over (partition by account_id order by u desc, _loaded_at::timestamptz desc) = 1)
            select count(*), count(*) filter (where r.plan <> b.plan and r.updated_at::timestamptz > b.u)
            from {_src(out, 'customers', f'day-{tag}-part-0001.parquet')} r join b using (account_id)""").fetchone()
        assert changed[0] == d["plan_changes"] == changed[1] > 0, tag


def test_append_revokes_analytics_consent_of_existing_customers(appended):
    out, m, _, days = appended
    con = _con()
    truth = f"'{out / '_truth' / 'customer_truth.parquet'}'"
    revoked = con.execute(f"""
        select identifier_value, purpose, status from {_src(out, 'consent_events', 'day-*.parquet')}
        where status = 'revoked'""").fetchall()
    assert revoked and all(p == "analytics" for _, p, _ in revoked)
    accounts = [a for a, _, _ in revoked]
    assert sorted(accounts) == sorted(a for d in days for a in d["analytics_revoked_accounts"])
    assert len(set(accounts)) == len(accounts)
    # existing customers who had analytics consent until then
    had = con.execute(f"select count(*) from {truth} where account_id in ({', '.join(repr(a) for a in accounts)}) "
                      "and not analytics_revoked").fetchone()[0]
    assert had == len(accounts)


def test_append_is_deterministic(in_memory, appended, tmp_path):
    base, _ = in_memory
    out, _, _, days = appended
    again = tmp_path / "again"
    shutil.copytree(base, again)
    assert append_day(again) == days[0]
    for f in sorted(again.rglob("day-*.parquet")):
        assert f.read_bytes() == (out / f.relative_to(again)).read_bytes(), f
    other = tmp_path / "other"
    shutil.copytree(base, other)
    assert append_day(other, seed=8)["rows"] != days[0]["rows"] or any(
        f.read_bytes() != (out / f.relative_to(other)).read_bytes() for f in other.rglob("day-*.parquet"))


def test_append_to_a_streamed_folder(chunked, tmp_path):
    """A streamed folder's world is re-derived chunk by chunk: the day's contacts use the chunked customers."""
    out, m = chunked
    copy = tmp_path / "raw"
    shutil.copytree(out, copy)
    day = append_day(copy)
    con = _con()
    assert day["new_interactions"] > 0 and day["rows"]["transcript_segments"] > 0
    # the contacts' account ids and e-mails belong to the same customers as in the base delivery
    bad = con.execute(f"""
        with c as (select distinct account_id, lower(trim(email)) e from {_src(copy, 'customers', 'part-*.parquet')})
        select count(*) from {_src(copy, 'interactions', 'day-*-part-0000.parquet')} i join c using (account_id)
        where i.customer_email is not null and lower(trim(i.customer_email)) <> c.e""").fetchone()[0]
    assert bad == 0
