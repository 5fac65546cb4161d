"""Deterministic demo-data generator for the empathy warehouse.

    python -m empathy.demo.generate --customers 2000 --seed 42 --out data/demo [--force]

Writes <out>/<table>/part-*.parquet for every raw-contract table, <out>/manifest.json and
<out>/_truth/ (ground truth for tests; never read by the warehouse).

The generator replaces the table folders of <out>, so it only writes into a folder it created itself (it leaves
the marker file <out>/.empathy-demo-data) or an empty one: a folder holding anything else is refused (it may be
someone's real deliveries) unless --force is given.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from . import families as F
from . import spec as S
from . import text as TX
from .families import Contacts, Delivery, InteractionDirt, Invitations, Outcomes, Responses
from .raw import iso
from .util import DAY, chunk_rng, sub_rng
from .world import INF, World, make_agents, make_consent, make_customers, make_incidents, make_supervisors


# ------------------------------------------------------------------ the output folder
MARKER = ".empathy-demo-data"


class FolderNotOwned(RuntimeError):
    """The output folder holds files the generator did not write."""


def claim_folder(out: Path, force: bool = False) -> None:
    """Make ``out`` the generator's: create it with the marker file, or accept it when it is empty or already
    marked; refuse a non-empty folder without the marker unless ``force``."""
    if out.exists() and not out.is_dir():
        raise FolderNotOwned(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists() and not force:
        raise FolderNotOwned(
            f"refusing to write demo data into {out}: it holds files the demo generator did not create "
            f"(no {MARKER} marker). Its table folders would be replaced. Choose another --out, empty the folder, "
            f"or pass --force.")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("Created by python -m empathy.demo.generate: demo data, safe to delete or regenerate.\n")


# ------------------------------------------------------------------ writing
class TableSink:
    """Writes each table as soon as it is complete, then forgets it (bounded memory), and keeps what the manifest
    reports of it: its files, delivered rows, part formats and the latest load time over all tables. In streaming
    mode a table arrives once per chunk: the sink adds up its files and rows."""

    def __init__(self, out: Path, seed: int, steps: int = len(S.CONTRACT) + 1) -> None:
        self.out, self.seed = out, seed
        self.files: dict[str, list[str]] = {}
        self.delivered: dict[str, int] = {}
        self.part_formats: dict[str, list[str]] = {}
        self.as_of = 0
        # one step per contract table and one for the truth and manifest; shown on a terminal, silent in CI logs
        # (tqdm's disable=None turns the bar off when the output is not a TTY)
        self.progress = tqdm(total=steps, desc="generate", unit="table", disable=None, leave=False)

    def write(self, name: str, table, chunk: int | None = None) -> None:
        """Write one complete table (its own random stream, so tables do not depend on the order of writing); with
        ``chunk``, one chunk's rows of the table as part-<chunk>-<i>.parquet (empty parts are not written)."""
        stage = 100 + list(S.CONTRACT).index(name)
        if chunk is None:
            files = table.write(self.out, sub_rng(self.seed, stage))
            for idx, _ in table.parts:
                assert len(idx) > 0, f"empty part file for {name}"
        else:
            files = table.write(self.out, chunk_rng(self.seed, stage, chunk), prefix=f"part-{chunk:05d}-",
                                skip_empty=True)
        self.files.setdefault(name, []).extend(files)
        self.delivered[name] = self.delivered.get(name, 0) + int(sum(len(p[0]) for p in table.parts))
        self.part_formats.setdefault(name, []).extend(p[1] for p in table.parts if len(p[0]) or chunk is None)
        self.as_of = max(self.as_of, int(table.cols["_loaded_at"][1].max()))
        self.progress.set_postfix_str(name)
        self.progress.update(1)


class Books:
    """What generate() books per table for the manifest, besides what the sink keeps: duplicate rows, planted
    defects and consent exclusions (all tables of the contract, in contract order)."""

    def __init__(self) -> None:
        self.dups: dict[str, int] = {t: 0 for t in S.CONTRACT}
        self.defects: dict[str, dict[str, int]] = {t: {} for t in S.CONTRACT}
        self.excluded: dict[str, dict[str, int]] = {t: {} for t in S.CONTRACT}
        self.last: dict[str, Delivery] = {}  # the latest delivery of each table (streaming: of the current chunk)


def deliver(sink: TableSink, books: Books, delivery: Delivery, state=None, chunk: int | None = None):
    """Write one family's table through the sink, book its counts (added up over the chunks in streaming mode), and
    hand back the family's other result."""
    name = delivery.table.name
    sink.write(name, delivery.table, chunk)
    books.dups[name] += delivery.duplicates
    for book, counts in ((books.defects[name], delivery.defects), (books.excluded[name], delivery.excluded)):
        for k, v in counts.items():
            book[k] = book.get(k, 0) + v
    books.last[name] = delivery
    return state


