"""The table families of the demo generator, called in order by ``generate.generate()``.

Each function takes what it needs (the World, a random Generator, the frozen intermediate results of earlier
families) and returns its table as a ``Delivery`` (the RawTable plus its duplicate, defect and consent-exclusion
counts) and, where a later family needs them, its intermediate arrays. No function mutates its inputs.

Random streams: a family draws only from the Generator it is given. Where several families share one stream
(sub_rng(seed, 8), 11, 12 and 13), generate() passes the same Generator along in the original order, so the
sequence of draws is that of one sequential pass.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import spec as S
from . import text as TX
from .raw import (TABLE_MINUTE, RawTable, account_ids, at_least_one, card_numbers, email_strings, later_load, load_time,
                  messy_email, messy_phone, tscol)
from .util import DAY, HOUR, MINUTE, T, cat, group_starts, ids, labels, pick, sub_rng, with_nulls, zpad
from .world import (INF, World, candidate_contacts, churn_process, concat, contact_attributes, recording_ok,
                    supervisor_at, take, team_at)


# ------------------------------------------------------------------ results passed between families
@dataclass(frozen=True)
class Delivery:
    """One complete raw table and what the manifest reports of it."""
    table: RawTable
    duplicates: int
    defects: Mapping[str, int] = field(default_factory=dict)
    excluded: Mapping[str, int] = field(default_factory=dict)  # rows excluded by consent, by reason


class Contacts(NamedTuple):
    """Every delivered interaction (ordered by started_at, then customer) and the churn process behind it."""
    X: Mapping[str, np.ndarray]  # per-interaction latent attributes (world.contact_attributes), read-only
    life: Mapping[str, np.ndarray]  # per-customer churn truth (world.churn_process), read-only
    cancel: Mapping[str, np.ndarray]  # cancellation contacts, one per retention offer, read-only
    cust: np.ndarray  # per interaction: customer index
    ch: np.ndarray  # per interaction: channel index
    src: np.ndarray  # per interaction: source-system index
    iid: pa.Array  # per interaction: interaction_id
    src_arr: pa.Array  # per interaction: source_system label
    first_pos: np.ndarray  # per customer: row of the first contact after onboarding, -1 if none delivered
    end_obs: np.ndarray  # per customer: end of observation (churn or CAP)
    churned: np.ndarray  # per customer: churn observed (before CAP - 1 hour)

    @property
    def ni(self) -> int:
        return len(self.cust)


class TranscriptSlots(NamedTuple):
    """Per interaction x segment slot: present, speaker, phrase index (negative: PII kind), offset in ms."""
    pres: np.ndarray
    spk: np.ndarray
    txt: np.ndarray
    off: np.ndarray


class Outcomes(NamedTuple):
    """Per interaction: open/ended state, consent flags and the CSAT potential."""
    open_: np.ndarray
    ended: np.ndarray  # 0 while open
    updated: np.ndarray  # updated_at of the final version before re-delivery adjustments
    ana_rev_row: np.ndarray  # customer revoked analytics (final)
    rec_ok: np.ndarray  # call recording granted at started_at
    p_top2: np.ndarray
    top2: np.ndarray
    csat: np.ndarray


class InteractionDirt(NamedTuple):
    """Per interaction, decided with the interactions table: planted defect, pulse eligibility, load time, account."""
    bad_end: np.ndarray  # planted ended_before_started defect
    eligible: np.ndarray  # ended and not a planted defect
    loaded: np.ndarray  # _loaded_at of the final version
    acct: pa.Array  # account_id


class Invitations(NamedTuple):
    """Survey invitations (csat pulse rows first, then relationship NPS rows) needed by the responses."""
    pi: np.ndarray  # interaction row of each pulse invitation
    n_p: int
    n_n: int
    nin: int
    inv_type: np.ndarray  # 0 pulse, 1 NPS
    inv_cust: np.ndarray
    inv_sent: np.ndarray
    inv_id: pa.Array
    inv_viol: np.ndarray  # planted consent violation
    inv_ana: np.ndarray  # customer revoked analytics
    nps_value: np.ndarray  # per NPS invitation: the answer the account gives if it responds
    nps_driver_truth: dict  # the behaviours' planted NPS weights and the driver ordering they imply
    nps_population: pa.Table  # per wave and active account: potential NPS answer (truth for the calibration)
    invited_shares: np.ndarray  # per invited NPS account with contacts in the window: its behaviour shares (5)


class Responses(NamedTuple):
    """Survey answers kept for the truth file and the manifest."""
    invited_i: np.ndarray  # per interaction
    responded_i: np.ndarray  # per interaction
    item: np.ndarray  # per answer: item index
    r_val: np.ndarray  # per answer: numeric value written (including out-of-scale defects)
    oos_csat: np.ndarray  # per answer: planted out-of-scale csat
    viol: np.ndarray  # per answer: its invitation is a consent violation
    ana: np.ndarray  # per answer: customer revoked analytics


# ------------------------------------------------------------------ contacts & churn
def build_contacts(w: World, seed: int) -> tuple[Contacts, TranscriptSlots]:
    """No table: candidate contacts, churn and cancellation contacts merged into the interaction list, with
    source systems, interaction ids and first contacts (streams sub_rng(seed, 5), 6 and 7)."""
    rng = w.stream(5)
    cc, ct, cr, cp = candidate_contacts(w, rng)
    cand = contact_attributes(w, rng, cc, ct, reason=cr, product=cp)
    save_rng = w.stream(16)
    life, cancel = churn_process(w, w.stream(6), cand["cust"], cand["t"], cand["ack30"], save_rng)
    rng = w.stream(7)
    canc = contact_attributes(w, rng, cancel["cust"], cancel["t"],
                              reason=np.full(len(cancel["cust"]), S.R_CANCEL),
                              force_close=cancel["closure"].any(1), no_bot=True,
                              forced_channel=pick(rng, len(cancel["cust"]), [0.5, 0.3, 0.2, 0.0]),
                              forced_agent=cancel["agent"])
    save_closing_turns(canc, cancel["closure"], save_rng)
    canc["queue"] = 9 + S.REGION_TO_QREG[w.region[canc["cust"]]]  # retention queues
    n_cand = len(cand["cust"])
    keep = cand["t"] < life["churn_at"][cand["cust"]]
    cand["offer_row"] = np.full(n_cand, -1)
    canc["offer_row"] = np.arange(len(canc["cust"]))
    cand["is_first"] = np.zeros(n_cand, bool)
    cand["is_first"][life["first_idx"][life["first_idx"] >= 0]] = True
    canc["is_first"] = np.zeros(len(canc["cust"]), bool)
    X = concat(take(cand, keep), canc)
    o = np.lexsort((X["cust"], X["t"]))
    X = take(X, o)
    del cand, canc
    cust = X["cust"]
    ch = X["ch"]
    src = S.SRC_OF_CH[ch]
    seq = np.zeros(len(X["t"]), dtype=np.int64)
    for s in range(3):
        m = src == s
        seq[m] = w.base(S.ID_PREFIX[s]) + np.arange(1, int(m.sum()) + 1)
    iid = pc.choose(pa.array(src), *[ids(p, seq, 7) for p in S.ID_PREFIX])
    src_arr = labels(S.SOURCES, src)
    first_pos = np.full(w.n, -1)
    first_pos[cust[X["is_first"]]] = np.nonzero(X["is_first"])[0]
    slots = TranscriptSlots(*(X.pop(k) for k in TranscriptSlots._fields))
    contacts = Contacts(X=MappingProxyType(X), life=MappingProxyType(life), cancel=MappingProxyType(cancel),
                        cust=cust, ch=ch, src=src, iid=iid, src_arr=src_arr, first_pos=first_pos,
                        end_obs=np.minimum(life["churn_at"], S.CAP), churned=life["churn_at"] <= S.CAP - HOUR)
    return contacts, slots


def save_closing_turns(canc: dict, closure: np.ndarray, rng: np.random.Generator) -> None:
    """The agent's closing turn of each save conversation says exactly the closure sub-behaviours shown (text groups
    save_close_<mask>, bit k for S.CLOSURE_BEHAVIORS[k]); without any, a neutral goodbye (continues
    sub_rng(seed, 16) after churn_process)."""
    n = len(closure)
    mask = (closure * (1 << np.arange(closure.shape[1]))).sum(1)
    groups = ["close_neutral"] + [f"save_close_{m}" for m in range(1, 1 << closure.shape[1])]
    starts = np.array([TX.GROUP_START[g] for g in groups])
    sizes = np.array([TX.GROUP_N[g] for g in groups])
    canc["txt"][:, 10] = starts[mask] + (rng.random(n) * sizes[mask]).astype(np.int64)
    canc["pres"][:, 10] = canc["pres"][:, 10] | (mask > 0)


# ------------------------------------------------------------------ interactions
def interaction_outcomes(w: World, rng: np.random.Generator, c: Contacts) -> Outcomes:
    """No table: which interactions are still open, their ended/updated times, consent flags and the CSAT
    potential (p_top2, top2, csat) of every interaction (first draws of sub_rng(seed, 8))."""
    X, cust, ni = c.X, c.cust, c.ni
    open_ = (X["ended"] > S.CAP - HOUR) | ((X["t"] >= S.INT_END - 7 * DAY) & (rng.random(ni) < 0.10))
    ended = np.where(open_, 0, X["ended"])
    resolved = X["resolved"]
    updated = np.where(open_, X["t"] + rng.integers(MINUTE, 10 * MINUTE, ni),
                       ended + rng.integers(0, 30 * MINUTE, ni))
    updated = np.minimum(updated, S.CAP)
    ana_rev_row = w.ana_revoked_final[cust]
    rec_ok = recording_ok(w, cust, X["t"])

    # CSAT potential for every interaction
    cat_ = X["cat"]
    beh = X["beh"]
    ack30 = X["ack30"]
    base = S.CSAT_BASE_CH[c.ch] + S.CSAT_CAT_OFF[cat_] + np.where(resolved & ~open_, 0.0, S.CSAT_UNRESOLVED)
    p_top2 = np.clip(base + S.ACK30_LIFT * ack30 + (beh * S.BEH_COEF).sum(1), *S.TOP2_CLIP)
    top2 = rng.random(ni) < p_top2
    csat = np.where(top2, np.where(rng.random(ni) < 0.55, 5, 4),
                    pick(rng, ni, [0.2, 0.3, 0.5]) + 1)
    return Outcomes(open_=open_, ended=ended, updated=updated, ana_rev_row=ana_rev_row, rec_ok=rec_ok,
                    p_top2=p_top2, top2=top2, csat=csat)


def interactions_table(w: World, rng: np.random.Generator, c: Contacts,
                       o: Outcomes) -> tuple[Delivery, InteractionDirt]:
    """interactions: re-deliveries, exact duplicates, the ended_before_started defect, messy identifiers and
    part files (continues sub_rng(seed, 8) after interaction_outcomes)."""
    X, ni, cust, ch, iid, src_arr = c.X, c.ni, c.cust, c.ch, c.iid, c.src_arr
    open_, ended, resolved, ana_rev_row = o.open_, o.ended, X["resolved"], o.ana_rev_row
    updated = o.updated.copy()
    # interaction-level dirt (each row defective for one reason only)
    clean = ~ana_rev_row & ~open_ & (X["offer_row"] < 0) & ~X["is_first"]
    room = X["t"] < S.INT_END - 25 * DAY
    u = rng.random(ni)
    redeliv = clean & room & (u < 0.03)
    exact_dup = clean & room & (u >= 0.03) & (u < 0.033)
    bad_end = clean & (u >= 0.033) & (u < 0.0345)
    if not bad_end.any():
        bad_end[np.nonzero(clean & ~redeliv & ~exact_dup)[0][:1]] = True
    ended_written = np.where(bad_end, X["t"] - rng.integers(MINUTE, 2 * HOUR, ni), ended)
    eligible = ~open_ & ~bad_end
    loaded = load_time(updated, "interactions")
    # earlier versions of re-delivered rows
    ri = np.nonzero(redeliv)[0]
    kind_open = rng.random(len(ri)) < 0.6
    e_upd = X["t"][ri] + rng.integers(MINUTE, 20 * MINUTE, len(ri))
    f_upd = np.maximum(updated[ri], e_upd + DAY + rng.integers(0, DAY, len(ri)))
    updated[ri] = f_upd
    loaded[ri] = load_time(f_upd, "interactions")
    e_loaded = load_time(e_upd, "interactions")
    e_ended = np.where(kind_open, 0, np.maximum(ended[ri] - rng.integers(MINUTE, 30 * MINUTE, len(ri)),
                                                X["t"][ri] + (ended[ri] - X["t"][ri]) // 2))
    e_res_null = kind_open
    e_res = ~resolved[ri]
    di = np.nonzero(exact_dup)[0]
    d_loaded = later_load(rng, loaded[di], "interactions")
    # assemble all rows: [final versions 0..ni) + [early versions] + [exact dups]
    rows = np.concatenate([np.arange(ni), ri, di])
    nr = len(rows)
    r_upd = np.concatenate([updated, e_upd, updated[di]])
    r_load = np.concatenate([loaded, e_loaded, d_loaded])
    r_end = np.concatenate([ended_written, e_ended, ended_written[di]])
    r_end_null = np.concatenate([open_, e_res_null, open_[di]])
    r_res = np.concatenate([resolved, e_res, resolved[di]])
    r_res_null = r_end_null.copy()
    # identifiers
    pat = pick(rng, ni, [0.40, 0.18, 0.14, 0.14, 0.07, 0.07])
    pat = np.where((ch == 0) & (rng.random(ni) < 0.4), 2, pat)
    want_a = np.isin(pat, [0, 3, 4, 5])
    want_e = np.isin(pat, [1, 3, 5]) & ~w.email_null[cust]
    want_p = np.isin(pat, [2, 4, 5]) & ~w.phone_null[cust]
    want_a |= ~(want_e | want_p)
    acct = account_ids(w, cust)
    em = messy_email(rng, email_strings(w, cust))
    ph = messy_phone(rng, w.phone_digits[cust])
    ch_lab_start = np.cumsum([0] + [len(x) for x in S.CH_LABELS])[:-1]
    ch_lab_n = np.array([len(x) for x in S.CH_LABELS])
    ch_lab = ch_lab_start[ch] + (rng.random(ni) * ch_lab_n[ch]).astype(np.int64)
    flat_labels = [x for xs in S.CH_LABELS for x in xs]
    ia = pa.array(rows)
    inter = RawTable("interactions", {
        "interaction_id": iid.take(ia), "source_system": src_arr.take(ia),
        "channel": labels(flat_labels, ch_lab[rows]),
        "account_id": with_nulls(acct, ~want_a).take(ia),
        "customer_email": with_nulls(em, ~want_e).take(ia),
        "customer_phone": with_nulls(ph, ~want_p).take(ia),
        "agent_id": ids("AG", X["agent"] + 1, 4).take(ia),
        "queue": labels(S.QUEUES, X["queue"][rows]),
        "product": labels(S.PRODUCTS, X["product"][rows]),
        "contact_reason": labels(S.REASONS, X["reason"][rows]),
        "is_escalated": pa.array(X["esc"][rows]),
        "started_at": tscol(X["t"][rows]),
        "first_agent_response_at": tscol(X["first_resp"][rows], X["bot_only"][rows]),
        "ended_at": tscol(r_end, r_end_null),
        "is_resolved": pa.array(r_res, mask=r_res_null),
        "updated_at": tscol(r_upd),
        "_loaded_at": tscol(r_load),
    })
    split = T("2025-10-01")
    base_rows = np.arange(ni + len(ri))
    st_rows = X["t"][rows[base_rows]]
    inter.parts = [(base_rows[st_rows < split], "utc"), (base_rows[st_rows >= split], "iso"),
                   (np.concatenate([ri, np.arange(ni + len(ri), nr)]), "naive")]
    # final versions of re-delivered rows go to the re-delivery part only
    inter.parts[0] = (np.setdiff1d(inter.parts[0][0], ri), "utc")
    inter.parts[1] = (np.setdiff1d(inter.parts[1][0], ri), "iso")
    delivery = Delivery(inter, len(ri) + len(di), defects={"ended_before_started": int(bad_end.sum())},
                        excluded={"analytics_revoked": int(ana_rev_row[rows].sum())})
    return delivery, InteractionDirt(bad_end=bad_end, eligible=eligible, loaded=loaded, acct=acct)


# ------------------------------------------------------------------ transcript segments
def transcript_segments_table(w: World, rng: np.random.Generator, c: Contacts, slots: TranscriptSlots,
                              o: Outcomes, d: InteractionDirt) -> tuple[Delivery, np.ndarray]:
    """transcript_segments: segment rows with PII text, speaker labels and sentiment, duplicates and orphans;
    also returns the number of segments per interaction (stream sub_rng(seed, 9))."""
    X, cust, ch, src, ni = c.X, c.cust, c.ch, c.src, c.ni
    cat_, beh, resolved, open_ = X["cat"], X["beh"], X["resolved"], o.open_
    ana_rev_row, rec_ok = o.ana_rev_row, o.rec_ok
    has_tr = ~d.bad_end
    pres = slots.pres & has_tr[:, None]
    flat = np.nonzero(pres.ravel())[0]
    NS = pres.shape[1]
    si = flat // NS
    slot = flat % NS
    del flat
    nseg = len(si)
    seg_idx = group_starts(pres.sum(1))
    spk = slots.spk.ravel()[si * NS + slot]
    txt = slots.txt.ravel()[si * NS + slot].astype(np.int64)
    off = slots.off.ravel()[si * NS + slot]
    pii = np.nonzero(txt < 0)[0]
    kind = -1 - txt[pii]
    pc_ = cust[si[pii]]
    pii_val = pc.choose(pa.array(kind), email_strings(w, pc_), messy_phone(rng, w.phone_digits[pc_]),
                        card_numbers(rng, len(pii)))
    pii_txt = cat(labels(TX.PII_PREFIX, kind), pii_val, labels(TX.PII_SUFFIX, kind))
    txt[pii] = len(TX.PHRASES) + np.arange(len(pii))
    phrase_table = pa.concat_arrays([pa.array(TX.PHRASES), pii_txt])
    # sentiment
    sm = (0.15 - 0.35 * (cat_[si] > 0) - 0.2 * ~(resolved[si] & ~open_[si]) + 0.08 * beh[si].sum(1))
    sent = np.where(spk == 1, sm + rng.normal(0, 0.3, nseg),
                    np.where(spk == 0, rng.normal(0.35, 0.2, nseg), rng.normal(0.1, 0.1, nseg)))
    sent = np.clip(sent, -1, 1).round(3)
    sent_null = src[si] == 2
    spk_start = np.array([0, 3, 6])
    spk_n = np.where(spk == 1, np.where(ch[si] == 0, 3, 2), np.where(spk == 0, 3, 2))
    spk_lab = spk_start[spk] + (rng.random(nseg) * spk_n).astype(np.int64)
    seg_loaded = load_time(X["t"][si] + off // 1000, "transcript_segments")
    seg_loaded = np.maximum(seg_loaded, d.loaded[si])
    # dirt: duplicates and orphans, only among consent-clean segments
    seg_ok = rec_ok[si] & ~ana_rev_row[si] & (X["t"][si] < S.INT_END - 25 * DAY)
    u = rng.random(nseg)
    sdup = at_least_one(np.nonzero(seg_ok & (u < 0.004))[0], seg_ok)
    sorph = np.nonzero(seg_ok & (u >= 0.004) & (u < 0.0045))[0]
    if len(sorph) == 0:
        sorph = np.nonzero(seg_ok)[0][:1]
    srows = np.concatenate([np.arange(nseg), sdup, sorph])
    s_load = np.concatenate([seg_loaded, later_load(rng, seg_loaded[sdup], "transcript_segments"), seg_loaded[sorph]])
    orph_num = w.base("segment_orphan") + np.arange(1, len(sorph) + 1)
    seg_iid = c.iid.take(pa.array(si))
    orph_ids = cat("gen-9", zpad(orph_num, 6))
    seg = RawTable("transcript_segments", {
        "source_system": pa.concat_arrays([c.src_arr.take(pa.array(si[srows[:nseg + len(sdup)]])),
                                           pa.array(["genesys"] * len(sorph), pa.string())]),
        "interaction_id": pa.concat_arrays([seg_iid.take(pa.array(srows[:nseg + len(sdup)])), orph_ids]),
        "segment_index": pa.array(seg_idx[srows].astype(np.int64)),
        "speaker": labels([x for xs in S.SPEAKER_LABELS for x in xs], spk_lab[srows]),
        "offset_ms": pa.array(off[srows].astype(np.int64)),
        "text": phrase_table.take(pa.array(txt[srows])),
        "sentiment": pa.array(sent[srows], mask=sent_null[srows]),
        "_loaded_at": tscol(s_load),
    })
    nsr = len(srows)
    seg.parts = [(np.arange(nseg), "naive"), (np.arange(nseg, nsr), "utc")]
    delivery = Delivery(seg, int(len(sdup)), defects={"orphan_interaction": int(len(sorph))},
                        excluded={"analytics_revoked": int(ana_rev_row[si].sum()),
                                  "call_recording_not_granted": int((~ana_rev_row[si] & ~rec_ok[si]).sum())})
    return delivery, np.bincount(si, minlength=ni)


# ------------------------------------------------------------------ QA reviews
def reviewer_lenience(rng: np.random.Generator, n_reviewers: int = 15) -> np.ndarray:
    """Each QA reviewer's lenience (scale points added to every score): the first draw of qa_reviews_table's
    stream, so the manifest can report it by calling this on a fresh sub_rng(seed, 10)."""
    return rng.normal(0, 0.35, n_reviewers)


def qa_reviews_table(w: World, rng: np.random.Generator, c: Contacts, o: Outcomes, d: InteractionDirt,
                     lenience: np.ndarray | None = None) -> Delivery:
    """qa_reviews: regular and calibration review sessions (five behaviour scores each, reviewer lenience),
    out-of-range scores, unknown codes, orphans and duplicates (stream sub_rng(seed, 10)). The reviewers' lenience
    is the stream's first draw unless given (streaming chunks after the first share chunk 0's reviewers)."""
    X, ni, iid, src_arr = c.X, c.ni, c.iid, c.src_arr
    beh, ended, ana_rev_row, eligible = X["beh"], o.ended, o.ana_rev_row, d.eligible
    if lenience is None:
        lenience = reviewer_lenience(rng)
    n_rev = len(lenience)
    qa_pool = eligible & ~X["bot_only"]
    rev_at = ended + rng.integers(DAY, 14 * DAY, ni)
    qa_pool &= rev_at < S.CAP - HOUR
    u = rng.random(ni)
    reg = qa_pool & (u < 0.10)
    calib = qa_pool & (u >= 0.10) & (u < 0.12)
    ri_reg = np.nonzero(reg)[0]
    ri_cal = np.nonzero(calib)[0]
    k_cal = rng.integers(2, 4, len(ri_cal))
    perm = np.argsort(rng.random((len(ri_cal), n_rev)), axis=1)[:, :3]
    cal_i = np.repeat(ri_cal, k_cal)
    cal_r = perm[np.repeat(np.arange(len(ri_cal)), k_cal), group_starts(k_cal)]
    sess_i = np.concatenate([ri_reg, cal_i])
    sess_r = np.concatenate([rng.integers(0, n_rev, len(ri_reg)), cal_r])
    sess_c = np.concatenate([np.zeros(len(ri_reg), bool), np.ones(len(cal_i), bool)])
    sess_at = rev_at[sess_i] + rng.integers(0, 2 * DAY, len(sess_i)) * sess_c
    sess_at = np.minimum(sess_at, S.CAP - HOUR)
    q_i = np.repeat(sess_i, 5)
    q_b = np.tile(np.arange(5), len(sess_i))
    q_r = np.repeat(sess_r, 5)
    q_c = np.repeat(sess_c, 5)
    q_at = np.repeat(sess_at, 5)
    nq = len(q_i)
    present = beh[q_i, q_b]
    score = np.clip(np.rint(1.6 + 2.4 * present + lenience[q_r] + rng.normal(0, 0.7, nq)), 1, 5).astype(np.int64)
    code = q_b.copy()
    q_ok = ~ana_rev_row[q_i] & (X["t"][q_i] < S.INT_END - 25 * DAY)
    u = rng.random(nq)
    bad_score = q_ok & (u < 0.0015)
    score[bad_score] = np.where(rng.random(int(bad_score.sum())) < 0.5, 0, 6)
    qdup = at_least_one(np.nonzero(q_ok & (u >= 0.0015) & (u < 0.0045))[0], q_ok & ~bad_score & (u >= 0.0070))
    # unknown behaviour code: extra rows for a few sessions
    unk = np.nonzero(q_ok & (u >= 0.0045) & (u < 0.0060))[0]
    orph = np.nonzero(q_ok & (u >= 0.0060) & (u < 0.0070))[0]
    if len(orph) == 0 and nq:
        orph = np.nonzero(q_ok)[0][:1]
    if len(unk) == 0 and nq:
        unk = np.nonzero(q_ok)[0][1:2]
    if not bad_score.any() and nq > 3:
        j = np.nonzero(q_ok)[0][2]
        bad_score[j] = True
        score[j] = 6
    base_ix = np.arange(nq)
    qrows = np.concatenate([base_ix, unk, orph, qdup])
    nqr = len(qrows)
    q_code = np.concatenate([code, np.full(len(unk), 5), code[orph], code[qdup]])
    q_id_num = w.base("qa") + np.concatenate([np.arange(1, nq + len(unk) + len(orph) + 1), qdup + 1])
    q_load = load_time(q_at[qrows], "qa_reviews")
    q_load[nq + len(unk) + len(orph):] = later_load(rng, q_load[nq + len(unk) + len(orph):], "qa_reviews")
    q_iid = iid.take(pa.array(q_i[qrows]))
    orph_mask = np.zeros(nqr, bool)
    orph_mask[nq + len(unk): nq + len(unk) + len(orph)] = True
    q_iid = pc.if_else(pa.array(orph_mask), cat("gen-8", zpad((w.base("qa_rows") + np.arange(nqr)) % 1_000_000, 6)), q_iid)
    q_src = pc.if_else(pa.array(orph_mask), "genesys", src_arr.take(pa.array(q_i[qrows])))
    comment_null = rng.random(nqr) >= 0.15
    qa = RawTable("qa_reviews", {
        "review_id": ids("qa-", q_id_num, 8), "source_system": q_src, "interaction_id": q_iid,
        "reviewer_id": ids("QA", q_r[qrows] + 1, 2),
        "behavior_code": labels(S.BEHAVIOURS + ["empathy_general"], q_code),
        "score": pa.array(score[qrows]), "is_calibration": pa.array(q_c[qrows]),
        "reviewed_at": tscol(q_at[qrows]),
        "comment": with_nulls(labels(TX.QA_COMMENTS, rng.integers(0, len(TX.QA_COMMENTS), nqr)), comment_null),
        "_loaded_at": tscol(q_load),
    })
    qa.parts = [(np.arange(nq + len(unk) + len(orph)), "utc"), (np.arange(nq + len(unk) + len(orph), nqr), "naive")]
    return Delivery(qa, int(len(qdup)),
                    defects={"orphan_interaction": int(len(orph)), "unknown_behavior_code": int(len(unk)),
                             "score_out_of_range": int(bad_score.sum())},
                    excluded={"analytics_revoked": int(ana_rev_row[q_i[qrows[:nq + len(unk)]]].sum())})


# ------------------------------------------------------------------ surveys
def open_text_answers(theme: np.ndarray, rng: np.random.Generator, text_rng: np.random.Generator) -> list[str]:
    """One open-text answer per theme index (order of TX.OPEN_TEXT_THEME_NAMES): an opener, one of the theme's
    subjects with one of its predicates, half the time a second sentence of the theme, and a closer. ``rng`` draws
    whether there is a second sentence, the opener and the closer (the draws this stream has always made, so
    the tables drawn after it do not move); ``text_rng`` (sub_rng(seed, 17)) draws the subject, the predicate and
    which second sentence."""
    names = TX.OPEN_TEXT_THEME_NAMES
    n = len(theme)
    rng.integers(0, 6, n), rng.integers(0, 4, n)  # earlier versions' sentence indices: drawn, unused (stream kept)
    has_second = rng.random(n) < 0.5
    opener = rng.integers(0, len(TX.OPEN_TEXT_OPENERS), n)
    closer = rng.integers(0, len(TX.OPEN_TEXT_CLOSERS), n)
    n_parts = len(TX.OPEN_TEXT_THEME_PARTS[names[0]]["subjects"])
    subject, predicate = text_rng.integers(0, n_parts, n), text_rng.integers(0, n_parts, n)
    extra = text_rng.integers(0, len(TX.OPEN_TEXT_THEME_SECOND[names[0]]), n)
    out = []
    for i in range(n):
        parts = TX.OPEN_TEXT_THEME_PARTS[names[theme[i]]]
        text = TX.OPEN_TEXT_OPENERS[opener[i]] + f"{parts['subjects'][subject[i]]} {parts['predicates'][predicate[i]]}."
        if has_second[i]:
            text += " " + TX.OPEN_TEXT_THEME_SECOND[names[theme[i]]][extra[i]]
        out.append(text + TX.OPEN_TEXT_CLOSERS[closer[i]])
    return out


def nps_driver_truth(shares: np.ndarray) -> dict:
    """The behaviours' planted NPS weights and the ordering of their importance among invited accounts with contacts
    in the window: a behaviour's standardized weight is its weight times the standard deviation of its true share
    of contacts across those accounts (the behaviours are drawn nearly independently, so this orders their shares
    of explained variance, as a Shapley decomposition of R-squared would)."""
    sd = shares.std(axis=0) if len(shares) > 1 else np.zeros(5)
    return nps_driver_truth_from_sd(sd, len(shares))


def nps_driver_truth_from_sd(sd: np.ndarray, n_accounts: int) -> dict:
    """nps_driver_truth from the standard deviation of each behaviour's share over the ``n_accounts`` accounts (in
    streaming mode from sums and sums of squares over the chunks)."""
    standardized = S.NPS_BEH_COEF * sd
    order = [S.BEHAVIOURS[i] for i in np.argsort(-standardized, kind="stable")]
    return {"definition": nps_driver_truth.__doc__.replace("\n    ", " "),
            "weight_per_share": dict(zip(S.BEHAVIOURS, map(float, S.NPS_BEH_COEF))),
            "standardized_weight": dict(zip(S.BEHAVIOURS, map(float, standardized))),
            "share_sd": dict(zip(S.BEHAVIOURS, map(float, sd))),
            "ordering": order, "n_accounts": int(n_accounts)}


def survey_invitations_table(w: World, rng: np.random.Generator, c: Contacts, o: Outcomes,
                             d: InteractionDirt) -> tuple[Delivery, Invitations]:
    """survey_invitations: stratified csat-pulse selection with survey-contact suppression and planted
    violations, relationship-NPS waves with each account's empathy score E (first draws of sub_rng(seed, 11))."""
    X, cust, iid, src_arr, life = c.X, c.cust, c.iid, c.src_arr, c.life
    cat_, beh, ended, ana_rev_row, eligible = X["cat"], X["beh"], o.ended, o.ana_rev_row, d.eligible
    n, ni = w.n, c.ni
    sel_p = np.where(cat_ > 0, S.SEL_P_TOUGH, S.SEL_P_ROUTINE)
    selected = eligible & (rng.random(ni) < sel_p)
    sent = np.minimum(ended + rng.integers(10 * MINUTE, 3 * HOUR, ni), S.CAP - 2 * HOUR)
    revoked_at_send = w.survey_revoke_at[cust] <= sent
    would_suppress = selected & revoked_at_send
    violation = would_suppress & ~ana_rev_row & (rng.random(ni) < 0.25) & (X["t"] < S.INT_END - 25 * DAY)
    if would_suppress.any() and not violation.any():
        cand_v = np.nonzero(would_suppress & ~ana_rev_row & (X["t"] < S.INT_END - 25 * DAY))[0]
        violation[cand_v[:1]] = True
    invited = selected & (~revoked_at_send | violation)
    pi = np.nonzero(invited)[0]
    # relationship NPS waves: every account active at the wave date gets a potential answer (the finite population
    # the calibration study compares with); the sampler draws from accounts at least 30 days old
    nps_c, nps_t, nps_v, pop, invited_shares = [], [], [], [], []
    valid_int = ~d.bad_end
    for wave in S.NPS_WAVES:
        wt = T(wave + "T15:00:00")
        m_int = valid_int & (X["t"] >= wt - 90 * DAY) & (X["t"] < wt)
        c_ = np.bincount(cust[m_int], minlength=n)
        a30_ = np.bincount(cust[m_int], weights=X["ack30"][m_int].astype(float), minlength=n) > 0
        # each behaviour's share of the account's contacts in the 90 days before the wave, weighted per behaviour
        shares = np.stack([np.bincount(cust[m_int], weights=beh[m_int, b].astype(float), minlength=n)
                           / np.maximum(c_, 1) for b in range(5)], axis=1)
        empathy_term = np.where(c_ > 0, shares @ S.NPS_BEH_COEF - S.NPS_E0 * S.NPS_BEH_COEF.sum(), 0.0)
        potential = np.clip(np.rint(S.NPS_BASE + S.NPS_PLAN_OFFSET[w.plan] + empathy_term
                                    + rng.normal(0, S.NPS_SD, n)), 0, 10)
        active = (w.signup <= wt) & (life["churn_at"] > wt)
        act = active & (w.signup <= wt - 30 * DAY)
        sel = act & (rng.random(n) < S.NPS_SEL_P)
        snd = wt + rng.integers(0, 2 * DAY, n)
        sel &= ~(w.survey_revoke_at <= snd) & (snd < S.CAP - 3 * HOUR)
        cs = np.nonzero(sel)[0]
        nps_c.append(cs); nps_t.append(snd[cs]); nps_v.append(potential[cs])
        invited_shares.append(shares[cs][c_[cs] > 0])
        ac = np.nonzero(active)[0]
        pop.append(pa.table({"wave_date": pa.array([wave] * len(ac)), "account_id": account_ids(w, ac),
                             "plan": labels(S.PLANS, w.plan[ac]), "nps_potential": pa.array(potential[ac]),
                             "is_invited": pa.array(sel[ac]), "analytics_revoked": pa.array(w.ana_revoked_final[ac]),
                             "n_contacts_in_window": pa.array(c_[ac]),
                             "had_ack_within_30s_in_window": pa.array(a30_[ac])}))
    nps_c = np.concatenate(nps_c); nps_t = np.concatenate(nps_t); nps_v = np.concatenate(nps_v)
    n_p, n_n = len(pi), len(nps_c)
    inv_type = np.concatenate([np.zeros(n_p, np.int64), np.ones(n_n, np.int64)])
    inv_cust = np.concatenate([cust[pi], nps_c])
    inv_sent = np.concatenate([sent[pi], nps_t])
    order = np.lexsort((inv_type, inv_sent))
    inv_num = np.empty(n_p + n_n, np.int64)
    inv_num[order] = w.base("inv") + np.arange(1, n_p + n_n + 1)
    nin = n_p + n_n
    inv_id = ids("inv-", inv_num, 8)
    strata_idx = np.concatenate([cat_[pi], np.full(n_n, len(S.STRATA))])
    strata_labels = S.STRATA + ["account:active"]
    sel_prob = np.concatenate([sel_p[pi], np.full(n_n, S.NPS_SEL_P)])
    idpat = pick(rng, nin, [0.6, 0.25, 0.15])
    e_ok = ~w.email_null[inv_cust]
    want_em = np.isin(idpat, [0, 2]) & e_ok
    want_ac = np.isin(idpat, [0, 1]) | ~want_em
    inv_em = messy_email(rng, email_strings(w, inv_cust))
    inv_viol = np.concatenate([violation[pi], np.zeros(n_n, bool)])
    inv_ana = w.ana_revoked_final[inv_cust]
    inv_room = inv_sent < S.INT_END - 20 * DAY
    u = rng.random(nin)
    idup = at_least_one(np.nonzero(~inv_viol & ~inv_ana & inv_room & (u < 0.003))[0], ~inv_viol & ~inv_ana & inv_room)
    irows = np.concatenate([np.arange(nin), idup])
    i_load = load_time(inv_sent, "survey_invitations")
    i_load_all = np.concatenate([i_load, later_load(rng, i_load[idup], "survey_invitations")])
    pulse_iid = pa.concat_arrays([iid.take(pa.array(pi)), pa.nulls(n_n, pa.string())])
    pulse_src = pa.concat_arrays([src_arr.take(pa.array(pi)), pa.nulls(n_n, pa.string())])
    ira = pa.array(irows)
    inv = RawTable("survey_invitations", {
        "invitation_id": inv_id.take(ira),
        "survey_type": labels(["csat_pulse", "relationship_nps"], inv_type[irows]),
        "source_system": pulse_src.take(ira), "interaction_id": pulse_iid.take(ira),
        "account_id": with_nulls(account_ids(w, inv_cust), ~want_ac).take(ira),
        "customer_email": with_nulls(inv_em, ~want_em).take(ira),
        "sampling_stratum": labels(strata_labels, strata_idx[irows]),
        "selection_probability": pa.array(sel_prob[irows]),
        "sent_at": tscol(inv_sent[irows]), "_loaded_at": tscol(i_load_all),
    })
    split = T("2025-12-01")
    inv.parts = [(np.nonzero(inv_sent < split)[0], "utc"), (np.nonzero(inv_sent >= split)[0], "iso"),
                 (np.arange(nin, len(irows)), "naive")]
    delivery = Delivery(inv, int(len(idup)),
                        defects={"consent_violation_sent_after_survey_contact_revoked": int(inv_viol.sum())},
                        excluded={"analytics_revoked": int(inv_ana.sum())})
    return delivery, Invitations(pi=pi, n_p=n_p, n_n=n_n, nin=nin, inv_type=inv_type, inv_cust=inv_cust,
                                 inv_sent=inv_sent, inv_id=inv_id, inv_viol=inv_viol, inv_ana=inv_ana, nps_value=nps_v,
                                 nps_population=pa.concat_tables(pop),
                                 nps_driver_truth=nps_driver_truth(np.concatenate(invited_shares)),
                                 invited_shares=np.concatenate(invited_shares))


