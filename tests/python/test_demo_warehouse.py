"""The demo warehouse accounts for exactly the dirt the generator planted (its manifest), row for row."""
from __future__ import annotations

from pathlib import Path

from conftest import query

# generator defect kind -> (raw table, quarantine reason the warehouse must give it)
DEFECT_REASONS = {
    ("interactions", "ended_before_started"): "ended_before_started",
    ("transcript_segments", "orphan_interaction"): "unknown_interaction",
    ("qa_reviews", "orphan_interaction"): "unknown_interaction",
    ("qa_reviews", "unknown_behavior_code"): "unknown_behavior_code",
    ("qa_reviews", "score_out_of_range"): "score_out_of_scale",
    ("survey_responses", "orphan_invitation"): "unknown_invitation",
    ("survey_responses", "out_of_scale_csat"): "answer_out_of_scale",
    ("survey_responses", "out_of_scale_felt_understood"): "answer_out_of_scale",
    ("survey_responses", "out_of_scale_nps"): "answer_out_of_scale",
}
# generator consent reasons -> the set_aside_reason of the identity-and-consent step
CONSENT_REASONS = {
    "analytics_revoked": "analytics_revoked",
    "call_recording_not_granted": "no_call_recording_consent",
    "survey_contact_violation": "no_survey_contact_consent",
}


def _accounting(db: Path) -> dict[tuple[str, str, str | None], int]:
    """Rows per (table, fate, reason), over both staging steps."""
    rows = query(db, "select table_name, row_fate, reason, sum(row_count)::bigint from audit.audit_row_accounting "
                     "group by all")
    return {(table, fate, reason): count for table, fate, reason, count in rows}


def test_every_table_balances(demo_db: Path) -> None:
    rows = query(demo_db, "select table_name, delivered_rows, accounted_rows, is_balanced from audit.audit_row_reconciliation")
    assert len(rows) == 14
    assert all(delivered == accounted and balanced for _, delivered, accounted, balanced in rows), rows


def test_delivered_rows_match_what_the_generator_wrote(demo_db: Path, demo_manifest: dict) -> None:
    delivered = dict(query(demo_db, "select table_name, delivered_rows from audit.audit_row_reconciliation"))
    assert delivered == {table: spec["rows_delivered"] for table, spec in demo_manifest["tables"].items()}


def test_superseded_rows_equal_planted_duplicates(demo_db: Path, demo_manifest: dict) -> None:
    accounting = _accounting(demo_db)
    for table, spec in demo_manifest["tables"].items():
        assert accounting.get((table, "superseded", None), 0) == spec["duplicate_rows"], table


def test_quarantine_holds_exactly_the_planted_defects(demo_db: Path, demo_manifest: dict) -> None:
    expected: dict[tuple[str, str], int] = {}
    for table, kinds in demo_manifest["defects"].items():
        for kind, count in kinds.items():
            if (table, kind) in DEFECT_REASONS:
                key = (table, DEFECT_REASONS[(table, kind)])
                expected[key] = expected.get(key, 0) + count
    quarantined = {
        (table, reason): count
        for (table, fate, reason), count in _accounting(demo_db).items()
        if fate == "quarantined"
    }
    assert quarantined == expected


def test_consent_exclusions_match_the_planted_consent(demo_db: Path, demo_manifest: dict) -> None:
    accounting = _accounting(demo_db)
    for table, reasons in demo_manifest["consent"]["rows_excluded"].items():
        if table == "customers":
            continue  # the manifest counts delivered rows there, duplicates included; checked below per customer
        for reason, count in reasons.items():
            assert accounting.get((table, "excluded_for_consent", CONSENT_REASONS[reason]), 0) == count, (table, reason)
    audit = dict(query(demo_db, "select metric, metric_value from audit.audit_consent"))
    assert audit["customers_excluded_analytics_revoked"] == demo_manifest["consent"]["analytics_revoked_customers"]
    assert audit["invitations_sent_without_survey_contact_consent"] == demo_manifest["consent"]["survey_contact_violations"]


def test_fact_holds_every_usable_interaction_once(demo_db: Path, demo_manifest: dict) -> None:
    spec = demo_manifest["tables"]["interactions"]
    usable = (
        spec["distinct_keys"]
        - sum(demo_manifest["defects"]["interactions"].values())
        - demo_manifest["consent"]["rows_excluded"]["interactions"]["analytics_revoked"]
    )
    assert query(demo_db, "select count(*), count(distinct interaction_key) from marts.fct_interactions") == [(usable, usable)]


def test_channel_synonyms_all_mapped(demo_db: Path, demo_manifest: dict) -> None:
    channels = {row[0] for row in query(demo_db, "select distinct channel from marts.fct_interactions")}
    assert channels == {"voice", "chat", "email", "in_product"}


def test_tough_moments_follow_the_seed_mapping(demo_db: Path, demo_manifest: dict) -> None:
    mapping = demo_manifest["tough_moment_mapping"]
    rows = query(
        demo_db,
        "select contact_reason, is_escalated, tough_moment_category from marts.fct_interactions group by all",
    )
    reasons = mapping["by_contact_reason"]
    for reason, escalated, category in rows:
        expected = reasons.get(reason) or ("escalation" if escalated else "routine")  # var tough_moment_default
        assert category == expected, (reason, escalated, category)