# ------------------------------------------------------------------ main
def clear_tables(out: Path) -> None:
    """Remove the table folders of the contract and the truth files of an earlier run in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in [*S.CONTRACT, "_truth"]:
        if (out / name).exists():
            shutil.rmtree(out / name)


def generate(customers: int = 2000, seed: int = 42, out_dir: Path | str = "data/demo", force: bool = False,
             response_mechanism: str = "plan_and_tenure", chunk_customers: int | None = None) -> dict:
    """Build the latent world, write every raw table of the contract, the truth files and manifest.json.

    ``response_mechanism`` names who answers the surveys (spec.RESPONSE_MECHANISMS; the calibration study varies it).
    ``chunk_customers`` switches to the streaming generator (empathy.demo.stream): customers are generated and
    written in chunks of that size with bounded memory; None (the default) generates everything in memory.
    """
    mech = S.RESPONSE_MECHANISMS[response_mechanism]
    out = Path(out_dir)
    claim_folder(out, force)
    n = int(customers)
    if chunk_customers is not None:
        from .stream import generate_streaming
        return generate_streaming(n, seed, out, int(chunk_customers), mech)
    w = World(n=n, seed=seed)
    make_customers(w, sub_rng(seed, 1))
    make_agents(w, sub_rng(seed, 2))
    w.route_rng = sub_rng(seed, 18)
    make_supervisors(w, sub_rng(seed, 15))
    make_consent(w, sub_rng(seed, 3))
    make_incidents(w, sub_rng(seed, 4))
    clear_tables(out)
    sink = TableSink(out, seed)
    books = Books()

    # Interactions and the tables hanging off them. A stream shared by several families (sub_rng(seed, 8), 11,
    # 12, 13) is one Generator handed along in this order, so the random draws are those of one sequential pass.
    contacts, slots = F.build_contacts(w, seed)  # sub_rng(seed, 5), 6, 7
    rng = sub_rng(seed, 8)
    outcomes = F.interaction_outcomes(w, rng, contacts)
    dirt = deliver(sink, books, *F.interactions_table(w, rng, contacts, outcomes))
    segs_per_inter = deliver(sink, books, *F.transcript_segments_table(w, sub_rng(seed, 9), contacts, slots,
                                                                       outcomes, dirt))
    del slots
    deliver(sink, books, F.qa_reviews_table(w, sub_rng(seed, 10), contacts, outcomes, dirt))

    # surveys
    rng = sub_rng(seed, 11)
    invitations = deliver(sink, books, *F.survey_invitations_table(w, rng, contacts, outcomes, dirt))
    responses = deliver(sink, books, *F.survey_responses_table(w, rng, contacts, outcomes, invitations,
                                                                         mech))

    # accounts: CRM, consent, billing, usage
    rng = sub_rng(seed, 12)
    deliver(sink, books, F.customers_table(w, rng))
    deliver(sink, books, F.consent_events_table(w, rng))
    deliver(sink, books, F.subscription_events_table(w, rng, contacts))
    rng = sub_rng(seed, 13)
    deliver(sink, books, F.product_usage_table(w, rng, contacts))
    deliver(sink, books, F.retention_offers_table(w, rng, contacts, outcomes))

    # HR, experiment, incidents
    deliver(sink, books, F.agents_table(w, rng))
    deliver(sink, books, F.training_completions_table(w, rng))
    deliver(sink, books, F.experiment_assignments_table(w, sub_rng(seed, 14)))
    deliver(sink, books, F.incidents_table(w))

    # truth and manifest
    F.write_truth(out, w, contacts, outcomes, dirt, responses, segs_per_inter, invitations.nps_population)
    manifest = build_manifest(seed, w, sink, books, mech, consent_counts(w, invitations),
                              measured_effects(w, contacts, outcomes, dirt, invitations, responses))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    sink.progress.update(1)
    sink.progress.close()
    return manifest


# ------------------------------------------------------------------ manifest
def top2_share(top2: np.ndarray, m: np.ndarray) -> float | None:
    """Share of csat_top2_potential among the interactions selected by `m` (None if none)."""
    return float(top2[m].mean()) if m.any() else None


def wave_by_team(w: World) -> dict:
    """The training wave date of every team (None: never trained)."""
    return {f"team_{i + 1:02d}": (S.WAVE_DATES[wv] if wv >= 0 else None) for i, wv in enumerate(w.team_wave)}


def consent_counts(w: World, invitations: Invitations) -> dict:
    """The manifest's consent counts of one world (streaming mode sums them over the chunks)."""
    return {"analytics_revoked_customers": int(w.ana_revoked_final.sum()),
            "same_instant_grant_and_revoke_customers": int(max(3, int(round(w.n * 0.002)))),
            "survey_contact_revoked_customers": int((w.survey_revoke_at < INF).sum()),
            "call_recording_granted_customers": int((w.rec_grant_at < INF).sum()),
            "survey_contact_violations": int(invitations.inv_viol.sum())}


def measured_effects(w: World, contacts: Contacts, outcomes: Outcomes, dirt: InteractionDirt,
                     invitations: Invitations, responses: Responses) -> dict:
    """The realised sizes of the planted effects measured on the whole in-memory world (streaming mode measures
    them from per-chunk tallies instead, empathy.demo.stream.EffectTally)."""
    return {"effects": manifest_effects(w, contacts, outcomes, dirt, responses, wave_by_team(w)),
            "nps_key_drivers": invitations.nps_driver_truth,
            "nps_promoter_share_by_ack30": promoter_share_truth(invitations.nps_population)}