def survey_responses_table(w: World, rng: np.random.Generator, c: Contacts, o: Outcomes,
                           inv: Invitations, mech: S.ResponseMechanism) -> tuple[Delivery, Responses]:
    """survey_responses: who responds, which items (randomised positions), answer values (csat = potential,
    empathy items and NPS from behaviours/E), open text with PII, out-of-scale values, orphans and duplicates
    (continues sub_rng(seed, 11) after survey_invitations_table)."""
    X, ch, ni = c.X, c.ch, c.ni
    cat_, beh, top2, csat = X["cat"], X["beh"], o.top2, o.csat
    pi, n_p, n_n, nin, inv_type = inv.pi, inv.n_p, inv.n_n, inv.nin, inv.inv_type
    inv_cust, inv_sent, inv_id, inv_viol, inv_ana = inv.inv_cust, inv.inv_sent, inv.inv_id, inv.inv_viol, inv.inv_ana
    new_acct = (inv_sent - w.signup[inv_cust]) < S.NEW_ACCOUNT_DAYS * DAY
    by_account = np.asarray(mech.plan_mult)[w.plan[inv_cust]] * np.where(new_acct, mech.new_account_mult, 1.0)
    answer_shift = np.concatenate([4.0 * (top2[pi] - 0.5), inv.nps_value - 7.0])
    resp_p = np.concatenate([S.RESP_P_CH[ch[pi]] * np.where(cat_[pi] > 0, mech.tough_mult, 1.0),
                             np.full(n_n, S.NPS_RESP_P)]) * by_account
    odds = resp_p / (1 - np.minimum(resp_p, 0.95)) * np.exp(mech.outcome_slope * answer_shift)
    resp_p = np.clip(odds / (1 + odds), 0.01, 0.95) if mech.outcome_slope else np.clip(resp_p, 0.01, 0.95)
    responded = rng.random(nin) < resp_p
    r_inv = np.nonzero(responded)[0]
    nrp = len(r_inv)
    is_pulse = inv_type[r_inv] == 0
    ii = np.where(is_pulse, pi[np.minimum(r_inv, max(n_p - 1, 0))] if n_p else 0, 0)
    # items: 0 csat,1 felt_understood,2 acknowledged_situation,3 clear_next_steps,4 nps,5 open_text
    ITEMS = ["csat", "felt_understood", "acknowledged_situation", "clear_next_steps", "nps", "open_text"]
    ans = np.zeros((nrp, 6), bool)
    ans[:, 0] = is_pulse
    ans[:, 1:4] = is_pulse[:, None] & (rng.random((nrp, 3)) < 0.92)
    ans[:, 4] = ~is_pulse
    ans[:, 5] = rng.random(nrp) < np.where(is_pulse, 0.25, 0.3)
    b = beh[ii]
    t2 = top2[ii]
    vals = np.zeros((nrp, 6))
    vals[:, 0] = csat[ii]
    vals[:, 1] = np.clip(np.rint(3.2 + 1.3 * b[:, 1] + 0.9 * b[:, 2] + 0.8 * t2 + rng.normal(0, 1.0, nrp)), 1, 7)
    vals[:, 2] = np.clip(np.rint(3.0 + 2.0 * b[:, 0] + 0.6 * t2 + rng.normal(0, 1.0, nrp)), 1, 7)
    vals[:, 3] = np.clip(np.rint(3.0 + 1.2 * b[:, 4] + 1.0 * b[:, 3] + 0.6 * t2 + rng.normal(0, 1.0, nrp)), 1, 7)
    vals[:, 4] = np.concatenate([np.zeros(n_p), inv.nps_value])[r_inv]
    keys = np.where(ans, rng.random((nrp, 6)), 2.0)
    pos = np.argsort(np.argsort(keys, axis=1), axis=1) + 1
    flat = np.nonzero(ans.ravel())[0]
    rr = flat // 6
    item = flat % 6
    nresp = len(rr)
    r_pos = pos.ravel()[flat]
    r_val = vals.ravel()[flat]
    r_at = np.minimum(inv_sent[r_inv] + rng.integers(5 * MINUTE, 2 * DAY, nrp), S.CAP - HOUR)[rr]
    # open text (some with PII)
    # the answer's theme depends on how it went: NPS category, or the pulse's CSAT (4-5, 3, 1-2)
    mood = np.where(is_pulse, np.where(csat[ii] >= 4, 0, np.where(csat[ii] == 3, 1, 2)),
                    np.where(vals[:, 4] >= 9, 0, np.where(vals[:, 4] >= 7, 1, 2)))[rr]
    theme_p = np.array([TX.OPEN_TEXT_THEME_P[m] for m in ("promoter", "passive", "detractor")])
    theme = np.minimum((rng.random(nresp)[:, None] > np.cumsum(theme_p[mood], axis=1)).sum(axis=1), 3)
    otxt = labels(open_text_answers(theme, rng, w.stream(17)), np.arange(nresp))
    rc = inv_cust[r_inv][rr]
    pii_ot = rng.random(nresp) < 0.1
    otxt = pc.if_else(pa.array(pii_ot), cat(labels(TX.OPEN_TEXT_PII_PREFIX, rng.integers(0, 2, nresp)),
                                            pc.if_else(pa.array(rng.random(nresp) < 0.5),
                                                       messy_phone(rng, w.phone_digits[rc]),
                                                       email_strings(w, rc)), "."), otxt)
    is_text = item == 5
    # dirt (only among clean responses: not consent-violating, customer not analytics-revoked)
    r_ok = ~inv_viol[r_inv][rr] & ~inv_ana[r_inv][rr] & (r_at < S.INT_END - 20 * DAY)
    u = rng.random(nresp)
    oos_csat = r_ok & (item == 0) & (u < 0.003)
    oos_fu = r_ok & (item == 1) & (u < 0.003)
    oos_nps = r_ok & (item == 4) & (u < 0.004)
    for m_, it in ((oos_csat, 0), (oos_fu, 1), (oos_nps, 4)):
        if not m_.any():
            c_ = np.nonzero(r_ok & (item == it))[0]
            m_[c_[:1]] = True
    r_val = np.where(oos_csat, np.where(rng.random(nresp) < 0.5, 6, 0), r_val)
    r_val = np.where(oos_fu, 9, r_val)
    r_val = np.where(oos_nps, 11, r_val)
    clean_r = r_ok & ~(oos_csat | oos_fu | oos_nps)
    rdup = at_least_one(np.nonzero(clean_r & (u >= 0.004) & (u < 0.007))[0], clean_r & (u >= 0.008))
    rorph = np.nonzero(clean_r & (u >= 0.007) & (u < 0.008))[0]
    if len(rorph) == 0:
        rorph = np.nonzero(clean_r)[0][:1]
    resp_rows = np.concatenate([np.arange(nresp), rorph, rdup])
    nrr = len(resp_rows)
    resp_num = w.base("resp") + np.concatenate([np.arange(1, nresp + len(rorph) + 1), rdup + 1])
    r_load = load_time(r_at, "survey_responses")
    r_load_all = np.concatenate([r_load, r_load[rorph], later_load(rng, r_load[rdup], "survey_responses")])
    r_inv_id = inv_id.take(pa.array(r_inv[rr]))
    orph_m = np.zeros(nrr, bool)
    orph_m[nresp:nresp + len(rorph)] = True
    rra = pa.array(resp_rows)
    r_is_text = is_text[resp_rows]
    resp = RawTable("survey_responses", {
        "response_id": ids("resp-", resp_num, 9),
        "invitation_id": pc.if_else(pa.array(orph_m), cat("inv-9", zpad((w.base("resp_rows") + np.arange(nrr)) % 10_000_000, 7)),
                                    r_inv_id.take(rra)),
        "item_code": labels(ITEMS, item[resp_rows]),
        "item_position": pa.array(r_pos[resp_rows].astype(np.int64)),
        "answer_numeric": pa.array(r_val[resp_rows], mask=r_is_text),
        "answer_text": with_nulls(otxt.take(rra), ~r_is_text),
        "responded_at": tscol(r_at[resp_rows]), "_loaded_at": tscol(r_load_all),
    })
    resp.parts = [(np.arange(nresp + len(rorph)), "naive"), (np.arange(nresp + len(rorph), nrr), "utc")]
    delivery = Delivery(resp, int(len(rdup)),
                        defects={"orphan_invitation": int(len(rorph)),
                                 "out_of_scale_csat": int(oos_csat.sum()),
                                 "out_of_scale_felt_understood": int(oos_fu.sum()),
                                 "out_of_scale_nps": int(oos_nps.sum())},
                        excluded={"analytics_revoked": int(inv_ana[r_inv][rr].sum()),
                                  "survey_contact_violation": int((inv_viol[r_inv][rr] & ~inv_ana[r_inv][rr]).sum())})
    # per-interaction survey truth
    invited_i = np.zeros(ni, bool); invited_i[pi] = True
    responded_i = np.zeros(ni, bool); responded_i[pi[responded[:n_p]]] = True
    return delivery, Responses(invited_i=invited_i, responded_i=responded_i, item=item, r_val=r_val,
                               oos_csat=oos_csat, viol=inv_viol[r_inv][rr], ana=inv_ana[r_inv][rr])


