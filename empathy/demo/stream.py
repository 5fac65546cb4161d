"""Streaming mode of the demo generator: customers in chunks, bounded memory at any size.

    python -m empathy.demo.generate --customers 1000000 --chunk-customers 25000 --seed 42 --out /tmp/demo_1m

The global entities (agents, teams, supervisors, incidents, experiment arms, the QA reviewers' lenience) are drawn
once, from the streams the in-memory generator uses, for the whole run: ``--customers`` sets the number of agents
and the size of the outage bursts as before. Customers are then generated chunk by chunk: each chunk is a World of
its own customers (account numbers continuing the previous chunk's) sharing those global entities, draws from its
own random streams (util.chunk_rng: chunk 0 from the in-memory generator's, so one chunk holding every customer
writes exactly the in-memory demo's rows), runs the same table families and writes each table's rows as
``<table>/part-<chunk>-<i>.parquet`` before the next chunk starts. Every id sequence (interaction ids per source
system, review, invitation, response, consent, subscription and offer ids, the orphans' made-up ids) continues the
numbers of the previous chunks, so ids stay unique. The roster, training, experiment and incident tables are
written once, with chunk 0.

The truth files are appended chunk by chunk (one Parquet file each, one row group per chunk). The manifest's
realised effects, which the in-memory generator measures on arrays over every interaction, are measured from
per-chunk tallies (EffectTally: counts, sums and team-month sums), which give the same numbers up to floating-point
rounding.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import families as F
from . import spec as S
from .families import Contacts, InteractionDirt, Invitations, Outcomes, Responses
from .generate import (Books, TableSink, build_manifest, clear_tables, consent_counts, deliver, manifest_effects,
                       month_index, promoter_share_truth, staggered_from_team_months, wave_by_team)
from .util import DAY, sub_rng
from .world import INF, World, make_agents, make_consent, make_customers, make_incidents, make_supervisors

#: the smallest chunk: a few planted defects are placed on "the first eligible rows" of a chunk, which needs some
MIN_CHUNK = 500


def chunk_bounds(n: int, chunk: int) -> list[tuple[int, int]]:
    """(first customer, customers) of every chunk: ``chunk`` customers each, a remainder shorter than MIN_CHUNK
    joining the chunk before it. A chunk smaller than MIN_CHUNK is refused unless it holds every customer."""
    if chunk < MIN_CHUNK and chunk < n:
        raise ValueError(f"--chunk-customers must be at least {MIN_CHUNK} (or at least --customers)")
    bounds = [(first, min(chunk, n - first)) for first in range(0, n, chunk)]
    if len(bounds) > 1 and bounds[-1][1] < MIN_CHUNK:
        first, size = bounds.pop()
        bounds[-1] = (bounds[-1][0], bounds[-1][1] + size)
    return bounds


def generate_streaming(n: int, seed: int, out: Path, chunk: int, mech: S.ResponseMechanism) -> dict:
    """Generate ``n`` customers in chunks of ``chunk`` into ``out`` (already claimed by generate()); returns the
    manifest. Peak memory follows the chunk size, not ``n``."""
    bounds = chunk_bounds(n, chunk)
    clear_tables(out)
    base = World(n=n, seed=seed)
    make_agents(base, sub_rng(seed, 2))
    make_supervisors(base, sub_rng(seed, 15))
    make_incidents(base, sub_rng(seed, 4))
    lenience = F.reviewer_lenience(sub_rng(seed, 10))
    sink = TableSink(out, seed, steps=len(bounds) * 10 + 4 + 1)
    books = Books()
    tally = EffectTally(base)
    truth = TruthAppender(out / "_truth")
    seq: dict[str, int] = {}
    consent: dict[str, int] = {}
    template: dict | None = None
    for k, (first, size) in enumerate(bounds):
        w = dataclasses.replace(base, n=size, first=first, n_total=n, chunk=k, seq0=dict(seq))
        make_customers(w, w.stream(1))
        w.route_rng = w.stream(18)
        make_consent(w, w.stream(3))
        # the same families, streams and order as generate.generate(), on this chunk's customers
        contacts, slots = F.build_contacts(w, seed)
        rng = w.stream(8)
        outcomes = F.interaction_outcomes(w, rng, contacts)
        dirt = deliver(sink, books, *F.interactions_table(w, rng, contacts, outcomes), chunk=k)
        segs = deliver(sink, books, *F.transcript_segments_table(w, w.stream(9), contacts, slots, outcomes, dirt),
                       chunk=k)
        del slots
        deliver(sink, books, F.qa_reviews_table(w, w.stream(10), contacts, outcomes, dirt,
                                                lenience=None if k == 0 else lenience), chunk=k)
        rng = w.stream(11)
        invitations = deliver(sink, books, *F.survey_invitations_table(w, rng, contacts, outcomes, dirt), chunk=k)
        responses = deliver(sink, books, *F.survey_responses_table(w, rng, contacts, outcomes, invitations, mech),
                            chunk=k)
        rng = w.stream(12)
        deliver(sink, books, F.customers_table(w, rng), chunk=k)
        deliver(sink, books, F.consent_events_table(w, rng), chunk=k)
        deliver(sink, books, F.subscription_events_table(w, rng, contacts), chunk=k)
        rng = w.stream(13)
        deliver(sink, books, F.product_usage_table(w, rng, contacts), chunk=k)
        deliver(sink, books, F.retention_offers_table(w, rng, contacts, outcomes), chunk=k)
        if k == 0:  # the global tables, once (stream 13 continues after chunk 0's offers, as in memory)
            deliver(sink, books, F.agents_table(w, rng), chunk=k)
            deliver(sink, books, F.training_completions_table(w, rng), chunk=k)
            deliver(sink, books, F.experiment_assignments_table(w, w.stream(14)), chunk=k)
            deliver(sink, books, F.incidents_table(w), chunk=k)
            base.block_arms = w.block_arms
            # the effects' definitions and static entries, whose measured numbers the tally replaces
            template = manifest_effects(w, contacts, outcomes, dirt, responses, wave_by_team(w))
        truth.append(F.truth_tables(w, contacts, outcomes, dirt, responses, segs, invitations.nps_population))
        tally.add(w, contacts, outcomes, dirt, invitations, responses)
        for key, v in consent_counts(w, invitations).items():
            consent[key] = consent.get(key, 0) + v
        advance_sequences(seq, contacts, books)
        del contacts, outcomes, dirt, invitations, responses, segs, rng, w
    truth.close()
    assert template is not None
    manifest = build_manifest(seed, base, sink, books, mech, consent, tally.measured(template))
    manifest["streaming"] = {
        "chunk_customers": chunk, "chunks": len(bounds),
        "draws": "each chunk draws its customers from streams of its own (chunk 0 from the in-memory generator's), "
                 "so the rows differ from the in-memory demo of the same seed unless one chunk holds every "
                 "customer; the planted effects, rates and defects are the same per customer",
        "global_once": ["agents", "teams", "supervisors", "incidents", "experiment arms", "qa reviewer lenience",
                        "training waves"],
        "per_chunk_minimum": "a few planted defects and re-deliveries are guaranteed at least once per chunk "
                             "(at least once per run in memory), so small chunks plant a few more of them",
        "effects": "realised effects measured from per-chunk counts and sums (equal to the in-memory measurement "
                   "up to floating-point rounding)",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    sink.progress.update(1)
    sink.progress.close()
    return manifest


def advance_sequences(seq: dict[str, int], contacts: Contacts, books: Books) -> None:
    """Add the numbers one chunk used in every id sequence (World.base) to ``seq``."""
    for s, prefix in enumerate(S.ID_PREFIX):
        seq[prefix] = seq.get(prefix, 0) + int((contacts.src == s).sum())
    distinct = {"qa": "qa_reviews", "inv": "survey_invitations", "resp": "survey_responses", "ce": "consent_events",
                "se": "subscription_events", "ro": "retention_offers"}
    for key, table in distinct.items():
        d = books.last[table]
        seq[key] = seq.get(key, 0) + len(d.table) - d.duplicates
    seq["qa_rows"] = seq.get("qa_rows", 0) + len(books.last["qa_reviews"].table)
    seq["resp_rows"] = seq.get("resp_rows", 0) + len(books.last["survey_responses"].table)
    seq["segment_orphan"] = (seq.get("segment_orphan", 0)
                             + books.last["transcript_segments"].defects["orphan_interaction"])


class TruthAppender:
    """The truth files of a streaming run: one Parquet file per truth table, one row group per chunk."""

    def __init__(self, tdir: Path) -> None:
        tdir.mkdir(parents=True, exist_ok=True)
        self.tdir = tdir
        self.writers: dict[str, pq.ParquetWriter] = {}

    def append(self, tables: dict[str, pa.Table]) -> None:
        """Append one chunk's truth tables (cast to the first chunk's schema)."""
        for key, table in tables.items():
            if key not in self.writers:
                self.writers[key] = pq.ParquetWriter(self.tdir / F.TRUTH_FILES[key], table.schema,
                                                     compression="zstd")
            writer = self.writers[key]
            writer.write_table(table.cast(writer.schema))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


# ------------------------------------------------------------------ effects from tallies
_FLAGS = ["ch", "cat", "ana", "ack30", "treat_q", "period", "trained", "pol", "sup"]
_SUMS = ["n", "top2", "itt_delta", "itt_ack_delta", "train_delta", "pol_count", "pol_csat", "sup_count", "sup_csat"]
_STAG = ["acknowledged", "acknowledged_within_30s", "csat_top2_box"]


class EffectTally:
    """Counts and sums over the chunks from which the manifest's realised effects are computed: the eligible
    interactions grouped by the flags the effects condition on (channel, tough category, analytics revoked, ack
    within 30 s, treatment queue, experiment period, trained agent, reached by a policy, moved by a supervisor),
    team-month sums for the staggered rollout, the pulse answers, the churn and save-offer counts, the NPS
    accounts' behaviour shares (sum and sum of squares) and the promoter counts of the NPS population."""

    def __init__(self, base: World) -> None:
        self.base = base
        self.cells: pd.DataFrame | None = None
        self.team_months: pd.DataFrame | None = None
        self.c: dict[str, float] = {}
        self.share_sum = np.zeros(5)
        self.share_sq = np.zeros(5)

    def _count(self, key: str, value) -> None:
        self.c[key] = self.c.get(key, 0) + value

    @staticmethod
    def _merge(acc: pd.DataFrame | None, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        both = new if acc is None else pd.concat([acc, new], ignore_index=True)
        return both.groupby(keys, as_index=False, sort=True).sum()

    def add(self, w: World, c: Contacts, o: Outcomes, d: InteractionDirt, inv: Invitations, r: Responses) -> None:
        """Tally one chunk."""
        X, e = c.X, d.eligible
        t = X["t"][e]
        period = np.where(t < S.EXP_START, 0, np.where(t < S.EXP_WINDOW_END, 1, 2))
        frame = pd.DataFrame({
            "ch": c.ch[e], "cat": X["cat"][e], "ana": o.ana_rev_row[e], "ack30": X["ack30"][e],
            "treat_q": w.q_treat[X["queue"][e]], "period": period, "trained": X["trained"][e],
            "pol": X["policy_count_delta"][e] > 0, "sup": X["supervisor_count_delta"][e] > 0,
            "n": np.ones(int(e.sum()), np.int64), "top2": o.top2[e].astype(np.int64),
            "itt_delta": X["itt_delta"][e], "itt_ack_delta": X["itt_ack_delta"][e],
            "train_delta": X["train_delta"][e],
            "pol_count": X["policy_count_delta"][e], "pol_csat": X["policy_csat_delta"][e],
            "sup_count": X["supervisor_count_delta"][e], "sup_csat": X["supervisor_csat_delta"][e]})
        self.cells = self._merge(self.cells, frame.groupby(_FLAGS, as_index=False).sum(), _FLAGS)
        trained = X["trained"][e]
        tm = pd.DataFrame({"team": w.team[X["agent"][e]], "month": month_index(t), "n": np.ones(len(t), np.int64),
                           "acknowledged": X["train_ack_delta"][e] * trained,
                           "acknowledged_within_30s": X["train_ack_delta"][e] * S.P_EARLY[c.ch[e]] * trained,
                           "csat_top2_box": X["train_delta"][e] * trained})
        self.team_months = self._merge(self.team_months, tm.groupby(["team", "month"], as_index=False).sum(),
                                       ["team", "month"])
        # pulse answers
        resp_csat = (r.item == 0) & ~r.oos_csat
        clean = resp_csat & ~r.viol & ~r.ana
        self._count("resp_csat", int(resp_csat.sum()))
        self._count("resp_top2", int((r.r_val[resp_csat] >= 4).sum()))
        self._count("clean_csat", int(clean.sum()))
        self._count("clean_top2", int((r.r_val[clean] >= 4).sum()))
        # churn and save offers
        life, cancel = c.life, c.cancel
        cohort = life["has_fc"] & (c.first_pos >= 0)
        self._count("offers", int(len(cancel["cust"])))
        self._count("offers_accepted", int(cancel["accepted"].sum()))
        self._count("cohort", int(cohort.sum()))
        self._count("cohort_exposed", int((cohort & life["exposed"]).sum()))
        self._count("vol_churns", int((life["churn_vol"] & c.churned).sum()))
        self._count("invol_churns", int((~life["churn_vol"] & c.churned).sum()))
        cust, ct, acc = cancel["cust"], cancel["t"], cancel["accepted"]
        per_closure = (cancel["p_full"] - cancel["p_none"]) / len(S.CLOSURE_BEHAVIORS)
        window = 90 * DAY
        closed = ct + window <= S.CAP
        churn_at, vol = life["churn_at"][cust], life["churn_vol"][cust]
        saved = ~(vol & (churn_at > ct) & (churn_at <= ct + window))
        self._count("per_closure_sum", float(per_closure.sum()))
        self._count("offers_closed", int(closed.sum()))
        self._count("closed_acc", int((closed & acc).sum()))
        self._count("closed_acc_saved", int(saved[closed & acc].sum()))
        self._count("closed_dec", int((closed & ~acc).sum()))
        self._count("closed_dec_saved", int(saved[closed & ~acc].sum()))
        # NPS: the invited accounts' behaviour shares, and the promoters of the population
        sh = inv.invited_shares
        self._count("share_n", int(len(sh)))
        self.share_sum += sh.sum(axis=0)
        self.share_sq += (sh ** 2).sum(axis=0)
        pop = inv.nps_population
        keep = ~np.asarray(pop.column("analytics_revoked")) & (np.asarray(pop.column("n_contacts_in_window")) > 0)
        promoter = np.asarray(pop.column("nps_potential"))[keep] >= 9
        exposed = np.asarray(pop.column("had_ack_within_30s_in_window"))[keep]
        self._count("pop_n", int(keep.sum()))
        self._count("pop_exposed", int(exposed.sum()))
        self._count("pop_exposed_promoters", int((promoter & exposed).sum()))
        self._count("pop_unexposed_promoters", int((promoter & ~exposed).sum()))

    # -------------------------------------------------------------- the manifest's numbers
    def measured(self, template: dict) -> dict:
        """measured_effects' result from the tallies: ``template`` (manifest_effects of chunk 0) supplies the
        definitions and static entries; every realised number is replaced."""
        g = self.cells
        c = self.c

        def share(m) -> float | None:
            n = g.loc[m, "n"].sum()
            return float(g.loc[m, "top2"].sum() / n) if n else None

        def mean(col: str, m) -> float | None:
            n = g.loc[m, "n"].sum()
            return float(g.loc[m, col].sum() / n) if n else None

        def ratio(num: str, den: str, m) -> float | None:
            return float(g.loc[m, num].sum() / g.loc[m, den].sum()) if m.any() else None

        every = np.ones(len(g), bool)
        ack, tough = g["ack30"].to_numpy(bool), g["cat"].to_numpy() > 0
        eff = json.loads(json.dumps(template))  # a deep copy
        ca = eff["csat_ack30"]
        ca["population_top2_share"] = share(every)
        ca["population_top2_share_by_channel"] = {ch: share(g["ch"].to_numpy() == j) for j, ch in enumerate(S.CHANNELS)}
        ca["population_top2_share_excluding_analytics_revoked"] = share(~g["ana"].to_numpy(bool))
        ca["eligible_interactions"] = int(g["n"].sum())
        ca["raw_difference_top2_ack_vs_no_ack"] = (share(ack) - share(~ack)) if g.loc[ack, "n"].sum() else None
        ov = eff["tough_moment_oversampling"]
        ov["population_top2_share"] = share(every)
        ov["population_top2_share_tough"] = share(tough)
        ov["population_top2_share_routine"] = share(~tough)
        ov["naive_respondent_top2_share"] = c["resp_top2"] / c["resp_csat"] if c["resp_csat"] else None
        ov["naive_respondent_top2_share_clean"] = c["clean_top2"] / c["clean_csat"] if c["clean_csat"] else None
        ov["pulse_respondents"] = int(c["resp_csat"])
        ch = eff["churn_ack30"]
        ch.update({"offers": int(c["offers"]), "offers_accepted": int(c["offers_accepted"]),
                   "cohort_customers": int(c["cohort"]), "cohort_exposed": int(c["cohort_exposed"]),
                   "voluntary_churns_observed": int(c["vol_churns"]),
                   "involuntary_churns_observed": int(c["invol_churns"])})
        period = g["period"].to_numpy()
        ex = eff["experiment_prompt"]
        ex["expected_csat_top2_itt"] = mean("itt_delta", g["treat_q"].to_numpy(bool) & (period >= 1))
        in_win = period == 1
        n_win = int(g.loc[in_win, "n"].sum())
        early = S.P_EARLY[g["ch"].to_numpy()] * g["itt_ack_delta"].to_numpy()
        ex["potential_outcome_truth"].update({
            "n_interactions": n_win, "acknowledged": mean("itt_ack_delta", in_win),
            "acknowledged_within_30s": float(early[in_win].sum() / n_win) if n_win else None,
            "csat_top2_box": mean("itt_delta", in_win)})
        tr = eff["training_staggered"]
        tr["expected_csat_top2_att"] = mean("train_delta", g["trained"].to_numpy(bool))
        tr["potential_outcome_truth"] = self.staggered()
        pol = g["pol"].to_numpy(bool)
        pi = eff["policy_instruments"]
        pi["csat_top2_per_behaviour"] = {pid: ratio("pol_csat", "pol_count", pol & (g["ch"].to_numpy() == chn))
                                         for pid, chn, _, _ in S.POLICIES}
        pi["csat_top2_per_behaviour_pooled"] = ratio("pol_csat", "pol_count", pol)
        eff["supervisor_instrument"]["csat_top2_per_behaviour"] = ratio("sup_csat", "sup_count",
                                                                        g["sup"].to_numpy(bool))
        sv = eff["save_closure"]
        acc_effect = c["per_closure_sum"] / c["offers"] if c["offers"] else None
        s_acc = c["closed_acc_saved"] / c["closed_acc"] if c["closed_acc"] else None
        s_dec = c["closed_dec_saved"] / c["closed_dec"] if c["closed_dec"] else None
        sv.update({"acceptance_per_closure_behavior": acc_effect, "saved_share_accepted": s_acc,
                   "saved_share_declined": s_dec,
                   "saved_per_closure_behavior": (acc_effect * (s_acc - s_dec)
                                                  if None not in (acc_effect, s_acc, s_dec) else None),
                   "offers": int(c["offers"]), "offers_window_closed": int(c["offers_closed"])})
        return {"effects": eff, "nps_key_drivers": self.nps_drivers(), "nps_promoter_share_by_ack30": self.promoters()}

    def staggered(self) -> dict:
        """generate.staggered_truth from the team-month sums."""
        w = self.base
        first = pd.Series(w.train_at).groupby(w.team).min()
        cohort_of_team = {int(k): (int(month_index(np.array([v]))[0]) if v < INF else None) for k, v in first.items()}
        tm = self.team_months.copy()
        tm["cohort"] = tm["team"].map(cohort_of_team)
        tm = tm[tm["cohort"].notna()]
        for o in _STAG:
            tm[o] = tm[o] / tm["n"]
        return staggered_from_team_months(cohort_of_team, tm[["cohort", "team", "month", *_STAG]].reset_index(drop=True))

    def nps_drivers(self) -> dict:
        """families.nps_driver_truth from the sums and sums of squares of the shares."""
        n = int(self.c["share_n"])
        if n > 1:
            mean = self.share_sum / n
            sd = np.sqrt(np.maximum(self.share_sq / n - mean ** 2, 0.0))
        else:
            sd = np.zeros(5)
        return F.nps_driver_truth_from_sd(sd, n)

    def promoters(self) -> dict:
        """generate.promoter_share_truth from the promoter counts."""
        c = self.c
        n_exp, n_all = c["pop_exposed"], c["pop_n"]
        with_ack = c["pop_exposed_promoters"] / n_exp if n_exp else float("nan")
        without = c["pop_unexposed_promoters"] / (n_all - n_exp) if n_all - n_exp else float("nan")
        return {"definition": promoter_share_truth.__doc__.replace("\n    ", " "),
                "share_with_ack30": with_ack, "share_without_ack30": without,
                "relative_change": with_ack / without - 1 if without > 0 else None,
                "difference": with_ack - without, "n_account_waves": int(n_all)}