def build_manifest(seed: int, w: World, sink: TableSink, books: Books, mech: S.ResponseMechanism, consent: dict,
                   measured: dict) -> dict:
    """manifest.json: calendar, per-table files/rows/duplicates, defects, consent, sampling design, experiment,
    training and the planted effects (no random draws). ``consent`` holds the counts of consent_counts and
    ``measured`` the realised effects of measured_effects (or their streaming equivalents)."""
    n, na, nt = w.customers_total, w.n_agents, w.n_teams
    dups, defects, consent_excl = books.dups, books.defects, books.excluded
    stratum_tbl = {s: (S.SEL_P_ROUTINE if s == "routine" else S.SEL_P_TOUGH) for s in S.STRATA}
    resp_tbl = {c: {s: round(float(S.RESP_P_CH[j] * (1.0 if s == "routine" else mech.tough_mult)), 4)
                    for s in S.STRATA} for j, c in enumerate(S.CHANNELS)}
    waves = wave_by_team(w)

    manifest = {
        "generator": "empathy.demo.generate", "version": S.GENERATOR_VERSION,
        "seed": seed, "customers": n, "agents": int(na), "teams": int(nt),
        "as_of": iso(sink.as_of),
        "calendar": {"signups": ["2024-07-01", "2026-03-31"], "interactions": ["2025-01-01", "2026-06-30"],
                     "max_loaded_at": iso(sink.as_of)},
        "timestamp_formats": "Parquet timestamp[us, tz=UTC], timestamp[us] (naive = UTC), or ISO-8601 string "
                             "with offset; see tables.<t>.part_formats",
        "tables": {name: {"files": sink.files[name], "part_formats": sink.part_formats[name],
                          "rows_delivered": sink.delivered[name], "duplicate_rows": dups[name],
                          "distinct_keys": sink.delivered[name] - dups[name], "key": S.KEYS[name],
                          "dedup_rule": ("latest updated_at, then latest _loaded_at"
                                         if any(c == "updated_at" for c, _ in S.CONTRACT[name])
                                         else "latest _loaded_at")}
                   for name in S.CONTRACT},
        "defects": defects,
        "defect_handling": {"consent_violation_sent_after_survey_contact_revoked":
                            "consent: reported as violation, its responses excluded (not a quarantine)",
                            "*": "quarantine with reason"},
        "defect_rules": "Each defective row has exactly one defect; defects, duplicates and orphans are "
                        "never planted on rows of analytics-revoked customers or consent-excluded "
                        "transcripts; interactions with ended_before_started have no segments, QA "
                        "reviews, invitations or offers; duplicate_rows = rows_delivered - distinct keys.",
        "consent": {
            "analytics_revoked_customers": consent["analytics_revoked_customers"],
            "same_instant_grant_and_revoke_customers": consent["same_instant_grant_and_revoke_customers"],
            "survey_contact_revoked_customers": consent["survey_contact_revoked_customers"],
            "call_recording_granted_customers": consent["call_recording_granted_customers"],
            "defaults_assumed": {"analytics": "granted", "call_recording": "not granted",
                                 "survey_contact": "every customer has a grant event at signup"},
            "rows_excluded": consent_excl,
            "survey_contact_violations": consent["survey_contact_violations"],
        },
        "queues": S.QUEUES,
        "channel_labels": {c: S.CH_LABELS[j] for j, c in enumerate(S.CHANNELS)},
        "speaker_labels": {s: S.SPEAKER_LABELS[j] for j, s in enumerate(["agent", "customer", "bot"])},
        "source_system_by_channel": {c: S.SOURCES[S.SRC_OF_CH[j]] for j, c in enumerate(S.CHANNELS)},
        "tough_moment_mapping": {"by_contact_reason": {r: c for c, rs in S.TOUGH_MAPPING.items() for r in rs},
                                 "is_escalated_true": "escalation",
                                 "precedence": "category of a tough contact_reason first; else escalation "
                                               "if is_escalated; else routine"},
        "sampling": {"csat_pulse": {"eligible": "every interaction with ended_at not null (latest version), "
                                                "excluding planted defects",
                                    "stratum_selection_probability": stratum_tbl,
                                    "response_propensity_by_channel_and_stratum": resp_tbl,
                                    "items": {"csat": 1.0, "felt_understood": 0.92,
                                              "acknowledged_situation": 0.92, "clear_next_steps": 0.92,
                                              "open_text": 0.25},
                                    "suppression": "invitations whose customer revoked survey_contact at "
                                                   "or before sent_at are suppressed, except the planted "
                                                   "violations"},
                     "relationship_nps": {"waves": S.NPS_WAVES, "selection_probability": S.NPS_SEL_P,
                                          "sampling_stratum": "account:active",
                                          "eligible": "signup <= wave-30d and not churned at wave",
                                          "response_propensity": S.NPS_RESP_P},
                   "response_mechanism": {"name": mech.name, "plan_multiplier": dict(zip(S.PLANS, mech.plan_mult)),
                                          "new_account_days": S.NEW_ACCOUNT_DAYS,
                                          "new_account_multiplier": mech.new_account_mult,
                                          "tough_moment_multiplier": mech.tough_mult,
                                          "answer_slope": mech.outcome_slope,
                                          "applies_to": "both surveys: base propensity x plan x new-account "
                                                        "multipliers (pulses also x tough-moment), clipped to "
                                                        "[0.01, 0.95]"}},
        "experiment": {"experiment_id": S.EXPERIMENT_ID, "unit_type": "queue",
                       "assigned_at": iso(S.EXP_START),
                       "arms": {q: ("treatment" if w.q_treat[j] else "control") for j, q in enumerate(S.QUEUES)}},
        "schedule_block_experiment": {
            "experiment_id": S.EXPERIMENT2_ID, "unit_type": "schedule_block",
            "unit_definition": "hour-of-week block of the interaction's start in UTC: <mon..sun>_<HH>",
            "assigned_at": iso(S.EXP2_START), "registered_allocation": {"control": 0.5, "treatment": 0.5},
            "actual_treatment_probability": S.EXP2_TREAT_P,
            "arms": {"treatment": w.block_arms["treatment"], "control": w.block_arms["control"]},
            "lost_blocks": w.block_arms["lost"],
            "flipped_blocks": {"blocks": w.block_arms["flipped"], "flipped_at": iso(S.EXP2_FLIP_AT)},
            "true_effect": "none: the guidance cards change no behaviour and no outcome"},
        "training": {"module": "empathy_foundations", "wave_by_team": waves,
                     "wave_dates": S.WAVE_DATES,
                     "never_treated_teams": [k for k, v in waves.items() if v is None],
                     "frustration_first_30s": "completed by ~25% of agents; no planted effect"},
        "behaviour_model": {
            "base_probability": dict(zip(S.BEHAVIOURS, S.BASE_P.tolist())),
            "agent_skill": f"additive, Normal(0, {S.SKILL_SD}) per agent, minus {S.NEW_AGENT_PENALTY} "
                           f"for agents hired on/after 2025-07-01",
            "tough_moment_shift": S.TOUGH_BEHAVIOR_SHIFT,
            "clip": list(S.P_CLIP),
            "p_ack_within_30s_given_ack_by_channel": dict(zip(S.CHANNELS, S.P_EARLY.tolist())),
            "bot_only_share_by_channel": dict(zip(S.CHANNELS, S.P_BOT_ONLY.tolist())),
            "ack_within_30s_definition": "offset_ms <= 30000 of the first agent segment containing an "
                                         "acknowledgment phrase",
            "lexicon": {"acknowledge": ["I'm sorry to hear that", "I completely understand the problem",
                                        "I see what went wrong", "thanks for your patience"],
                        "name_emotion": ["that sounds really frustrating", "I can hear that you're worried",
                                         "I can tell this is stressful"],
                        "clarify_need": ["just to make sure I understand", "could you tell me a bit more about",
                                         "so what you need is"],
                        "offer_options": ["you have a couple of options", "we could either", "one option is"],
                        "close_loop": ["to summarize", "as next steps", "is there anything else I can help with"]},
        },
        "effects": {**measured["effects"],
                    "nps_key_drivers": measured["nps_key_drivers"],
                    "agent_skill": agent_skill_truth(w),
                    "qa_reviewer_lenience": {
                        "definition": "scale points each QA reviewer adds to every score (Normal(0, 0.35)); "
                                      "no drift over time is planted",
                        "lenience_by_reviewer": {f"QA{i + 1:02d}": float(v) for i, v in
                                                 enumerate(F.reviewer_lenience(sub_rng(seed, 10)))}},
                    "nps_promoter_share_by_ack30": measured["nps_promoter_share_by_ack30"],
                    "open_text_themes": {
                        "definition": "each open-text answer without personal data is one theme's subject and "
                                      "predicate (any pairing; predicates are listed in phrases, and every "
                                      "composed answer contains exactly one of them), half the time followed by a "
                                      "second sentence of the same theme (also in phrases), with an optional "
                                      "opener and closer; the theme is drawn with share_by_category's "
                                      "probabilities (theme order as in phrases) given how the answer went: "
                                      "promoter (or CSAT 4-5), passive (CSAT 3), detractor (CSAT 1-2)",
                        "phrases": {theme: TX.OPEN_TEXT_THEME_PARTS[theme]["predicates"]
                                    + TX.OPEN_TEXT_THEME_SECOND[theme] for theme in TX.OPEN_TEXT_THEME_NAMES},
                        "share_by_category": TX.OPEN_TEXT_THEME_P}},
        "truth_files": ["_truth/interaction_truth.parquet", "_truth/customer_truth.parquet"],
    }
    return manifest