# ------------------------------------------------------------------ CRM customers and consent events
def customers_table(w: World, rng: np.random.Generator) -> Delivery:
    """customers: one row per account plus plan-change re-deliveries and duplicates
    (first draws of sub_rng(seed, 12))."""
    n = w.n
    c_upd = w.signup + rng.integers(MINUTE, HOUR, n)
    changed = np.nonzero(w.plan_change_at < INF)[0]
    c_ok = ~w.ana_revoked_final & (w.signup < S.INT_END - 30 * DAY) & (w.plan_change_at == INF)
    cdup = at_least_one(np.nonzero(c_ok & (rng.random(n) < 0.005))[0], c_ok)
    crows = np.concatenate([np.arange(n), changed, cdup])
    c_plan = np.concatenate([w.plan, w.new_plan[changed], w.plan[cdup]])
    c_upd_all = np.concatenate([c_upd, w.plan_change_at[changed], c_upd[cdup]])
    c_load = load_time(c_upd, "customers")
    c_load_all = np.concatenate([c_load, load_time(w.plan_change_at[changed], "customers"),
                                 later_load(rng, c_load[cdup], "customers")])
    cra = pa.array(crows)
    cust_tbl = RawTable("customers", {
        "account_id": account_ids(w, np.arange(n)).take(cra),
        "email": with_nulls(email_strings(w, np.arange(n)), w.email_null).take(cra),
        "phone": with_nulls(messy_phone(rng, w.phone_digits), w.phone_null).take(cra),
        "signup_at": tscol(w.signup[crows]), "plan": labels(S.PLANS, c_plan),
        "segment": labels(S.SEGMENTS, w.segment[crows]), "region": labels(S.REGIONS, w.region[crows]),
        "updated_at": tscol(c_upd_all), "_loaded_at": tscol(c_load_all),
    })
    cust_tbl.parts = [(np.arange(n), "naive"), (np.arange(n, len(crows)), "utc")]
    return Delivery(cust_tbl, int(len(changed) + len(cdup)),
                    excluded={"analytics_revoked": int(w.ana_revoked_final[crows].sum())})


