"""The warehouse builds on a raw dataset written by hand to the contract, and bad raw data fails clearly."""
from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import query, run_dbt
from tests.fixtures.handwritten_raw import EXPECTED_ACCOUNTING, write_handwritten_raw


@pytest.fixture(scope="module")
def handwritten_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("handwritten")
    raw = write_handwritten_raw(work / "raw")
    result = run_dbt(["build"], raw, work)
    assert result.returncode == 0, result.stdout[-4000:]
    return work / "warehouse.duckdb"


def test_every_row_is_accounted_exactly_as_expected(handwritten_build: Path) -> None:
    rows = query(handwritten_build, "select table_name, row_fate, reason, row_count from audit.audit_row_accounting")
    actual = {(table, fate, reason): count for table, fate, reason, count in rows}
    assert actual == EXPECTED_ACCOUNTING


def test_reconciliation_balances_for_every_table(handwritten_build: Path) -> None:
    rows = query(handwritten_build, "select table_name, is_balanced from audit.audit_row_reconciliation")
    assert len(rows) == 14
    assert all(balanced for _, balanced in rows), rows


def test_identifiers_in_other_formats_resolve_to_one_customer(handwritten_build: Path) -> None:
    # I1 carries only a phone in another format, I2 only an upper-case padded e-mail: both are Ann (account A1).
    rows = query(
        handwritten_build,
        "select count(distinct customer_key) from marts.fct_interactions where interaction_id in ('I1', 'I2')",
    )
    assert rows == [(1,)]
    ann = query(
        handwritten_build,
        "select customer_key from staging.consented_customers where account_id = 'A1'",
    )
    fact = query(handwritten_build, "select distinct customer_key from marts.fct_interactions")
    assert fact == ann


def test_offset_strings_become_utc_and_latest_version_wins(handwritten_build: Path) -> None:
    rows = query(
        handwritten_build,
        "select started_at::varchar, is_resolved, seconds_to_first_response from marts.fct_interactions "
        "where interaction_id = 'I1'",
    )
    assert rows == [("2026-01-05 10:00:00", True, 10)]


def test_revoked_customers_leave_the_marts(handwritten_build: Path) -> None:
    # Bob (A2) revoked analytics; Cat (A3) granted and revoked at the same instant: revoked wins.
    assert query(handwritten_build, "select count(*) from marts.fct_interactions where interaction_id = 'I3'") == [(0,)]
    assert query(handwritten_build, "select count(*) from marts.dim_customers") == [(2,)]


def test_transcript_text_is_redacted_in_staging(handwritten_build: Path) -> None:
    rows = query(
        handwritten_build,
        "select text_redacted from staging.consented_transcript_segments "
        "where interaction_id = 'I1' and segment_index = 0",
    )
    assert rows == [("I was charged twice, card [CARD], call me on [PHONE]",)]


def test_as_of_defaults_to_latest_load(handwritten_build: Path) -> None:
    assert query(handwritten_build, "select as_of::varchar from staging.stg_build__as_of") == [("2026-03-03 01:00:00",)]


def _broken_copy(tmp_path: Path) -> Path:
    return write_handwritten_raw(tmp_path / "raw")


def test_missing_table_folder_names_table_and_path(tmp_path: Path) -> None:
    raw = _broken_copy(tmp_path)
    shutil.rmtree(raw / "qa_reviews")
    result = run_dbt(["run", "--select", "stg_build__delivered_rows"], raw, tmp_path)
    assert result.returncode != 0
    assert "table 'qa_reviews'" in result.stdout
    assert f"{raw}/qa_reviews/*.parquet" in result.stdout


def test_missing_column_names_table_column_and_path(tmp_path: Path) -> None:
    raw = _broken_copy(tmp_path)
    path = raw / "agents" / "part-1.parquet"
    pq.write_table(pq.read_table(path).drop(["site"]), path)
    result = run_dbt(["run", "--select", "stg_build__delivered_rows"], raw, tmp_path)
    assert result.returncode != 0
    assert f"table 'agents' (source hr): column 'site' is missing in file {path}" in result.stdout