def month_index(t: np.ndarray) -> np.ndarray:
    """Months since January 2025 (0 = 2025-01) of epoch seconds ``t``, UTC."""
    return t.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) - np.datetime64("2025-01", "M").astype(
        np.int64)


def staggered_truth(w: World, X, eligible: np.ndarray) -> dict:
    """Potential-outcome truth of the staggered training rollout on team-month panels, aggregated the way
    Callaway and Sant'Anna aggregate: cell (cohort g, month t) = mean over the cohort's teams of the team-month mean,
    over its eligible interactions, of trained-at-the-contact x (outcome if trained - outcome if not) in expectation;
    by cohort = mean of its cells t >= g; overall = cohorts weighted by their number of teams; by event time e =
    cells t = g + e weighted by teams; by team = the mean of its own team-months from adoption on (a synthetic
    control's estimand). Zero before adoption by construction. A cohort is the month of the team's first
    empathy_foundations completion (month index from 2025-01 = 0)."""
    import pandas as pd
    team = w.team[X["agent"]]
    first = pd.Series(w.train_at).groupby(w.team).min()
    cohort_of_team = {int(k): (int(month_index(np.array([v]))[0]) if v < INF else None) for k, v in first.items()}
    frame = pd.DataFrame({"team": team, "month": month_index(X["t"]), "trained": X["trained"],
                          "acknowledged": X["train_ack_delta"],
                          "acknowledged_within_30s": X["train_ack_delta"] * S.P_EARLY[X["ch"]],
                          "csat_top2_box": X["train_delta"]})[eligible]
    outcomes = ["acknowledged", "acknowledged_within_30s", "csat_top2_box"]
    for o in outcomes:
        frame[o] = frame[o] * frame["trained"]
    frame["cohort"] = frame["team"].map(cohort_of_team)
    treated = frame[frame["cohort"].notna()]
    team_month = treated.groupby(["cohort", "team", "month"])[outcomes].mean().reset_index()
    return staggered_from_team_months(cohort_of_team, team_month)