def consent_events_table(w: World, rng: np.random.Generator) -> Delivery:
    """consent_events: the world's consent events with the identifier type/value each was captured under,
    plus duplicates (continues sub_rng(seed, 12) after customers_table)."""
    ce = w.consent_events
    ne = len(ce["cust"])
    ec = ce["cust"]
    itype = pick(rng, ne, [0.7, 0.2, 0.1])
    itype = np.where((itype == 1) & w.email_null[ec], 0, itype)
    itype = np.where((itype == 2) & w.phone_null[ec], 0, itype)
    ival = pc.choose(pa.array(itype), account_ids(w, ec), messy_email(rng, email_strings(w, ec)),
                     messy_phone(rng, w.phone_digits[ec]))
    eorder = np.lexsort((np.arange(ne), ce["at"]))
    e_num = np.empty(ne, np.int64); e_num[eorder] = w.base("ce") + np.arange(1, ne + 1)
    e_ok = ~w.ana_revoked_final[ec] & (ce["at"] < S.CAP - 20 * DAY)
    edup = at_least_one(np.nonzero(e_ok & (rng.random(ne) < 0.005))[0], e_ok)
    erows = np.concatenate([np.arange(ne), edup])
    e_load = load_time(ce["at"], "consent_events")
    era = pa.array(erows)
    cons = RawTable("consent_events", {
        "event_id": ids("ce-", e_num, 8).take(era),
        "identifier_type": labels(["account_id", "email", "phone"], itype[erows]),
        "identifier_value": ival.take(era),
        "purpose": labels(["analytics", "survey_contact", "call_recording"], ce["purpose"][erows]),
        "status": labels(["granted", "revoked"], ce["status"][erows]),
        "event_at": tscol(ce["at"][erows]),
        "source": labels(["web_form", "ivr", "support_agent"], ce["source"][erows]),
        "_loaded_at": tscol(np.concatenate([e_load, later_load(rng, e_load[edup], "consent_events")])),
    })
    cons.parts = [(np.arange(ne), "utc"), (np.arange(ne, len(erows)), "naive")]
    return Delivery(cons, int(len(edup)))


