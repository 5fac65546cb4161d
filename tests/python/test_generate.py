"""Tests for the deterministic demo-data generator (empathy.demo.generate)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from empathy.demo.spec import CONTRACT, KEYS
from empathy.demo.generate import generate

SMALL = 300
LARGE = 2000


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("raw_small")
    return out, generate(SMALL, 7, out)


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("raw_large")
    return out, generate(LARGE, 42, out)


def _con():
    con = duckdb.connect()
    con.execute("set TimeZone='UTC'")  # naive timestamps mean UTC
    return con


def _glob(out: Path, table: str) -> str:
    return str(out / table / "*.parquet")


def _read(out: Path, table: str) -> pa.Table:
    """All part files of a table (schemas may differ in timestamp representation)."""
    con = _con()
    return con.execute(f"select * from read_parquet('{_glob(out, table)}', union_by_name=true)").arrow()


def _compatible(typ: pa.DataType, code: str) -> bool:
    if code == "string":
        return pa.types.is_string(typ) or pa.types.is_large_string(typ)
    if code == "ts":
        return pa.types.is_timestamp(typ) or pa.types.is_string(typ)
    if code == "bool":
        return pa.types.is_boolean(typ)
    if code == "int":
        return pa.types.is_integer(typ)
    if code == "double":
        return pa.types.is_floating(typ)
    if code == "date":
        return pa.types.is_date(typ)
    raise AssertionError(code)


def test_deterministic_same_seed(tmp_path, small):
    out1, m1 = small
    out2 = tmp_path / "again"
    m2 = generate(SMALL, 7, out2)
    assert m1 == m2
    for table in CONTRACT:
        f1 = sorted(p.name for p in (out1 / table).glob("*.parquet"))
        f2 = sorted(p.name for p in (out2 / table).glob("*.parquet"))
        assert f1 == f2 and len(f1) >= 2, table
        for f in f1:
            assert (out1 / table / f).read_bytes() == (out2 / table / f).read_bytes(), (table, f)
    for f in ("interaction_truth.parquet", "customer_truth.parquet"):
        assert pq.read_table(out1 / "_truth" / f).equals(pq.read_table(out2 / "_truth" / f))


def test_different_seed_differs(tmp_path, small):
    out1, _ = small
    out2 = tmp_path / "other"
    generate(SMALL, 8, out2)
    a = pq.read_table(out1 / "interactions" / "part-0000.parquet")
    b = pq.read_table(out2 / "interactions" / "part-0000.parquet")
    assert not a.equals(b)


def test_rerun_overwrites_cleanly(tmp_path):
    out = tmp_path / "raw"
    generate(SMALL, 7, out)
    stale = out / "interactions" / "part-0099.parquet"
    stale.write_bytes(b"junk")
    generate(SMALL, 7, out)
    assert not stale.exists()


def test_contract_tables_and_columns(small):
    out, m = small
    dirs = {p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert dirs == set(CONTRACT)
    for table, cols in CONTRACT.items():
        files = sorted((out / table).glob("part-*.parquet"))
        assert len(files) >= 2, table
        for f in files:
            schema = pq.read_schema(f)
            assert schema.names == [c for c, _ in cols], (table, f.name)
            for c, code in cols:
                assert _compatible(schema.field(c).type, code), (table, f.name, c, schema.field(c).type)


def test_timestamp_representations(small):
    out, _ = small
    for table in ("interactions", "survey_invitations"):
        kinds = set()
        for f in (out / table).glob("*.parquet"):
            typ = pq.read_schema(f).field("started_at" if table == "interactions" else "sent_at").type
            kinds.add("iso" if pa.types.is_string(typ) else ("utc" if typ.tz else "naive"))
        assert {"iso", "utc", "naive"} <= kinds, table
    # ISO strings carry an explicit offset and denote the same instants as elsewhere
    iso = pq.read_table(out / "interactions" / "part-0001.parquet").column("started_at").to_pylist()
    assert all(s[-6] in "+-" and s[-3] == ":" for s in iso)


def test_loaded_at_and_as_of(small):
    out, m = small
    con = _con()
    con.execute("set TimeZone='UTC'")
    mx = []
    for table in CONTRACT:
        for f in sorted((out / table).glob("*.parquet")):
            assert pq.read_metadata(f).num_rows > 0, f
            v = con.execute(f"select epoch(max(_loaded_at::timestamptz)) from read_parquet('{f}')").fetchone()[0]
            mx.append(v)
    as_of = duckdb.connect().execute(f"select epoch('{m['as_of']}'::timestamptz)").fetchone()[0]
    assert max(mx) == as_of
    assert m["as_of"].startswith("2026-07-01")


def test_manifest_counts_match_files(small):
    out, m = small
    con = _con()
    for table, info in m["tables"].items():
        key = ", ".join(KEYS[table])
        total, distinct = con.execute(
            f"select count(*), count(distinct ({key})) from read_parquet('{_glob(out, table)}', union_by_name=true)"
        ).fetchone()
        assert total == info["rows_delivered"], table
        assert total - distinct == info["duplicate_rows"], table
    # re-deliveries exist in several tables
    assert m["tables"]["interactions"]["duplicate_rows"] > 0
    assert m["tables"]["customers"]["duplicate_rows"] > 0
    assert m["tables"]["transcript_segments"]["duplicate_rows"] > 0


def test_duplicates_resolve_to_latest(small):
    out, _ = small
    con = _con()
    con.execute(f"create view i as select source_system, interaction_id, updated_at::timestamp as u, "
                f"_loaded_at::timestamp as l from read_parquet('{_glob(out, 'interactions')}', union_by_name=true)")
    # no key has two rows with identical (updated_at, _loaded_at): latest-wins is always decidable
    ties = con.execute("select count(*) from (select source_system, interaction_id, u, l, count(*) c "
                       "from i group by all having c > 1)").fetchone()[0]
    assert ties == 0


def test_defect_counts(small):
    out, m = small
    con = _con()
    d = m["defects"]
    q = lambda s: con.execute(s).fetchone()[0]  # noqa: E731
    inter = f"read_parquet('{_glob(out, 'interactions')}', union_by_name=true)"
    ids = f"(select distinct source_system, interaction_id from {inter})"
    seg = f"read_parquet('{_glob(out, 'transcript_segments')}')"
    assert q(f"select count(*) from {seg} s anti join {ids} i using (source_system, interaction_id)") \
        == d["transcript_segments"]["orphan_interaction"] > 0
    qa = f"read_parquet('{_glob(out, 'qa_reviews')}')"
    assert q(f"select count(*) from {qa} s anti join {ids} i using (source_system, interaction_id)") \
        == d["qa_reviews"]["orphan_interaction"] > 0
    assert q(f"select count(*) from {qa} where behavior_code not in "
             "('acknowledge','name_emotion','clarify_need','offer_options','close_loop')") \
        == d["qa_reviews"]["unknown_behavior_code"] > 0
    assert q(f"select count(*) from {qa} where score not between 1 and 5") == d["qa_reviews"]["score_out_of_range"] > 0
    assert q(f"select count(*) from {inter} where ended_at::timestamptz < started_at::timestamptz") \
        == d["interactions"]["ended_before_started"] > 0
    inv = f"read_parquet('{_glob(out, 'survey_invitations')}', union_by_name=true)"
    resp = f"read_parquet('{_glob(out, 'survey_responses')}')"
    assert q(f"select count(*) from {resp} r anti join {inv} i using (invitation_id)") \
        == d["survey_responses"]["orphan_invitation"] > 0
    assert q(f"select count(*) from {resp} where item_code='csat' and answer_numeric not between 1 and 5") \
        == d["survey_responses"]["out_of_scale_csat"] > 0
    assert q(f"select count(*) from {resp} where item_code='felt_understood' and answer_numeric not between 1 and 7") \
        == d["survey_responses"]["out_of_scale_felt_understood"] > 0
    assert q(f"select count(*) from {resp} where item_code='nps' and answer_numeric not between 0 and 10") \
        == d["survey_responses"]["out_of_scale_nps"] > 0
    # defects stay well under 1% of rows
    for table, kinds in d.items():
        if kinds:
            assert sum(kinds.values()) < 0.01 * m["tables"][table]["rows_delivered"] + 3, table


def test_every_interaction_has_an_identifier(small):
    out, _ = small
    con = _con()
    n = con.execute(f"select count(*) from read_parquet('{_glob(out, 'interactions')}', union_by_name=true) "
                    "where account_id is null and customer_email is null and customer_phone is null").fetchone()[0]
    assert n == 0
    # identifier variety: some rows are email-only, some phone-only
    kinds = con.execute(f"select count(*) filter (where account_id is null and customer_email is not null), "
                        f"count(*) filter (where account_id is null and customer_phone is not null) "
                        f"from read_parquet('{_glob(out, 'interactions')}', union_by_name=true)").fetchone()
    assert min(kinds) > 0


def test_identifiers_resolve_to_customers(small):
    out, _ = small
    con = _con()
    con.execute(f"create view c as select account_id, lower(trim(email)) e, "
                f"regexp_replace(phone, '[^0-9]', '', 'g') p from read_parquet('{_glob(out, 'customers')}', union_by_name=true)")
    con.execute(f"create view i as select * from read_parquet('{_glob(out, 'interactions')}', union_by_name=true)")
    unresolved = con.execute("""
        select count(*) from i where account_id is null and not exists (
          select 1 from c where c.e = lower(trim(i.customer_email))
             or right(c.p, 10) = right(regexp_replace(i.customer_phone, '[^0-9]', '', 'g'), 10))
    """).fetchone()[0]
    assert unresolved == 0


def test_selection_probabilities(small):
    out, m = small
    con = _con()
    inv = f"read_parquet('{_glob(out, 'survey_invitations')}', union_by_name=true)"
    bad = con.execute(f"select count(*) from {inv} where not (selection_probability > 0 "
                      f"and selection_probability <= 1)").fetchone()[0]
    assert bad == 0
    rows = dict(con.execute(f"select sampling_stratum, max(selection_probability) from {inv} "
                            "where survey_type='csat_pulse' group by 1").fetchall())
    assert rows["routine"] == pytest.approx(0.15)
    tough = {k: v for k, v in rows.items() if k.startswith("tough_moment:")}
    assert tough and all(v > rows["routine"] for v in tough.values())
    tbl = m["sampling"]["csat_pulse"]["stratum_selection_probability"]
    assert all(tbl[k] > tbl["routine"] for k in tbl if k != "routine")


def test_truth_files(small):
    out, m = small
    it = pq.read_table(out / "_truth" / "interaction_truth.parquet")
    inter_ids = duckdb.connect().execute(
        f"select count(distinct (source_system, interaction_id)) from "
        f"read_parquet('{_glob(out, 'interactions')}', union_by_name=true)").fetchone()[0]
    assert it.num_rows == inter_ids
    for c in ("source_system", "interaction_id", "channel", "tough_moment_category", "ack_within_30s",
              "acknowledge", "name_emotion", "clarify_need", "offer_options", "close_loop", "p_top2",
              "csat_potential", "csat_top2_potential", "is_eligible_for_pulse"):
        assert c in it.column_names
    df = it.to_pandas()
    assert set(df["channel"]) <= {"voice", "chat", "email", "in_product"}
    assert ((df["csat_potential"] >= 4) == df["csat_top2_potential"]).all()
    assert (~df["ack_within_30s"] | df["acknowledge"]).all()
    ct = pq.read_table(out / "_truth" / "customer_truth.parquet")
    assert ct.num_rows == SMALL
    assert m["effects"]["churn_ack30"]["true_hazard_ratio"] == 0.7


def test_ack_within_30s_matches_transcripts(small):
    """The truth flag is recoverable from transcripts with the documented lexicon rule."""
    out, m = small
    lex = m["behaviour_model"]["lexicon"]["acknowledge"]
    pat = "|".join(p.lower().replace("'", "''") for p in lex)
    con = _con()
    con.execute(f"create view s as select * from read_parquet('{_glob(out, 'transcript_segments')}')")
    con.execute(f"create view t as select * from read_parquet('{out / '_truth' / 'interaction_truth.parquet'}')")
    mism = con.execute(f"""
        with first_ack as (
          select source_system, interaction_id, min(offset_ms) as off_ms from s
          where lower(trim(speaker)) = 'agent' and regexp_matches(lower(text), '{pat}')
          group by all)
        select count(*) from t left join first_ack f using (source_system, interaction_id)
        where t.n_transcript_segments > 0 and coalesce(f.off_ms <= 30000, false) <> t.ack_within_30s
    """).fetchone()[0]
    assert mism == 0


def test_planted_csat_lift_recoverable(large):
    out, m = large
    df = pq.read_table(out / "_truth" / "interaction_truth.parquet").to_pandas()
    df = df[df["is_eligible_for_pulse"]]
    # p_top2 is the exact model: the lift on p is exactly 0.08 holding everything else fixed
    eff = m["effects"]["csat_ack30"]
    assert eff["planted_lift"] == 0.08
    # realised outcomes: regression of top2 on ack30 adjusting for the cells of the base (OLS)
    X = pd_design(df)
    y = df["csat_top2_potential"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    sigma2 = resid @ resid / (len(y) - X.shape[1])
    se = math.sqrt(sigma2 * np.linalg.inv(X.T @ X)[1, 1])
    assert abs(beta[1] - 0.08) < 4 * se, (beta[1], se)
    assert se < 0.02  # the test can discriminate the planted 0.08 from 0
    # the manifest's population share equals the truth file
    assert eff["population_top2_share"] == pytest.approx(df["csat_top2_potential"].mean())
    # the naive respondent share is biased low (tough moments oversampled and scoring lower)
    ov = m["effects"]["tough_moment_oversampling"]
    assert ov["population_top2_share_tough"] < ov["population_top2_share_routine"] - 0.1
    assert ov["naive_respondent_top2_share"] < ov["population_top2_share"]


def pd_design(df):
    import pandas as pd

    cols = [np.ones(len(df)), df["ack_within_30s"].to_numpy(float)]
    for b in ("name_emotion", "clarify_need", "offer_options", "close_loop"):
        cols.append(df[b].to_numpy(float))
    cells = pd.get_dummies(df["channel"] + "|" + df["tough_moment_category"].fillna("routine"), drop_first=True)
    cols += [cells[c].to_numpy(float) for c in cells.columns]
    return np.column_stack(cols)


def test_churned_customers_have_no_later_contacts(large):
    out, _ = large
    con = _con()
    n = con.execute(f"""
        with c as (select account_id, min(event_at) as cancel_at from read_parquet('{_glob(out, 'subscription_events')}')
                   where event_type = 'cancelled' group by 1)
        select count(*) from read_parquet('{out / '_truth' / 'interaction_truth.parquet'}') t
        join c using (account_id) where t.started_at > c.cancel_at
    """).fetchone()[0]
    assert n == 0


def test_experiment_and_training_shape(small):
    out, m = small
    con = _con()
    arms = dict(con.execute(f"select arm, count(distinct unit_id) from "
                            f"read_parquet('{_glob(out, 'experiment_assignments')}') "
                            f"where experiment_id = 'exp_empathy_prompt_2026q1' group by 1").fetchall())
    assert arms == {"control": 6, "treatment": 6}
    blocks = m["schedule_block_experiment"]
    delivered = con.execute(f"select count(distinct unit_id), count(*) from "
                            f"read_parquet('{_glob(out, 'experiment_assignments')}') "
                            f"where experiment_id = '{blocks['experiment_id']}'").fetchone()
    assert delivered == (168 - len(blocks["lost_blocks"]), 168 - len(blocks["lost_blocks"]) + 3)
    assert len(blocks["arms"]["treatment"]) + len(blocks["arms"]["control"]) == delivered[0]
    truth = m["effects"]["experiment_prompt"]["potential_outcome_truth"]
    assert 0 < truth["acknowledged_within_30s"] < truth["acknowledged"] <= 0.15
    waves = m["training"]["wave_by_team"]
    assert len(waves) >= 6 and any(v is None for v in waves.values())
    assert m["effects"]["experiment_prompt"]["expected_csat_top2_itt"] > 0
    assert m["effects"]["training_staggered"]["expected_csat_top2_att"] > 0


def test_each_phrase_group_evidences_only_its_own_behaviour():
    """The generator's rule (empathy/demo/text.py): a behaviour's phrases appear only in the groups named after it,
    so a planted behaviour is never also detected as another. Every agent pattern of the lexicon is run by DuckDB's
    RE2 on every phrase, as int_transcript_phrases_matched runs it; an acknowledgment that also named the emotion
    once made a prompt raising acknowledgment look like it raised emotion-naming (D29)."""
    import csv

    from empathy.demo.text import GROUPS

    seed = Path(__file__).resolve().parents[2] / "seeds" / "empathy_phrase_patterns.csv"
    patterns = [r for r in csv.DictReader(seed.open()) if r["speaker"] == "agent"]
    own = {"ack": "acknowledge", "open_ack": "acknowledge", "name": "name_emotion", "clarify": "clarify_need",
           "offer": "offer_options", "close": "close_loop"}
    con = duckdb.connect()
    crossed = []
    for group, phrases in GROUPS.items():
        allowed = {own.get(group, "close_loop" if group.startswith("save_close_") else None)}
        for phrase in phrases:
            for p in patterns:
                hit = con.execute("select regexp_matches(?, ?) and not coalesce(regexp_matches(?, nullif(?, '')), false)",
                                  [phrase.lower(), p["pattern"], phrase.lower(), p["unless_pattern"]]).fetchone()[0]
                if hit and p["behavior_code"] not in allowed:
                    crossed.append((group, p["pattern_id"], phrase))
    assert crossed == []