def staggered_from_team_months(cohort_of_team: dict, team_month) -> dict:
    """staggered_truth from the team-month means of its outcomes (columns cohort, team, month and the outcomes; in
    streaming mode summed over the chunks first)."""
    outcomes = ["acknowledged", "acknowledged_within_30s", "csat_top2_box"]
    post = team_month[team_month["month"] >= team_month["cohort"]]
    by_team = {f"team_{int(k) + 1:02d}": {o: float(v[o]) for o in outcomes}
               for k, v in post.groupby("team")[outcomes].mean().iterrows()}
    cells = team_month.groupby(["cohort", "month"])[outcomes].mean().reset_index()
    cells = cells[cells["month"] >= cells["cohort"]]
    teams_per_cohort = team_month.groupby("cohort")["team"].nunique()
    by_cohort = cells.groupby("cohort")[outcomes].mean()
    weights = teams_per_cohort.reindex(by_cohort.index)
    overall = {o: float((by_cohort[o] * weights).sum() / weights.sum()) for o in outcomes} if len(weights) else {}
    cells["event_time"] = cells["month"] - cells["cohort"]
    cells["w"] = cells["cohort"].map(teams_per_cohort)
    by_event = {int(e): {o: float((g[o] * g["w"]).sum() / g["w"].sum()) for o in outcomes}
                for e, g in cells.groupby("event_time")}
    return {
        "definition": staggered_truth.__doc__.replace("\n    ", " "),
        "cohort_of_team": {f"team_{k + 1:02d}": v for k, v in cohort_of_team.items()},
        "teams_per_cohort": {int(k): int(v) for k, v in teams_per_cohort.items()},
        "overall": overall,
        "by_cohort": {int(g): {o: float(v[o]) for o in outcomes} for g, v in by_cohort.iterrows()},
        "by_event_time": by_event,
        "by_team": by_team,
        "before_adoption": 0.0,
    }


def promoter_share_truth(population: pa.Table) -> dict:
    """The promoter share (potential NPS of 9 or 10) among the waves' active accounts (analytics consent kept) with
    at least one contact in the 90 days before the wave, with and without a contact acknowledged within 30 s, and
    the relative change (with / without - 1): the population value the weighted promoter-share contrast estimates
    (a descriptive contrast, not a causal effect)."""
    frame = population.to_pandas()
    frame = frame[~frame["analytics_revoked"] & (frame["n_contacts_in_window"] > 0)]
    promoter = frame["nps_potential"] >= 9
    exposed = frame["had_ack_within_30s_in_window"]
    with_ack, without = float(promoter[exposed].mean()), float(promoter[~exposed].mean())
    return {"definition": promoter_share_truth.__doc__.replace("\n    ", " "),
            "share_with_ack30": with_ack, "share_without_ack30": without,
            "relative_change": with_ack / without - 1 if without > 0 else None,
            "difference": with_ack - without,
            "n_account_waves": int(len(frame))}


def agent_skill_truth(w: World, n_top: int = 5) -> dict:
    """Each agent's planted skill: the shift of every behaviour probability the agent brings, whatever the
    contact's channel, tough moment or queue (case mix is not skill), the new-agent penalty included; and the
    agents of highest skill. Training, supervisors' coaching and the season move behaviours too, but by team,
    supervisor and month, not by agent. Agents' case mix and volume differ: within every team some agents take
    tough moments first (where every behaviour is harder to show), each agent has a home channel (email cannot be
    acknowledged within 30 seconds) and agents work different hours, so raw rates mix skill with queue difficulty
    and luck."""
    skill = {f"AG{i + 1:04d}": float(v) for i, v in enumerate(w.skill)}
    order = sorted(skill, key=lambda a: (-skill[a], a))
    ids = [f"AG{i + 1:04d}" for i in range(w.n_agents)]
    return {"definition": agent_skill_truth.__doc__.replace("\n    ", " "), "skill_by_agent": skill,
            "top_agents": order[:n_top],
            "case_mix": {"tough_moment_behavior_shift": S.TOUGH_BEHAVIOR_SHIFT,
                         "tough_moment_routing_weight": S.TOUGH_AFFINITY,
                         "tough_moment_specialists": [a for a, v in zip(ids, w.tough_affinity) if v > 1],
                         "channel_routing_weight": S.CHANNEL_AFFINITY,
                         "home_channel_by_agent": {a: S.CHANNELS[c] for a, c in zip(ids, w.home_channel)},
                         "volume_weight_by_agent": {a: float(v) for a, v in zip(ids, w.volume)}}}