# ------------------------------------------------------------------ billing and product usage
def subscription_events_table(w: World, rng: np.random.Generator, c: Contacts) -> Delivery:
    """subscription_events: started / 90-day renewals / cancelled per account with MRR and cancel reasons,
    plus duplicates (continues sub_rng(seed, 12) after consent_events_table)."""
    n, life, churned = w.n, c.life, c.churned
    n_ren = np.maximum((c.end_obs - w.signup - 1) // (90 * DAY), 0)
    k_ev = 1 + n_ren + churned
    ec_ = np.repeat(np.arange(n), k_ev)
    pos_ = group_starts(k_ev)
    is_cancel = churned[ec_] & (pos_ == k_ev[ec_] - 1)
    ev_at = np.where(is_cancel, life["churn_at"][ec_], w.signup[ec_] + pos_ * 90 * DAY)
    ev_type = np.where(pos_ == 0, 0, np.where(is_cancel, 2, 1))
    plan_at = np.where(ev_at >= w.plan_change_at[ec_], w.new_plan[ec_], w.plan[ec_])
    mrr = np.where(is_cancel, 0.0, S.PLAN_MRR[plan_at])
    vol_ev = life["churn_vol"][ec_]
    creason = np.where(vol_ev, rng.integers(0, len(S.CANCEL_REASONS_VOL), len(ec_)), len(S.CANCEL_REASONS_VOL))
    nse = len(ec_)
    so = np.lexsort((np.arange(nse), ev_at))
    se_num = np.empty(nse, np.int64); se_num[so] = w.base("se") + np.arange(1, nse + 1)
    se_ok = ~w.ana_revoked_final[ec_] & (ev_at < S.CAP - 20 * DAY)
    sedup = at_least_one(np.nonzero(se_ok & (rng.random(nse) < 0.004))[0], se_ok)
    serows = np.concatenate([np.arange(nse), sedup])
    se_load = load_time(ev_at, "subscription_events")
    sera = pa.array(serows)
    sub = RawTable("subscription_events", {
        "event_id": ids("se-", se_num, 9).take(sera),
        "account_id": account_ids(w, ec_).take(sera),
        "event_type": labels(["started", "renewed", "cancelled"], ev_type[serows]),
        "is_voluntary": pa.array(vol_ev[serows], mask=~is_cancel[serows]),
        "cancel_reason": with_nulls(labels(S.CANCEL_REASONS_VOL + ["payment_failed"], creason[serows]),
                                    ~is_cancel[serows]),
        "mrr": pa.array(mrr[serows]),
        "event_at": tscol(ev_at[serows]),
        "_loaded_at": tscol(np.concatenate([se_load, later_load(rng, se_load[sedup], "subscription_events")])),
    })
    sub.parts = [(np.arange(nse), "naive"), (np.arange(nse, len(serows)), "utc")]
    return Delivery(sub, int(len(sedup)),
                    excluded={"analytics_revoked": int(w.ana_revoked_final[ec_[serows]].sum())})


def week_monday(d):
    """The Monday on or before epoch day `d` (1970-01-01 was a Thursday)."""
    return d - ((d + 3) % 7)


def product_usage_table(w: World, rng: np.random.Generator, c: Contacts) -> Delivery:
    """product_usage_weekly: one row per account-week of observation with active days and key actions (lower
    in the 8 weeks before a voluntary churn), plus duplicates (first draws of sub_rng(seed, 13))."""
    n, life, churned = w.n, c.life, c.churned
    sd = w.signup // DAY
    ed = (c.end_obs - 1) // DAY
    w0, w1 = week_monday(sd), week_monday(ed)
    nw = (w1 - w0) // 7 + 1
    uc = np.repeat(np.arange(n), nw)
    wk = w0[uc] + 7 * group_starts(nw)
    eng = rng.beta(4, 2, n)
    act_rate = rng.gamma(3.0, 4.0 / 3.0, n)
    vol_obs = life["churn_vol"] & churned
    weeks_before = (life["churn_at"][uc] // DAY - wk) / 7.0
    dip = np.where(vol_obs[uc] & (weeks_before < 8), 0.3 + 0.7 * np.clip(weeks_before, 0, 8) / 8, 1.0)
    active_days = rng.binomial(7, eng[uc] * dip)
    key_actions = rng.poisson(active_days * act_rate[uc])
    nu = len(uc)
    u_load = np.minimum((wk + 7) * DAY + 4 * HOUR + TABLE_MINUTE["product_usage_weekly"] * MINUTE, S.CAP)
    u_ok = ~w.ana_revoked_final[uc] & ((wk + 7) * DAY < S.CAP - 20 * DAY)
    udup = at_least_one(np.nonzero(u_ok & (rng.random(nu) < 0.002))[0], u_ok)
    urows = np.concatenate([np.arange(nu), udup])
    ura = pa.array(urows)
    usage = RawTable("product_usage_weekly", {
        "account_id": account_ids(w, uc).take(ura),
        "week_start": pa.array(wk[urows].astype(np.int32), pa.date32()),
        "active_days": pa.array(active_days[urows].astype(np.int64)),
        "key_actions": pa.array(key_actions[urows].astype(np.int64)),
        "_loaded_at": tscol(np.concatenate([u_load, later_load(rng, u_load[udup], "product_usage_weekly")])),
    })
    usage.parts = [(np.arange(nu), "utc"), (np.arange(nu, len(urows)), "naive")]
    return Delivery(usage, int(len(udup)),
                    excluded={"analytics_revoked": int(w.ana_revoked_final[uc[urows]].sum())})


def retention_offers_table(w: World, rng: np.random.Generator, c: Contacts, o: Outcomes) -> Delivery:
    """retention_offers: one save offer per cancellation contact (script, type, amount, accepted) with its offer
    time, plus duplicates (continues sub_rng(seed, 13) after product_usage_table)."""
    X, cust, cancel, ana_rev_row = c.X, c.cust, c.cancel, o.ana_rev_row
    orow = X["offer_row"]
    oi = np.nonzero(orow >= 0)[0]
    oi = oi[np.argsort(orow[oi])]
    no = len(oi)
    off_at = np.minimum(X["t"][oi] + rng.integers(2 * MINUTE, 15 * MINUTE, no), S.CAP - HOUR)
    o_load = load_time(off_at, "retention_offers")
    o_ok = ~ana_rev_row[oi] & (off_at < S.CAP - 20 * DAY)
    odup = at_least_one(np.nonzero(o_ok & (rng.random(no) < 0.01))[0], o_ok)
    orows = np.concatenate([np.arange(no), odup])
    ora = pa.array(orows)
    oia = pa.array(oi)
    offers = RawTable("retention_offers", {
        "offer_id": ids("ro-", w.base("ro") + np.arange(1, no + 1), 7).take(ora),
        "source_system": c.src_arr.take(oia).take(ora), "interaction_id": c.iid.take(oia).take(ora),
        "account_id": account_ids(w, cust[oi]).take(ora),
        "save_script": labels(S.SAVE_SCRIPTS, cancel["script"][orows]),
        "offer_type": labels(S.OFFER_TYPES, cancel["offer"][orows]),
        "offer_amount": pa.array(cancel["amount"][orows].astype(float)),
        "is_accepted": pa.array(cancel["accepted"][orows]),
        "offered_at": tscol(off_at[orows]),
        "_loaded_at": tscol(np.concatenate([o_load, later_load(rng, o_load[odup], "retention_offers")])),
    })
    offers.parts = [(np.arange(no), "utc"), (np.arange(no, len(orows)), "naive")]
    return Delivery(offers, int(len(odup)),
                    excluded={"analytics_revoked": int(ana_rev_row[oi[orows]].sum())})


# ------------------------------------------------------------------ HR: agents and training
def agents_table(w: World, rng: np.random.Generator) -> Delivery:
    """agents: one row per agent (team, site, supervisor) plus re-deliveries when the roster changed: a team change
    or a move to another supervisor (continues sub_rng(seed, 13) after retention_offers_table; the moves come from
    the world, so the draws here are unchanged)."""
    na, nt = w.n_agents, w.n_teams
    sites = ["austin", "dublin", "manila", "bogota"]
    team_site = np.arange(nt) % len(sites)
    chg = np.nonzero(w.team_change_at < INF)[0]
    a_upd0 = w.hired + rng.integers(HOUR, DAY, na)
    # versions: hire, team change, and the move to another supervisor (recorded by HR within the day)
    moved = np.nonzero(w.sup_move_at < INF)[0]
    agent_v = [np.arange(na), chg, moved]
    at_v = [a_upd0, w.team_change_at[chg], w.sup_move_at[moved] + (moved % 7) * HOUR]
    arows = np.concatenate(agent_v)
    a_upd = np.concatenate(at_v)
    a_team = team_at(w, arows, a_upd)
    a_sup = supervisor_at(w, arows, a_upd)
    ag = RawTable("agents", {
        "agent_id": ids("AG", arows + 1, 4), "team": ids("team_", a_team + 1, 2),
        "site": labels(sites, team_site[a_team]), "supervisor_id": ids("SUP", a_sup + 1, 3),
        "hired_at": tscol(w.hired[arows]), "updated_at": tscol(a_upd),
        "_loaded_at": tscol(np.maximum(load_time(a_upd, "agents"), T("2025-01-01T01:00:00"))),
    })
    ag.parts = [(np.arange(na), "utc"), (np.arange(na, len(arows)), "naive")]
    return Delivery(ag, int(len(arows) - na))


def training_completions_table(w: World, rng: np.random.Generator) -> Delivery:
    """training_completions: empathy_foundations completions of the staggered waves and frustration_first_30s
    for ~25% of agents, plus two duplicates (continues sub_rng(seed, 13) after agents_table)."""
    na = w.n_agents
    tr_a = np.nonzero(w.train_at < INF)[0]
    fr_a = np.nonzero(rng.random(na) < 0.25)[0]
    fr_at = np.maximum(rng.integers(T("2025-03-01"), T("2026-05-01"), len(fr_a)), w.hired[fr_a] + 7 * DAY)
    fr_keep = fr_at < S.CAP - 30 * DAY
    fr_a, fr_at = fr_a[fr_keep], fr_at[fr_keep]
    tc_a = np.concatenate([tr_a, fr_a])
    tc_m = np.concatenate([np.zeros(len(tr_a), np.int64), np.ones(len(fr_a), np.int64)])
    tc_at = np.concatenate([w.train_at[tr_a], fr_at])
    tdup = np.arange(min(2, len(tc_a)))
    tcrows = np.concatenate([np.arange(len(tc_a)), tdup])
    tc_load = load_time(tc_at, "training_completions")
    trn = RawTable("training_completions", {
        "agent_id": ids("AG", tc_a[tcrows] + 1, 4),
        "module_code": labels(["empathy_foundations", "frustration_first_30s"], tc_m[tcrows]),
        "completed_at": tscol(tc_at[tcrows]),
        "_loaded_at": tscol(np.concatenate([tc_load, later_load(rng, tc_load[tdup], "training_completions")])),
    })
    trn.parts = [(np.arange(len(tc_a)), "naive"), (np.arange(len(tc_a), len(tcrows)), "utc")]
    return Delivery(trn, int(len(tdup)))


# ------------------------------------------------------------------ experiment and incidents
def experiment_assignments_table(w: World, rng) -> Delivery:
    """experiment_assignments: the queue experiment (the arm of each of the 12 queues, plus two re-delivered
    rows; no random draws) and the broken schedule-block experiment (spec.EXPERIMENT2_ID, stream sub_rng(seed,
    14)): 166 of the 168 hour-of-week blocks delivered, each in treatment w.p. 2/3, three of them re-assigned
    to the other arm at spec.EXP2_FLIP_AT (a second row with the later assigned_at)."""
    exp_at = S.EXP_START
    qrows_ = np.concatenate([np.arange(12), [0, 5]])
    e_l = np.full(12, exp_at + 2 * HOUR)
    nb = len(S.SCHEDULE_BLOCKS)
    b_treat = rng.random(nb) < S.EXP2_TREAT_P
    kept = np.sort(rng.permutation(nb)[S.EXP2_LOST_BLOCKS:])
    flipped = np.sort(rng.choice(kept, S.EXP2_FLIPPED_BLOCKS, replace=False))
    brows = np.concatenate([kept, flipped])
    b_arm = np.concatenate([b_treat[kept], ~b_treat[flipped]])
    b_at = np.concatenate([np.full(len(kept), S.EXP2_START), np.full(len(flipped), S.EXP2_FLIP_AT)])
    w.block_arms = {"treatment": [S.SCHEDULE_BLOCKS[i] for i in kept if b_treat[i]],
                    "control": [S.SCHEDULE_BLOCKS[i] for i in kept if not b_treat[i]],
                    "lost": [S.SCHEDULE_BLOCKS[i] for i in sorted(set(range(nb)) - set(kept.tolist()))],
                    "flipped": [S.SCHEDULE_BLOCKS[i] for i in flipped]}
    exp = RawTable("experiment_assignments", {
        "experiment_id": pa.array([S.EXPERIMENT_ID] * len(qrows_) + [S.EXPERIMENT2_ID] * len(brows)),
        "unit_type": pa.array(["queue"] * len(qrows_) + ["schedule_block"] * len(brows)),
        "unit_id": pa.concat_arrays([labels(S.QUEUES, qrows_), labels(S.SCHEDULE_BLOCKS, brows)]),
        "arm": labels(["control", "treatment"], np.concatenate([w.q_treat[qrows_], b_arm]).astype(np.int64)),
        "assigned_at": tscol(np.concatenate([np.full(len(qrows_), exp_at), b_at])),
        "_loaded_at": tscol(np.concatenate([e_l, np.full(2, exp_at + 30 * DAY), b_at + 2 * HOUR])),
    })
    exp.parts = [(np.arange(12), "utc"), (np.arange(12, len(qrows_) + len(brows)), "naive")]
    return Delivery(exp, 2)


def incidents_table(w: World) -> Delivery:
    """incidents: the world's incidents, open ones re-delivered once their end is known (no random draws)."""
    inc = w.incidents
    nic = len(inc["start"])
    i_l0 = load_time(inc["start"], "incidents")
    known = inc["end"] <= i_l0
    upd = ~known & (inc["end"] < S.CAP - HOUR)
    ui = np.nonzero(upd)[0]
    icrows = np.concatenate([np.arange(nic), ui])
    ic_end_null = np.concatenate([~known, np.zeros(len(ui), bool)])
    ic_end = np.where(ic_end_null, 0, inc["end"][icrows])
    incid = RawTable("incidents", {
        "incident_id": ids("INC-", icrows + 1, 4), "product": labels(S.PRODUCTS, inc["product"][icrows]),
        "severity": labels(["sev1", "sev2", "sev3"], inc["sev"][icrows]),
        "started_at": tscol(inc["start"][icrows]), "ended_at": tscol(ic_end, ic_end_null),
        "_loaded_at": tscol(np.concatenate([i_l0, load_time(inc["end"][ui], "incidents")])),
    })
    incid.parts = [(np.arange(nic), "naive"), (np.arange(nic, len(icrows)), "utc")]
    return Delivery(incid, int(len(ui)))


# ------------------------------------------------------------------ truth files
def ts_us(a, m) -> pa.Array:
    """Epoch seconds -> timestamp[us, UTC] array, null where `m`."""
    return pa.array(a * 1_000_000, pa.timestamp("us", tz="UTC"), mask=m)


TRUTH_FILES = {"interaction": "interaction_truth.parquet", "customer": "customer_truth.parquet",
               "nps_population": "nps_population_truth.parquet"}


def write_truth(out: Path, w: World, c: Contacts, o: Outcomes, d: InteractionDirt, r: Responses,
                segs_per_inter: np.ndarray, nps_population: pa.Table) -> None:
    """_truth/interaction_truth.parquet, _truth/customer_truth.parquet and _truth/nps_population_truth.parquet:
    latent per-interaction and per-customer truth (behaviours, CSAT potential, consent, churn clocks) for the tests
    (no random draws)."""
    tdir = out / "_truth"
    if tdir.exists():
        shutil.rmtree(tdir)
    tdir.mkdir()
    for key, table in truth_tables(w, c, o, d, r, segs_per_inter, nps_population).items():
        pq.write_table(table, tdir / TRUTH_FILES[key], compression="zstd")


def truth_tables(w: World, c: Contacts, o: Outcomes, d: InteractionDirt, r: Responses,
                 segs_per_inter: np.ndarray, nps_population: pa.Table) -> dict[str, pa.Table]:
    """The truth tables of one world (in streaming mode: of one chunk, appended to the truth files by the
    generator), keyed as TRUTH_FILES."""
    X, life, ch, ni, n = c.X, c.life, c.ch, c.ni, w.n
    cat_, beh = X["cat"], X["beh"]
    fa = pa.array
    it = pa.table({
        "source_system": c.src_arr, "interaction_id": c.iid, "account_id": d.acct,
        "channel": labels(S.CHANNELS, ch),
        "tough_moment_category": labels([c_ or "" for c_ in S.CATS], cat_).cast(pa.string()),
        "ack_within_30s": fa(X["ack30"]),
        **{b: fa(beh[:, j]) for j, b in enumerate(S.BEHAVIOURS)},
        **{f"p_{b}": fa(X["p_beh"][:, j]) for j, b in enumerate(S.BEHAVIOURS)},
        "p_top2": fa(o.p_top2), "csat_potential": fa(o.csat.astype(np.int64)),
        "csat_top2_potential": fa(o.top2), "is_eligible_for_pulse": fa(d.eligible),
        "is_resolved": fa(X["resolved"] & ~o.open_), "is_open": fa(o.open_), "is_bot_only": fa(X["bot_only"]),
        "started_at": fa(X["t"] * 1_000_000, pa.timestamp("us", tz="UTC")),
        "agent_id": ids("AG", X["agent"] + 1, 4), "queue": labels(S.QUEUES, X["queue"]),
        "agent_trained": fa(X["trained"]), "experiment_treated": fa(X["treat"]),
        "call_recording_granted": fa(o.rec_ok), "analytics_revoked": fa(o.ana_rev_row),
        "planted_defect": fa(d.bad_end), "invited": fa(r.invited_i), "responded": fa(r.responded_i),
        "n_transcript_segments": fa(segs_per_inter.astype(np.int64)),
    })
    it = it.set_column(it.schema.get_field_index("tough_moment_category"), "tough_moment_category",
                       pc.if_else(pa.array(cat_ == 0), pa.nulls(ni, pa.string()),
                                  labels([c_ or "" for c_ in S.CATS], cat_)))
    fcp = c.first_pos
    has_obs_fc = fcp >= 0
    fcp0 = np.maximum(fcp, 0)
    vol_at = np.where(life["churn_vol"] & (life["churn_at"] <= S.CAP), life["churn_at"], 0)
    inv_at = np.where(~life["churn_vol"] & (life["churn_at"] <= S.CAP), life["churn_at"], 0)
    ct_ = pa.table({
        "account_id": account_ids(w, np.arange(n)),
        "signup_at": ts_us(w.signup, None),
        "plan": labels(S.PLANS, w.plan), "segment": labels(S.SEGMENTS, w.segment),
        "first_contact_source_system": with_nulls(c.src_arr.take(fa(fcp0)), ~has_obs_fc),
        "first_contact_interaction_id": with_nulls(c.iid.take(fa(fcp0)), ~has_obs_fc),
        "first_contact_at": ts_us(X["t"][fcp0], ~has_obs_fc),
        "exposed_ack_within_30s": fa(life["exposed"], mask=~has_obs_fc),
        "in_planted_cohort": fa(life["has_fc"] & has_obs_fc),
        "voluntary_hazard_per_day": fa(life["rate"]),
        "voluntary_churn_at": ts_us(vol_at, vol_at == 0),
        "involuntary_churn_at": ts_us(inv_at, inv_at == 0),
        "voluntary_latent_at": ts_us(np.minimum(life["vol_latent"], T("2200-01-01")), None),
        "involuntary_latent_at": ts_us(np.minimum(life["invol_latent"], T("2200-01-01")), None),
        "analytics_revoked": fa(w.ana_revoked_final),
        "survey_contact_revoked_at": ts_us(np.where(w.survey_revoke_at < INF, w.survey_revoke_at, 0),
                                           w.survey_revoke_at >= INF),
    })
    return {"interaction": it, "customer": ct_, "nps_population": nps_population}