def test_corrupt_parquet_file_fails_naming_the_file(tmp_path: Path) -> None:
    raw = _broken_copy(tmp_path)
    (raw / "incidents" / "part-9.parquet").write_bytes(b"this is not parquet")
    result = run_dbt(["run", "--select", "stg_build__delivered_rows"], raw, tmp_path)
    assert result.returncode != 0
    assert "part-9.parquet" in result.stdout


def test_unused_columns_beyond_the_contract_are_tolerated(tmp_path: Path) -> None:
    raw = _broken_copy(tmp_path)
    path = raw / "incidents" / "part-1.parquet"
    table = pq.read_table(path)
    pq.write_table(table.append_column("vendor_extra", pa.array(["x"] * table.num_rows)), path)
    result = run_dbt(["run", "--select", "stg_build__delivered_rows"], raw, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]


def test_one_interaction_traces_from_words_to_behaviours_score_and_csat(handwritten_build: Path) -> None:
    """I1: the agent said "I'm sorry to hear that, that sounds really frustrating." 10 s in; QA scored
    acknowledgment 5; the customer answered CSAT 5. Follow it through every layer by keys."""
    key = query(handwritten_build, "select interaction_key from marts.fct_interactions where interaction_id = 'I1'")[0][0]
    words = query(
        handwritten_build,
        f"select segment_index, offset_ms, text_redacted from staging.consented_transcript_segments "
        f"where interaction_key = '{key}' and speaker = 'agent' order by segment_index",
    )
    assert words == [
        (1, 10000, "I'm sorry to hear that, that sounds really frustrating."),
        (2, 600000, "Let me briefly recap: you were charged twice for January and I've reversed the second charge."),
        (3, 630000, "You'll get an email confirming the refund by tomorrow morning."),
        (4, 660000, "Does that feel a bit better now?"),
    ]
    evidence = query(
        handwritten_build,
        f"select behavior_code, has_occurred, evidence_source, first_segment_index, first_pattern_id, "
        f"first_matched_text, is_timely from marts.fct_interaction_behaviors where interaction_key = '{key}' "
        f"and has_occurred order by behavior_code",
    )
    assert evidence == [
        ("acknowledge", True, "transcript_and_qa", 1, "ack_sorry", "i'm sorry", True),
        ("close_loop", True, "transcript", 2, "close_summary", "let me briefly recap", None),
        ("name_emotion", True, "transcript", 1, "emo_sounds", "that sounds really frustrating", None),
    ]
    outcome = query(
        handwritten_build,
        f"select is_acknowledged_within_30s, seconds_to_first_acknowledgment, behaviors_count, empathy_score, "
        f"csat, is_csat_top2, felt_understood from marts.mart_interaction_outcomes where interaction_key = '{key}'",
    )
    # felt_understood was 9 on a 1-7 scale: quarantined, so absent; the score rule gives 3 for acknowledgment and
    # naming the emotion without options (closing the loop does not raise it).
    assert outcome == [(True, 10.0, 3, 3, 5.0, True, None)]


def test_validation_and_privacy_pass_on_hand_written_data(handwritten_build: Path, tmp_path: Path) -> None:
    """Great Expectations and the privacy scan hold on data the generator did not write."""
    import json

    from empathy.checks import privacy, validate

    manifest = handwritten_build.parent / "target" / "manifest.json"
    assert validate.run(handwritten_build, tmp_path / "gx") == 0, (tmp_path / "gx" / "results" / "summary.json").read_text()
    assert privacy.main(["--db", str(handwritten_build), "--manifest", str(manifest)]) == 0
    summary = json.loads((tmp_path / "gx" / "results" / "summary.json").read_text())
    assert summary["success"] is True