def policy_truth(X, eligible: np.ndarray) -> dict:
    """The dated policy changes and the instrumental-variables estimand they identify: among the eligible contacts a
    policy reached, the expected change in CSAT top-2 per expected extra behaviour (of five) it caused, i.e. the
    Wald ratio E[delta CSAT top-2] / E[delta behaviours count]; per policy and pooled. Repeat contact does not
    depend on behaviours in the generator: its estimand is 0."""
    out = {"policies": [{"policy_id": pid, "channel": S.CHANNELS[c], "effective_date": d, "behaviour_uplift": u}
                        for pid, c, d, u in S.POLICIES],
           "definition": policy_truth.__doc__.replace("\n    ", " "), "repeat_contact_per_behaviour": 0.0}
    count, csat = X["policy_count_delta"], X["policy_csat_delta"]
    reached = eligible & (count > 0)
    out["csat_top2_per_behaviour"] = {pid: (float(csat[reached & (X["ch"] == c)].sum() / count[reached & (X["ch"] == c)].sum())
                                            if (reached & (X["ch"] == c)).any() else None)
                                      for pid, c, _, _ in S.POLICIES}
    out["csat_top2_per_behaviour_pooled"] = float(csat[reached].sum() / count[reached].sum()) if reached.any() else None
    return out


def save_truth(c: Contacts, window_days: int = 90) -> dict:
    """The save conversations' planted effects (D29): acceptance per closure sub-behaviour shown, as the average over
    offers of the exact (clipped) probability difference between all and none shown, divided by their number; and
    the same effect on being saved (no voluntary churn within window_days of the conversation, among offers whose
    window closed by the as-of): the acceptance effect times the difference in the saved share between accepted
    and declined offers, which do not depend on closure."""
    cancel, life = c.cancel, c.life
    k = len(S.CLOSURE_BEHAVIORS)
    per_closure = (cancel["p_full"] - cancel["p_none"]) / k
    cust, t, acc = cancel["cust"], cancel["t"], cancel["accepted"]
    closed = t + window_days * DAY <= S.CAP
    churn_at, vol = life["churn_at"][cust], life["churn_vol"][cust]
    saved = ~(vol & (churn_at > t) & (churn_at <= t + window_days * DAY))
    s_acc = float(saved[closed & acc].mean()) if (closed & acc).any() else None
    s_dec = float(saved[closed & ~acc].mean()) if (closed & ~acc).any() else None
    acc_effect = float(per_closure.mean()) if len(per_closure) else None
    saved_effect = (acc_effect * (s_acc - s_dec)) if None not in (acc_effect, s_acc, s_dec) else None
    return {
        "definition": "Per save conversation the agent (uniform among those hired) shows each closure sub-behaviour "
                      f"{S.CLOSURE_BEHAVIORS} w.p. clip(base + {S.SAVE_CLOSURE_SCRIPT}*(save_script=="
                      f"'empathy_close_loop') + {S.SAVE_CLOSURE_SKILL}*agent_skill), base = "
                      f"{S.SAVE_CLOSURE_BASE.tolist()}; the closing turn says exactly those shown. P(accept) = "
                      f"clip(base[offer_type] + {S.ACC_PER_DOLLAR}*offer_amount + {S.ACC_PER_CLOSURE}*n_closure + "
                      f"{S.ACC_SKILL}*agent_skill, {S.ACC_CLIP[0]}, {S.ACC_CLIP[1]}), base = "
                      + json.dumps(dict(zip(S.OFFER_TYPES, S.ACC_BASE.tolist())))
                      + ". Agent skill raises both closure and acceptance (confounding); an accepted offer "
                        "prevents that churn and restarts the churn clock.",
        "closure_behaviors": S.CLOSURE_BEHAVIORS,
        "acceptance_per_closure_behavior": acc_effect,
        "acceptance_per_dollar": S.ACC_PER_DOLLAR,
        "saved_window_days": window_days,
        "saved_share_accepted": s_acc, "saved_share_declined": s_dec,
        "saved_per_closure_behavior": saved_effect,
        "offers": int(len(cust)), "offers_window_closed": int(closed.sum()),
    }


def supervisor_truth(w: World, X, eligible: np.ndarray) -> dict:
    """The supervisors' coaching and the estimand a change of supervisor identifies within an agent: among the
    eligible contacts, the expected change in CSAT top-2 per expected extra behaviour (of five) the coaching caused,
    each contact's change signed by its supervisor's coaching, so that the ratio of sums is a weighted average of
    the per-contact ratios (these range from 0.022 in email, where acknowledgment never comes within 30 s, to 0.033
    in voice). Repeat contact does not depend on behaviours: its estimand is 0."""
    count, csat = X["supervisor_count_delta"], X["supervisor_csat_delta"]
    moved = eligible & (count > 0)
    return {"definition": supervisor_truth.__doc__.replace("\n    ", " "),
            "coaching_sd": S.SUPERVISOR_COACH_SD, "move_window": list(S.SUPERVISOR_MOVE_WINDOW),
            "n_supervisors": int(len(w.sup_coach)), "n_agents_moved": int((w.sup_move_at < INF).sum()),
            "csat_top2_per_behaviour": float(csat[moved].sum() / count[moved].sum()) if moved.any() else None,
            "repeat_contact_per_behaviour": 0.0}