def test_sources_read_a_warehouse_schema_with_a_var_only(tmp_path: Path) -> None:
    """Deployment on a warehouse: the raw tables already sit in a schema; `--vars raw_schema` switches the
    sources to it, no code change, and the warehouse is the same."""
    import duckdb

    raw = write_handwritten_raw(tmp_path / "parquet")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("create schema raw_landing")
        for folder in sorted(raw.iterdir()):
            con.execute(
                f"create table raw_landing.{folder.name} as "
                f"select * from read_parquet('{folder}/*.parquet', union_by_name = true)"
            )
    result = run_dbt(["build", "--vars", "{raw_schema: raw_landing}"], tmp_path / "no_parquet_here", tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    rows = query(tmp_path / "warehouse.duckdb", "select table_name, row_fate, reason, row_count from audit.audit_row_accounting")
    assert {(table, fate, reason): count for table, fate, reason, count in rows} == EXPECTED_ACCOUNTING


def test_experiment_marts_say_why_on_a_two_queue_experiment(handwritten_build: Path) -> None:
    """Hand-written assignments in other spellings: billing_na in treatment, tech_na in control and later switched
    to treatment (each queue has one consenting interaction in the window). One unit per arm is too few for any
    clustered inference: every overall result row says so instead of an estimate; the health table names the
    switch."""
    units = dict(query(handwritten_build, """
        select unit_id, itt_arm || '/' || latest_arm from marts.fct_experiment_units
        where experiment_id = 'exp_empathy_prompt_2026q1'"""))
    assert units == {"billing_na": "treatment/treatment", "tech_na": "control/treatment"}
    statuses = {s for (s,) in query(handwritten_build, """
        select distinct status from marts.mart_experiment_results
        where experiment_id = 'exp_empathy_prompt_2026q1' and subgroup_split = 'all'""")}
    assert statuses and statuses <= {"too_few_units", "one_arm_empty", "no_observations"}, statuses
    health = dict(query(handwritten_build, """
        select check_name, status from marts.mart_experiment_health
        where experiment_id = 'exp_empathy_prompt_2026q1'"""))
    assert health["contamination_switched_units"] == "warn"
    assert health["contamination_unassigned_interactions"] == "ok"
    assert health["srm_units"] == "ok"
    registry = dict(query(handwritten_build, "select experiment_id, status from marts.mart_experiment_registry"))
    assert registry == {"exp_empathy_prompt_2026q1": "valid", "exp_guidance_card_2026q2": "no_assignments"}


def test_roster_versions_give_supervisor_spells_and_each_contact_its_supervisor(handwritten_build: Path) -> None:
    """AG1 changes supervisor on 2026-01-10 (that version delivered twice, its id padded); AG2 changes team under
    the same supervisor, which is no rotation. I1 (AG1, 5 January) falls under SUP1, I2 (AG1, 20 January) under
    SUP7. With one agent per supervisor there is no leave-out instrument: the IV mart says so in a status row."""
    spells = query(handwritten_build, """
        select agent_id, spell_index, supervisor_id, valid_from::varchar, valid_to::varchar, n_roster_versions
        from intermediate.int_agent_supervisor_spells_dated order by agent_id, spell_index""")
    assert spells == [("AG1", 1, "SUP1", "2023-05-01 00:00:00", "2026-01-10 08:00:00", 1),
                      ("AG1", 2, "SUP7", "2026-01-10 08:00:00", None, 1),
                      ("AG2", 1, "SUP2", "2026-01-01 00:00:00", None, 2)]
    contacts = dict(query(handwritten_build, """
        select interactions.interaction_id, supervisors.supervisor_id
        from intermediate.int_interactions_joined_to_supervisor_spells as supervisors
        inner join marts.fct_interactions as interactions using (interaction_key)"""))
    assert contacts == {"I1": "SUP1", "I2": "SUP7"}, "AG2's contacts are quarantined or consent-excluded"
    statuses = {status for (status,) in query(handwritten_build, """
        select distinct status from marts.mart_iv_estimates where instrument_set = 'supervisor_rotation'""")}
    assert statuses == {"no_supervisor_rotation_in_data"}


def test_churn_risk_and_alerts_say_why_with_too_few_churns(handwritten_build: Path) -> None:
    """A handful of customers and too few churns: the risk model is not fitted, so every statistics mart says so in a
    status row, nobody is ranked or alerted, and the customer-weeks still exist (one per week at risk)."""
    statuses = {table: {status for (status,) in query(handwritten_build, f"select distinct status from marts.{table}")}
                for table in ("mart_churn_risk_model_evaluation", "mart_churn_risk_coefficients",
                              "mart_churn_risk_calibration", "mart_alert_outcomes")}
    assert statuses == {"mart_churn_risk_model_evaluation": {"model_not_fitted"},
                        "mart_churn_risk_coefficients": {"too_few_training_events"},
                        "mart_churn_risk_calibration": {"model_not_fitted_or_no_landmark"},
                        "mart_alert_outcomes": {"too_few_alerted_customers"}}
    assert query(handwritten_build, "select count(*) from marts.mart_at_risk_alerts") == [(0,)]
    (weeks, customers), = query(handwritten_build, """
        select count(*), count(distinct customer_key) from intermediate.int_customer_weeks_signalled""")
    assert weeks > 0 and customers >= 1


def test_save_conversation_is_judged_by_closure_in_other_words(handwritten_build: Path) -> None:
    """O1 was made in I1, whose agent closed in words the demo generator never writes ("Let me briefly recap",
    "You'll get an email confirming", "Does that feel a bit better now?"): all three closure behaviours are read.
    Ann contacted again 15 days later (not a callback within 7 days); her saved window is still open at the as-of
    date, so saved is null with the reason; one offer is too few to compare, and every statistics row says so."""
    row = query(handwritten_build, """
        select closure_status, has_summarised_concern, has_confirmed_next_steps, has_closed_emotional_loop,
               closure_behaviors_count, is_concession, is_saved, saved_status, has_callback, callback_status, team
        from marts.mart_save_conversations where offer_id = 'O1'""")
    assert row == [("observed", True, True, True, 3, False, None, "window_open", False, "observed", "team_01")]
    effects = query(handwritten_build, """
        select row_kind, status, count(*) from marts.mart_save_effects group by all order by all""")
    assert {(kind, status) for kind, status, _ in effects} <= {
        ("effect", "too_few_offers"), ("cell", "ok"), ("cell", "empty_cell")}
    assert ("effect", "too_few_offers") in {(kind, status) for kind, status, _ in effects}
    assert query(handwritten_build, "select team, n_offers, status from marts.mart_save_team_scorecard") == [
        ("team_01", 1, "too_few_offers")]


def test_advocacy_marts_say_why_on_hand_written_data(handwritten_build: Path) -> None:
    """A handful of answers: the driver, service-recovery and acknowledgment marts still have their rows, each with
    a status of its module (the statistics are null where the status says why)."""
    from empathy.checks.expectations import SERVICE_RECOVERY_STATUSES
    from empathy.stats.drivers import STATUSES as DRIVER_STATUSES
    from empathy.stats.exposure_contrasts import STATUSES as CONTRAST_STATUSES

    allowed = {"mart_nps_drivers": set(DRIVER_STATUSES), "mart_csat_drivers": set(DRIVER_STATUSES),
               "mart_service_recovery": set(SERVICE_RECOVERY_STATUSES),
               "mart_acknowledgment_contrasts": set(CONTRAST_STATUSES)}
    for table, statuses in allowed.items():
        rows = query(handwritten_build, f"select status, count(*) from marts.{table} group by all")
        assert rows, f"{table} has no row"
        assert {status for status, _ in rows} <= statuses, (table, rows)