def manifest_effects(w: World, c: Contacts, o: Outcomes, d: InteractionDirt, r: Responses,
                     waves: dict) -> dict:
    """The manifest's "effects" section: definitions and realised sizes of the planted effects (csat/ack30,
    oversampling, churn, experiment, training, NPS)."""
    X, life, cancel, ch, churned = c.X, c.life, c.cancel, c.ch, c.churned
    top2, eligible, ana_rev_row = o.top2, d.eligible, o.ana_rev_row
    cat_, ack30 = X["cat"], X["ack30"]
    by_ch = {c_: top2_share(top2, eligible & (ch == j)) for j, c_ in enumerate(S.CHANNELS)}
    resp_csat = (r.item == 0) & ~(r.oos_csat)
    resp_top2 = r.r_val[resp_csat] >= 4
    clean_resp_csat = resp_csat & ~r.viol & ~r.ana
    exp_win = eligible & w.q_treat[X["queue"]] & (X["t"] >= S.EXP_START)
    in_win = eligible & (X["t"] >= S.EXP_START) & (X["t"] < S.EXP_WINDOW_END)
    trained_m = eligible & X["trained"]
    cohort = life["has_fc"] & (c.first_pos >= 0)
    n_acc = int(cancel["accepted"].sum())
    return {
        "csat_ack30": {
            "definition": "p_top2 = clip(base_channel[channel] + tough_offset[category] + "
                          "unresolved_offset*(not is_resolved) + 0.08*ack_within_30s + "
                          "sum(coef[b]*behaviour_b), 0.02, 0.98); csat_top2_potential ~ Bernoulli(p_top2); "
                          "top2 -> 5 w.p. 0.55 else 4; otherwise 1/2/3 w.p. 0.2/0.3/0.5. The clip never "
                          "binds, so the lift is exactly additive. Respondents' csat = csat_potential.",
            "planted_lift": S.ACK30_LIFT,
            "base_channel": dict(zip(S.CHANNELS, S.CSAT_BASE_CH.tolist())),
            "tough_offset": {c: float(v) for c, v in zip(S.CATS[1:], S.CSAT_CAT_OFF[1:])},
            "unresolved_offset": S.CSAT_UNRESOLVED,
            "behaviour_coef": dict(zip(S.BEHAVIOURS, S.BEH_COEF.tolist())),
            "population_top2_share": top2_share(top2, eligible),
            "population_top2_share_by_channel": by_ch,
            "population_top2_share_excluding_analytics_revoked": top2_share(top2, eligible & ~ana_rev_row),
            "eligible_interactions": int(eligible.sum()),
            "raw_difference_top2_ack_vs_no_ack": (float(top2[eligible & ack30].mean() - top2[eligible & ~ack30].mean())
                                                  if (eligible & ack30).any() else None),
            "note": "the raw ack/no-ack difference is confounded (email never has ack within 30 s and "
                    "has a lower base; other behaviours correlate via agent skill); the causal lift of "
                    "0.08 is recovered by adjusting for channel x tough category x is_resolved and the "
                    "other behaviours, or exactly from p_top2 in the truth file",
        },
        "tough_moment_oversampling": {
            "selection_probability": {"tough_moment:*": S.SEL_P_TOUGH, "routine": S.SEL_P_ROUTINE},
            "population_top2_share": top2_share(top2, eligible),
            "population_top2_share_tough": top2_share(top2, eligible & (cat_ > 0)),
            "population_top2_share_routine": top2_share(top2, eligible & (cat_ == 0)),
            "naive_respondent_top2_share": float(resp_top2.mean()) if len(resp_top2) else None,
            "naive_respondent_top2_share_clean": (float((r.r_val[clean_resp_csat] >= 4).mean())
                                                  if clean_resp_csat.any() else None),
            "naive_definition": "share of csat answers in 4..5 among all on-scale pulse csat answers "
                                "(_clean: excluding consent violations and analytics-revoked customers)",
            "pulse_respondents": int(resp_csat.sum()),
        },
        "churn_ack30": {
            "definition": "Voluntary churn: cause-specific hazard, time origin = the customer's first "
                          "interaction with started_at >= signup_at + 14 days (first contact after "
                          "onboarding). Exponential: h(t) = lambda0 * plan_hr[plan] * segment_hr[segment] "
                          "* 0.70^(first contact had ack_within_30s). Save offers: before a latent "
                          "voluntary churn a cancellation_request contact occurs w.p. 0.5; if the offer "
                          "is accepted the churn is prevented and a new exponential clock with the same "
                          "rate starts (memoryless => observed hazard = h(t)*(1-q), proportional "
                          "hazards preserved, q independent of exposure). Involuntary churn (payment "
                          "failure): independent constant hazard from signup. Censoring at as_of. "
                          "Customers without a contact >= 14 days after signup use origin "
                          "signup+14d, are unexposed and are not in the cohort.",
            "true_hazard_ratio": S.ACK_HR, "true_log_hazard_ratio": math.log(S.ACK_HR),
            "lambda0_per_day": S.LAMBDA0, "plan_hr": dict(zip(S.PLANS, S.PLAN_HR.tolist())),
            "segment_hr": dict(zip(S.SEGMENTS, S.SEG_HR.tolist())),
            "involuntary_hazard_per_day": S.LAMBDA_INVOL,
            "cancel_contact_probability": S.P_CANCEL_CONTACT,
            "save_acceptance_probability": "see effects.save_closure",
            "offers": int(len(cancel["cust"])), "offers_accepted": n_acc,
            "cohort_customers": int(cohort.sum()),
            "cohort_exposed": int((cohort & life["exposed"]).sum()),
            "voluntary_churns_observed": int((life["churn_vol"] & churned).sum()),
            "involuntary_churns_observed": int((~life["churn_vol"] & churned).sum()),
        },
        "experiment_prompt": {
            "definition": "In treatment queues, for interactions started on/after 2026-01-05, "
                          "P(acknowledge) += 0.15 (absolute, before clipping to [0.02, 0.97]); "
                          "ack timing unchanged, so P(ack_within_30s) rises by 0.15*p_early[channel].",
            "ack_probability_uplift": S.EXP_ACK_UPLIFT,
            "expected_csat_top2_itt": (float(X["itt_delta"][exp_win].mean()) if exp_win.any() else None),
            "itt_definition": "mean over eligible treatment-queue interactions started on/after the start "
                              "of 0.08*(P_ack_treated - P_ack_control)*p_early[channel]; control queues "
                              "have the same expected value without uplift",
            "registered_window": {"start": iso(S.EXP_START), "end_exclusive": iso(S.EXP_WINDOW_END)},
            "potential_outcome_truth": {
                "definition": "average over every eligible interaction started in the registered window, in "
                              "both arms, of the difference between its potential outcomes under treatment "
                              "and under control (expected values given the contact's behaviour "
                              "probabilities; bot-only contacts have no agent behaviour and differ by 0)",
                "n_interactions": int(in_win.sum()),
                "acknowledged": float(X["itt_ack_delta"][in_win].mean()) if in_win.any() else None,
                "acknowledged_within_30s": (float((X["itt_ack_delta"] * S.P_EARLY[ch])[in_win].mean())
                                            if in_win.any() else None),
                "csat_top2_box": float(X["itt_delta"][in_win].mean()) if in_win.any() else None,
                "other_behaviours": 0.0,
            },
        },
        "training_staggered": {
            "definition": "After an agent's empathy_foundations completed_at, each of the five behaviour "
                          "probabilities += 0.10 (absolute, before clipping). Wave dates per team below.",
            "behaviour_probability_uplift": S.TRAIN_UPLIFT,
            "expected_csat_top2_att": (float(X["train_delta"][trained_m].mean()) if trained_m.any() else None),
            "att_definition": "mean over eligible interactions by trained agents after completion of "
                              "sum_b coef_b*(P_b trained - P_b untrained), ack via 0.08*p_early[channel]",
            "wave_by_team": waves,
            "season_and_drift": {
                "definition": "every behaviour probability (before clipping) += season_dip in the dip months + "
                              "drift_per_year x years since 2025-01-01, for every agent alike",
                "season_dip": S.SEASON_DIP, "dip_months": list(S.SEASON_DIP_MONTHS),
                "drift_per_year": S.DRIFT_PER_YEAR},
            "potential_outcome_truth": staggered_truth(w, X, eligible),
        },
        "policy_instruments": policy_truth(X, eligible),
        "supervisor_instrument": supervisor_truth(w, X, eligible),
        "save_closure": save_truth(c),
        "nps_empathy": {
            "definition": "nps = clip(round(6.3 + plan_offset + sum_b w_b*(s_b - 0.4) + Normal(0, 1.8)), 0, "
                          "10); plan_offset basic -0.6, pro +0.6, enterprise +0.9; s_b = share of the account's "
                          "interactions (excluding planted defects) started in [wave - 90 days, wave) where "
                          "behaviour b was present; the empathy term is 0 without such interactions. w_b sum to "
                          "coefficient_per_unit_E (nps_key_drivers holds them). wave = wave date 15:00 UTC (sent_at is "
                          "within 2 days after).",
            "coefficient_per_unit_E": S.NPS_EMP_COEF,
        },
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate deterministic demo raw data for the empathy warehouse.")
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None,
                    help="random seed (default 42; with --append-day, the folder's manifest seed)")
    ap.add_argument("--out", type=Path, default=Path("data/demo"))
    ap.add_argument("--force", action="store_true",
                    help="write even into a non-empty folder the generator did not create (its table folders are replaced)")
    ap.add_argument("--response-mechanism", default="plan_and_tenure", choices=sorted(S.RESPONSE_MECHANISMS),
                    help="who answers the surveys (the calibration study varies it)")
    ap.add_argument("--chunk-customers", type=int, default=None, metavar="N",
                    help="streaming mode: generate and write the customers in chunks of N (bounded memory; the rows "
                         "differ from the in-memory demo unless N >= --customers)")
    ap.add_argument("--append-day", action="store_true",
                    help="append one day of new and re-delivered data to the existing demo folder --out "
                         "(empathy.demo.append)")
    a = ap.parse_args(argv)
    t0 = time.time()
    if a.append_day:
        from .append import append_day
        try:
            entry = append_day(a.out, a.seed)
        except FolderNotOwned as exc:
            raise SystemExit(f"error: {exc}") from None
        print(f"appended {entry['date']} to {a.out} in {time.time() - t0:.1f}s")
        for k, v in entry["rows"].items():
            print(f"  {k:24s} {v:>10,}")
        return
    if a.seed is None:
        a.seed = 42
    try:
        m = generate(a.customers, a.seed, a.out, force=a.force, response_mechanism=a.response_mechanism,
                     chunk_customers=a.chunk_customers)
    except (FolderNotOwned, ValueError) as exc:
        raise SystemExit(f"error: {exc}") from None
    rows = {k: v["rows_delivered"] for k, v in m["tables"].items()}
    print(f"wrote {sum(rows.values()):,} rows to {a.out} in {time.time() - t0:.1f}s (as_of {m['as_of']})")
    for k, v in rows.items():
        print(f"  {k:24s} {v:>10,}")


if __name__ == "__main__":
    main()
