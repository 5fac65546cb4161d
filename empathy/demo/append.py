"""Append one day of deliveries to an existing demo folder, for the incremental path.

    python -m empathy.demo.generate --append-day --out data/demo [--seed S]

The day is the calendar day (UTC) after the latest ``_loaded_at`` in the folder; every row written carries a
``_loaded_at`` inside that day and goes to new files ``<table>/day-YYYYMMDD-part-<i>.parquet`` (part 0000: new
records, 0001: re-deliveries of existing records), so the existing files stay untouched. The latent world (customers,
agents, supervisors, consent, training, experiment arms) is re-derived from the manifest's seed, customer count and
chunk size exactly as the generator drew it, so the day's new contacts follow the same behaviour, CSAT, sampling and
response models; what the world cannot know (cancellations, open interactions, plan changes and revocations of
earlier appended days, the ids in use) is read from the folder. The random draws of a day come from the stream
[seed, 900, day number], ``seed`` defaulting to the manifest's: the same folder and seed give the same day.

One day delivers:

* interactions of existing, not cancelled customers (contact rate as in the demo) with their transcript segments,
  QA reviews (10% regular, 2% calibration), csat-pulse invitations (stratum probabilities, survey-contact
  suppression) and responses (the manifest's response mechanism); a contact still running at the day's last load
  is delivered open (``ended_at`` null);
* a few new customers (CRM row, consent grants at signup, a ``started`` subscription event);
* re-deliveries: open interactions of earlier loads, now ended (later ``updated_at`` and ``_loaded_at``); customers
  with a changed plan (later ``updated_at``); unchanged copies of a sample of survey invitations and subscription
  events (later ``_loaded_at`` only);
* late consent revocations: ``analytics`` revoked for a few existing customers, the event dated up to two days
  before the day and delivered that day;
* subscription events of the day: 90-day renewals falling on it and cancellations (voluntary at the demo's hazard
  by plan and segment, involuntary at its payment-failure hazard) of customers without a contact that day.

Product usage, retention offers, the roster, training, experiments and incidents get no rows; the truth files are
not extended (they describe the base generation). manifest.json gains an ``appended_days`` entry per day.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import spec as S
from . import text as TX
from .families import open_text_answers, reviewer_lenience
from .raw import card_numbers, email_strings, messy_email, messy_phone
from .stream import chunk_bounds
from .util import DAY, HOUR, MINUTE, cat, group_starts, ids, labels, pick, sub_rng, ts_array, with_nulls
from .world import (INF, World, contact_attributes, make_agents, make_consent, make_customers, make_incidents,
                    make_supervisors)

APPEND_STAGE = 900  # the day's random stream: [seed, APPEND_STAGE, day number]
ITEMS = ["csat", "felt_understood", "acknowledged_situation", "clear_next_steps", "nps", "open_text"]


# ------------------------------------------------------------------ the latent world, again
def rebuild_world(manifest: dict) -> World:
    """The generator's latent world for the manifest's seed, customers and chunk size (customers, consent, agents,
    supervisors, incidents; no contacts), drawn from the same streams as the generator drew them."""
    seed, n = int(manifest["seed"]), int(manifest["customers"])
    chunk = (manifest.get("streaming") or {}).get("chunk_customers")
    w = World(n=n, seed=seed)
    make_agents(w, sub_rng(seed, 2))
    make_supervisors(w, sub_rng(seed, 15))
    make_incidents(w, sub_rng(seed, 4))
    if chunk is None:
        make_customers(w, sub_rng(seed, 1))
        make_consent(w, sub_rng(seed, 3))
        w.consent_events = {}
        return w
    fields = ["signup", "plan", "segment", "region", "email_null", "phone_null", "phone_digits", "first_i", "last_i",
              "plan_change_at", "new_plan", "ana_revoked_final", "survey_revoke_at", "rec_grant_at", "rec_revoke_at"]
    parts: dict[str, list[np.ndarray]] = {f: [] for f in fields}
    for k, (first, size) in enumerate(chunk_bounds(n, int(chunk))):
        cw = dataclasses.replace(w, n=size, first=first, n_total=n, chunk=k)
        make_customers(cw, cw.stream(1))
        make_consent(cw, cw.stream(3))
        for f in fields:
            parts[f].append(getattr(cw, f))
    for f in fields:
        setattr(w, f, np.concatenate(parts[f]))
    return w


# ------------------------------------------------------------------ reading the folder
class Folder:
    """Read-only queries on an existing demo folder (DuckDB, bounded memory)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.con = duckdb.connect()
        self.con.execute("set TimeZone='UTC'; set memory_limit='1GB'; set preserve_insertion_order=false")

    def src(self, table: str) -> str:
        return f"read_parquet('{self.out / table}/*.parquet', union_by_name=true)"

    def one(self, sql: str):
        return self.con.execute(sql).fetchone()[0]

    def latest_load(self) -> int:
        """The latest _loaded_at over every table, epoch seconds."""
        return max(int(self.one(f"select epoch(max(_loaded_at::timestamptz)) from {self.src(t)}")) for t in S.CONTRACT)

    def max_number(self, table: str, column: str, where: str = "true") -> int:
        """The largest number at the end of ``column``'s ids (0 if none)."""
        v = self.one(f"select max(cast(regexp_extract({column}, '([0-9]+)$', 1) as bigint)) from {self.src(table)} "
                     f"where {where}")
        return int(v or 0)

    def cancelled_accounts(self) -> np.ndarray:
        return np.array([r[0] for r in self.con.execute(
            f"select distinct account_id from {self.src('subscription_events')} where event_type = 'cancelled'"
        ).fetchall()], dtype=object)

    def open_interactions(self) -> pa.Table:
        """The latest version of every interaction still open (ended_at null), timestamps as epoch seconds."""
        ts = ["started_at", "first_agent_response_at", "ended_at", "updated_at", "_loaded_at"]
        plain = [c for c, _ in S.CONTRACT["interactions"] if c not in ts]
        sel = ", ".join(plain + [f"epoch({c}::timestamptz)::bigint as {c}" for c in ts])
        return self.con.execute(f"""
            with i as (select * from {self.src('interactions')}),
            cand as (select distinct source_system, interaction_id from i where ended_at is null),
            latest as (select {sel} from i semi join cand using (source_system, interaction_id)
                       qualify row_number() over (partition by source_system, interaction_id
                                                  order by updated_at::timestamptz desc,
                                                           _loaded_at::timestamptz desc) = 1)
            select * from latest where ended_at is null order by source_system, interaction_id""").arrow().read_all()

    def latest_rows(self, table: str, key: str, values: list[str]) -> pa.Table:
        """The latest version of the rows of ``table`` whose ``key`` is in ``values`` (timestamps as epoch seconds),
        ordered by key."""
        cols = S.CONTRACT[table]
        sel = ", ".join(f"epoch({c}::timestamptz)::bigint as {c}" if t == "ts" else c for c, t in cols)
        order = ("order by updated_at::timestamptz desc, _loaded_at::timestamptz desc"
                 if any(c == "updated_at" for c, _ in cols) else "order by _loaded_at::timestamptz desc")
        self.con.register("wanted", pa.table({key: pa.array(values, pa.string())}))
        try:
            return self.con.execute(f"""
                select {sel} from {self.src(table)} t semi join wanted using ({key})
                qualify row_number() over (partition by {key} {order}) = 1 order by {key}""").arrow().read_all()
        finally:
            self.con.unregister("wanted")

    def sample_rows(self, table: str, key: str, share: float, seed: int, exclude_accounts: list[str]) -> pa.Table:
        """A deterministic sample (by hash of the key and the seed) of distinct rows of ``table`` whose account is
        not excluded (timestamps as epoch seconds), one row per key: its latest delivery."""
        cols = S.CONTRACT[table]
        sel = ", ".join(f"epoch({c}::timestamptz)::bigint as {c}" if t == "ts" else c for c, t in cols)
        self.con.register("excluded", pa.table({"account_id": pa.array(exclude_accounts, pa.string())}))
        try:
            return self.con.execute(f"""
                select {sel} from {self.src(table)} t
                where hash({key} || '/{seed}') % 1000000 < {int(share * 1_000_000)}
                  and account_id is not null and account_id not in (select account_id from excluded)
                qualify row_number() over (partition by {key} order by _loaded_at::timestamptz desc) = 1
                order by {key}""").arrow().read_all()
        finally:
            self.con.unregister("excluded")


def customer_of(rows: pa.Table, n: int) -> np.ndarray:
    """The world's customer index of each interaction row from whichever identifier it carries (account number;
    the number in the email's local part; the phone's subscriber number), -1 if none resolves (e.g. a customer of
    an earlier appended day)."""
    def number(col: str, pattern: str, minus: int) -> np.ndarray:
        v = pc.extract_regex(rows.column(col), pattern)
        num = pc.cast(pc.struct_field(v, [0]), pa.int64(), safe=False) if rows.num_rows else pa.array([], pa.int64())
        return np.asarray(pc.fill_null(num, -1), dtype=np.int64) - np.where(
            np.asarray(pc.fill_null(num, -1)) >= 0, minus, 0)
    digits = pc.replace_substring_regex(pc.fill_null(rows.column("customer_phone"), ""), "[^0-9]", "")
    rows = rows.set_column(rows.schema.get_field_index("customer_phone"), "customer_phone", digits)
    a = number("account_id", r"^A(?P<n>[0-9]+)$", 1)
    e = number("customer_email", r"(?P<n>[0-9]+)@", 1)
    p = number("customer_phone", r"(?P<n>[0-9]{7})$", 2_000_000)
    who = np.where(a >= 0, a, np.where(e >= 0, e, p))
    return np.where((who >= 0) & (who < n), who, -1)


# ------------------------------------------------------------------ writing
def day_tag(day: int) -> str:
    return str(np.datetime64(int(day), "s").astype("datetime64[D]")).replace("-", "")


def write_part(out: Path, table: str, tag: str, i: int, cols: dict) -> int:
    """Write one appended part file with the contract's columns; timestamp columns are given as epoch seconds (with
    an optional null mask: (seconds, null)) and written as timestamp[us, UTC]. Returns the rows written."""
    arrays = []
    for c, typ in S.CONTRACT[table]:
        v = cols[c]
        if typ == "ts":
            sec, null = v if isinstance(v, tuple) else (v, None)
            arrays.append(ts_array(np.asarray(sec, dtype=np.int64), null, "utc"))
        else:
            arrays.append(v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(v))
    tbl = pa.Table.from_arrays(arrays, names=[c for c, _ in S.CONTRACT[table]])
    if tbl.num_rows == 0:
        return 0
    fn = out / table / f"day-{tag}-part-{i:04d}.parquet"
    if fn.exists():
        raise FileExistsError(f"{fn} exists: that day was already appended")
    pq.write_table(tbl, fn, compression="zstd")
    return tbl.num_rows


def copy_with(rows: pa.Table, **changes) -> dict:
    """The columns of ``rows`` (timestamps as epoch seconds, nulls as masks) with some of them replaced."""
    out = {}
    for name in rows.column_names:
        col = rows.column(name).combine_chunks()
        if pa.types.is_integer(col.type) and name.endswith(("_at",)):
            out[name] = (np.asarray(col.fill_null(0), dtype=np.int64), np.asarray(col.is_null()))
        else:
            out[name] = col
    out.update(changes)
    return out


# ------------------------------------------------------------------ the day
class Day:
    """The window of one appended day and its load times."""

    def __init__(self, start: int, rng: np.random.Generator) -> None:
        self.start, self.end, self.rng = start, start + DAY, rng

    def load(self, at) -> np.ndarray:
        """A load 20 minutes to 2 hours after ``at``, inside the day (never before 00:30)."""
        at = np.asarray(at, dtype=np.int64)
        lt = at + self.rng.integers(20 * MINUTE, 2 * HOUR, len(at))
        return np.clip(lt, self.start + 30 * MINUTE, self.end - MINUTE)

    def times(self, n: int, lo: int = 0, hi: int = 20 * HOUR) -> np.ndarray:
        """``n`` instants of the day between lo and hi seconds after midnight."""
        return self.start + self.rng.integers(lo, hi, n)


def append_day(out: Path | str, seed: int | None = None) -> dict:
    """Append one day to the demo folder ``out`` (see the module docstring); returns the day's manifest entry."""
    from .generate import MARKER, FolderNotOwned

    out = Path(out)
    if not (out / MARKER).exists() or not (out / "manifest.json").exists():
        raise FolderNotOwned(f"{out} is not a demo folder written by the generator (no {MARKER} or manifest.json)")
    manifest = json.loads((out / "manifest.json").read_text())
    seed = int(manifest["seed"] if seed is None else seed)
    folder = Folder(out)
    latest = folder.latest_load()
    start = (latest // DAY + 1) * DAY
    rng = np.random.default_rng([seed, APPEND_STAGE, start // DAY])
    day = Day(start, rng)
    tag = day_tag(start)
    w = rebuild_world(manifest)
    w.route_rng = np.random.default_rng([seed, APPEND_STAGE + 1, start // DAY])
    mech = S.RESPONSE_MECHANISMS[manifest["sampling"]["response_mechanism"]["name"]]
    n = w.n
    acct_all = ids("A", np.arange(n) + 1, 6)
    previous = manifest.get("appended_days", [])

    # who is still a customer, and whose analytics consent is gone (the world's and earlier days' revocations)
    cancelled = set(folder.cancelled_accounts().tolist())
    active = np.array([a not in cancelled for a in acct_all.to_pylist()]) & (w.signup < start)
    revoked = w.ana_revoked_final.copy()
    revoked_before = {a for d in previous for a in d.get("analytics_revoked_accounts", [])}
    if revoked_before:
        revoked |= np.isin(np.asarray(acct_all.to_pylist(), dtype=object), list(revoked_before))
    rows: dict[str, int] = {t: 0 for t in S.CONTRACT}
    redelivered: dict[str, int] = {}

    pending: list[tuple[str, int, dict, bool]] = []

    def put(table: str, i: int, cols: dict, again: bool = False) -> None:
        """Keep one part file to write once the day is complete (every read of the folder sees it without the
        day's files)."""
        pending.append((table, i, cols, again))

    # ---------------------------------------------------------- new contacts of existing customers
    rate = 11.0 / 365.0
    k_per = rng.poisson(rate, n) * active
    cust = np.repeat(np.arange(n), k_per)
    t = day.times(len(cust), 0, 20 * HOUR)
    order = np.lexsort((cust, t))
    cust, t = cust[order], t[order]
    ni = len(cust)
    X = contact_attributes(w, rng, cust, t)
    ch, src = X["ch"], S.SRC_OF_CH[X["ch"]]
    cut = day.end - 90 * MINUTE  # contacts not ended by then are delivered open
    open_ = X["ended"] > cut
    ended = np.where(open_, 0, X["ended"])
    updated = np.where(open_, t + rng.integers(MINUTE, 10 * MINUTE, ni), ended + rng.integers(0, 30 * MINUTE, ni))
    loaded = day.load(updated)
    seq = np.zeros(ni, np.int64)
    for s, name in enumerate(S.SOURCES):
        m = src == s
        seq[m] = folder.max_number("interactions", "interaction_id", f"source_system = '{name}'") + np.arange(
            1, int(m.sum()) + 1)
    iid = pc.choose(pa.array(src), *[ids(p, seq, 7) for p in S.ID_PREFIX]) if ni else pa.array([], pa.string())
    src_arr = labels(S.SOURCES, src)
    acct = ids("A", cust + 1, 6)
    pat = pick(rng, ni, [0.40, 0.18, 0.14, 0.14, 0.07, 0.07])
    want_a = np.isin(pat, [0, 3, 4, 5])
    want_e = np.isin(pat, [1, 3, 5]) & ~w.email_null[cust]
    want_p = np.isin(pat, [2, 4, 5]) & ~w.phone_null[cust]
    want_a |= ~(want_e | want_p)
    flat_labels = [x for xs in S.CH_LABELS for x in xs]
    ch_start = np.cumsum([0] + [len(x) for x in S.CH_LABELS])[:-1]
    ch_n = np.array([len(x) for x in S.CH_LABELS])
    resolved = X["resolved"] & ~open_
    put("interactions", 0, {
        "interaction_id": iid, "source_system": src_arr,
        "channel": labels(flat_labels, ch_start[ch] + (rng.random(ni) * ch_n[ch]).astype(np.int64)),
        "account_id": with_nulls(acct, ~want_a),
        "customer_email": with_nulls(messy_email(rng, email_strings(w, cust)), ~want_e),
        "customer_phone": with_nulls(messy_phone(rng, w.phone_digits[cust]), ~want_p),
        "agent_id": ids("AG", X["agent"] + 1, 4), "queue": labels(S.QUEUES, X["queue"]),
        "product": labels(S.PRODUCTS, X["product"]), "contact_reason": labels(S.REASONS, X["reason"]),
        "is_escalated": pa.array(X["esc"]), "started_at": t,
        "first_agent_response_at": (X["first_resp"], X["bot_only"]), "ended_at": (ended, open_),
        "is_resolved": pa.array(resolved, mask=open_), "updated_at": updated, "_loaded_at": loaded})

    # transcript segments (delivered with their interaction)
    NS = X["pres"].shape[1]
    flat = np.nonzero(X["pres"].ravel())[0]
    si, slot = flat // NS, flat % NS
    nseg = len(si)
    spk = X["spk"].ravel()[flat]
    txt = X["txt"].ravel()[flat].astype(np.int64)
    off = X["off"].ravel()[flat]
    pii = np.nonzero(txt < 0)[0]
    kind = -1 - txt[pii]
    pc_ = cust[si[pii]]
    pii_txt = cat(labels(TX.PII_PREFIX, kind),
                  pc.choose(pa.array(kind), email_strings(w, pc_), messy_phone(rng, w.phone_digits[pc_]),
                            card_numbers(rng, len(pii))), labels(TX.PII_SUFFIX, kind))
    txt[pii] = len(TX.PHRASES) + np.arange(len(pii))
    sm = (0.15 - 0.35 * (X["cat"][si] > 0) - 0.2 * ~resolved[si] + 0.08 * X["beh"][si].sum(1))
    sent = np.clip(np.where(spk == 1, sm + rng.normal(0, 0.3, nseg),
                            np.where(spk == 0, rng.normal(0.35, 0.2, nseg), rng.normal(0.1, 0.1, nseg))), -1, 1)
    spk_n = np.where(spk == 1, np.where(ch[si] == 0, 3, 2), np.where(spk == 0, 3, 2))
    put("transcript_segments", 0, {
        "source_system": src_arr.take(pa.array(si)), "interaction_id": iid.take(pa.array(si)),
        "segment_index": pa.array(group_starts(X["pres"].sum(1)).astype(np.int64)),
        "speaker": labels([x for xs in S.SPEAKER_LABELS for x in xs],
                          np.array([0, 3, 6])[spk] + (rng.random(nseg) * spk_n).astype(np.int64)),
        "offset_ms": pa.array(off.astype(np.int64)),
        "text": pa.concat_arrays([pa.array(TX.PHRASES), pii_txt]).take(pa.array(txt)),
        "sentiment": pa.array(sent.round(3), mask=src[si] == 2), "_loaded_at": loaded[si]})

    # CSAT potential, as the demo models it
    p_top2 = np.clip(S.CSAT_BASE_CH[ch] + S.CSAT_CAT_OFF[X["cat"]] + np.where(resolved, 0.0, S.CSAT_UNRESOLVED)
                     + S.ACK30_LIFT * X["ack30"] + (X["beh"] * S.BEH_COEF).sum(1), *S.TOP2_CLIP)
    top2 = rng.random(ni) < p_top2
    csat = np.where(top2, np.where(rng.random(ni) < 0.55, 5, 4), pick(rng, ni, [0.2, 0.3, 0.5]) + 1)

    # QA reviews of the day's ended contacts
    lenience = reviewer_lenience(sub_rng(seed, 10))
    rev_at = ended + rng.integers(HOUR, 3 * HOUR, ni)
    pool = ~open_ & ~X["bot_only"] & (rev_at < day.end - HOUR)
    u = rng.random(ni)
    reg, calib = np.nonzero(pool & (u < 0.10))[0], np.nonzero(pool & (u >= 0.10) & (u < 0.12))[0]
    k_cal = rng.integers(2, 4, len(calib))
    sess_i = np.concatenate([reg, np.repeat(calib, k_cal)])
    cal_r = np.argsort(rng.random((len(calib), len(lenience))), axis=1)[:, :3]
    sess_r = np.concatenate([rng.integers(0, len(lenience), len(reg)),
                             cal_r[np.repeat(np.arange(len(calib)), k_cal), group_starts(k_cal)]])
    sess_c = np.concatenate([np.zeros(len(reg), bool), np.ones(len(sess_i) - len(reg), bool)])
    q_i, q_b = np.repeat(sess_i, 5), np.tile(np.arange(5), len(sess_i))
    q_r, q_c, q_at = np.repeat(sess_r, 5), np.repeat(sess_c, 5), rev_at[np.repeat(sess_i, 5)]
    nq = len(q_i)
    score = np.clip(np.rint(1.6 + 2.4 * X["beh"][q_i, q_b] + lenience[q_r] + rng.normal(0, 0.7, nq)), 1, 5)
    put("qa_reviews", 0, {
        "review_id": ids("qa-", folder.max_number("qa_reviews", "review_id") + np.arange(1, nq + 1), 8),
        "source_system": src_arr.take(pa.array(q_i)), "interaction_id": iid.take(pa.array(q_i)),
        "reviewer_id": ids("QA", q_r + 1, 2), "behavior_code": labels(S.BEHAVIOURS, q_b),
        "score": pa.array(score.astype(np.int64)), "is_calibration": pa.array(q_c), "reviewed_at": q_at,
        "comment": with_nulls(labels(TX.QA_COMMENTS, rng.integers(0, len(TX.QA_COMMENTS), nq)),
                              rng.random(nq) >= 0.15),
        "_loaded_at": day.load(q_at)})

    # csat pulses: stratified selection, survey-contact suppression, responses
    sel_p = np.where(X["cat"] > 0, S.SEL_P_TOUGH, S.SEL_P_ROUTINE)
    sent_at = ended + rng.integers(10 * MINUTE, 3 * HOUR, ni)
    invited = ~open_ & (rng.random(ni) < sel_p) & (sent_at < day.end - 2 * HOUR)
    invited &= ~(w.survey_revoke_at[cust] <= sent_at)
    pi = np.nonzero(invited)[0]
    n_inv = len(pi)
    inv_num = folder.max_number("survey_invitations", "invitation_id") + np.arange(1, n_inv + 1)
    inv_id = ids("inv-", inv_num, 8)
    idpat = pick(rng, n_inv, [0.6, 0.25, 0.15])
    want_em = np.isin(idpat, [0, 2]) & ~w.email_null[cust[pi]]
    want_ac = np.isin(idpat, [0, 1]) | ~want_em
    put("survey_invitations", 0, {
        "invitation_id": inv_id, "survey_type": pa.array(["csat_pulse"] * n_inv, pa.string()),
        "source_system": src_arr.take(pa.array(pi)), "interaction_id": iid.take(pa.array(pi)),
        "account_id": with_nulls(acct.take(pa.array(pi)), ~want_ac),
        "customer_email": with_nulls(messy_email(rng, email_strings(w, cust[pi])), ~want_em),
        "sampling_stratum": labels(S.STRATA, X["cat"][pi]), "selection_probability": pa.array(sel_p[pi]),
        "sent_at": sent_at[pi], "_loaded_at": day.load(sent_at[pi])})
    new_acct = (sent_at[pi] - w.signup[cust[pi]]) < S.NEW_ACCOUNT_DAYS * DAY
    resp_p = (S.RESP_P_CH[ch[pi]] * np.where(X["cat"][pi] > 0, mech.tough_mult, 1.0)
              * np.asarray(mech.plan_mult)[w.plan[cust[pi]]] * np.where(new_acct, mech.new_account_mult, 1.0))
    if mech.outcome_slope:
        odds = resp_p / (1 - np.minimum(resp_p, 0.95)) * np.exp(mech.outcome_slope * 4.0 * (top2[pi] - 0.5))
        resp_p = odds / (1 + odds)
    resp_at = sent_at[pi] + rng.integers(5 * MINUTE, 90 * MINUTE, n_inv)
    responded = (rng.random(n_inv) < np.clip(resp_p, 0.01, 0.95)) & (resp_at < day.end - HOUR)
    r_inv = np.nonzero(responded)[0]
    nrp = len(r_inv)
    ii = pi[r_inv]
    ans = np.zeros((nrp, 6), bool)
    ans[:, 0] = True
    ans[:, 1:4] = rng.random((nrp, 3)) < 0.92
    ans[:, 5] = rng.random(nrp) < 0.25
    b, t2 = X["beh"][ii], top2[ii]
    vals = np.zeros((nrp, 6))
    vals[:, 0] = csat[ii]
    vals[:, 1] = np.clip(np.rint(3.2 + 1.3 * b[:, 1] + 0.9 * b[:, 2] + 0.8 * t2 + rng.normal(0, 1.0, nrp)), 1, 7)
    vals[:, 2] = np.clip(np.rint(3.0 + 2.0 * b[:, 0] + 0.6 * t2 + rng.normal(0, 1.0, nrp)), 1, 7)
    vals[:, 3] = np.clip(np.rint(3.0 + 1.2 * b[:, 4] + 1.0 * b[:, 3] + 0.6 * t2 + rng.normal(0, 1.0, nrp)), 1, 7)
    pos = np.argsort(np.argsort(np.where(ans, rng.random((nrp, 6)), 2.0), axis=1), axis=1) + 1
    flat = np.nonzero(ans.ravel())[0]
    rr, item = flat // 6, flat % 6
    nresp = len(rr)
    mood = np.where(csat[ii] >= 4, 0, np.where(csat[ii] == 3, 1, 2))[rr]
    theme_p = np.array([TX.OPEN_TEXT_THEME_P[m] for m in ("promoter", "passive", "detractor")])
    theme = np.minimum((rng.random(nresp)[:, None] > np.cumsum(theme_p[mood], axis=1)).sum(axis=1), 3)
    text = labels(open_text_answers(theme, rng, rng), np.arange(nresp)) if nresp else pa.array([], pa.string())
    is_text = item == 5
    put("survey_responses", 0, {
        "response_id": ids("resp-", folder.max_number("survey_responses", "response_id") + np.arange(1, nresp + 1), 9),
        "invitation_id": inv_id.take(pa.array(r_inv[rr])), "item_code": labels(ITEMS, item),
        "item_position": pa.array(pos.ravel()[flat].astype(np.int64)),
        "answer_numeric": pa.array(vals.ravel()[flat], mask=is_text),
        "answer_text": with_nulls(text, ~is_text), "responded_at": resp_at[r_inv][rr],
        "_loaded_at": day.load(resp_at[r_inv][rr])})

    # ---------------------------------------------------------- re-deliveries
    busy = np.zeros(n, bool)
    busy[cust] = True  # customers with a contact today: no churn, plan change or revocation for them today
    opened = folder.open_interactions()
    who = customer_of(opened, n)
    close = (rng.random(opened.num_rows) < 0.7) & (who >= 0) & ~revoked[np.maximum(who, 0)]
    opened = opened.filter(pa.array(close))
    m = opened.num_rows
    o_start = np.asarray(opened.column("started_at"), dtype=np.int64)
    o_end = np.maximum(o_start + rng.integers(10 * MINUTE, 2 * HOUR, m), day.times(m, 0, 12 * HOUR))
    o_upd = o_end + rng.integers(0, 30 * MINUTE, m)
    put("interactions", 1, copy_with(opened, ended_at=(o_end, np.zeros(m, bool)),
                                     is_resolved=pa.array(rng.random(m) < 0.75), updated_at=o_upd,
                                     _loaded_at=day.load(o_upd)), again=True)
    # plan changes of customers (never of analytics-revoked ones)
    quiet = active & ~busy & ~revoked
    changers = np.nonzero(quiet & (rng.random(n) < 0.002))[0]
    if len(changers) == 0 and quiet.any():
        changers = np.nonzero(quiet)[0][:1]
    cur = folder.latest_rows("customers", "account_id", acct_all.take(pa.array(changers)).to_pylist())
    plan_idx = np.array([S.PLANS.index(p) for p in cur.column("plan").to_pylist()], dtype=np.int64)
    new_plan = (plan_idx + rng.integers(1, 3, len(plan_idx))) % 3
    c_upd = day.times(len(plan_idx), 0, 20 * HOUR)
    put("customers", 1, copy_with(cur, plan=labels(S.PLANS, new_plan), updated_at=c_upd,
                                  _loaded_at=day.load(c_upd)), again=True)
    quiet[changers] = False
    # late analytics revocations
    revokers = np.nonzero(quiet & (rng.random(n) < 0.001))[0]
    if len(revokers) == 0 and quiet.any():
        revokers = np.nonzero(quiet)[0][-1:]
    quiet[revokers] = False
    ev_at = start - rng.integers(6 * HOUR, 2 * DAY, len(revokers))
    # unchanged copies of a sample of invitations and subscription events (never of customers without analytics
    # consent or who revoked survey contact, whose invitations may be planted consent violations)
    no_copy = revoked | (w.survey_revoke_at < INF)
    no_copy[revokers] = True
    exclude = acct_all.filter(pa.array(no_copy)).to_pylist()
    for table, key in (("survey_invitations", "invitation_id"), ("subscription_events", "event_id")):
        sample = folder.sample_rows(table, key, 0.001, seed * 1000 + start // DAY, exclude)
        put(table, 1, copy_with(sample, _loaded_at=day.load(day.times(sample.num_rows, 0, 20 * HOUR))), again=True)

    # ---------------------------------------------------------- new customers
    n_new = max(1, int(rng.poisson(n / 640)))
    first_new = max(folder.max_number("customers", "account_id"), n) + 1
    new_num = first_new + np.arange(n_new)
    new_signup = day.times(n_new, 0, 20 * HOUR)
    new_plan_i = pick(rng, n_new, S.PLAN_P)
    new_seg = np.array([pick(rng, 1, S.SEG_GIVEN_PLAN[p])[0] for p in new_plan_i], dtype=np.int64)
    new_email = cat(labels(S.FIRST_NAMES, rng.integers(0, len(S.FIRST_NAMES), n_new)), ".",
                    labels(S.LAST_NAMES, rng.integers(0, len(S.LAST_NAMES), n_new)),
                    pa.array(new_num).cast(pa.string()), "@example.com")
    new_digits = S.AREA_CODES[rng.integers(0, len(S.AREA_CODES), n_new)] * 10_000_000 + 2_000_000 + new_num - 1
    new_ids = ids("A", new_num, 6)
    new_upd = new_signup + rng.integers(MINUTE, HOUR, n_new)
    put("customers", 0, {
        "account_id": new_ids, "email": new_email, "phone": messy_phone(rng, new_digits), "signup_at": new_signup,
        "plan": labels(S.PLANS, new_plan_i), "segment": labels(S.SEGMENTS, new_seg),
        "region": labels(S.REGIONS, pick(rng, n_new, S.REGION_P)), "updated_at": new_upd,
        "_loaded_at": day.load(new_upd)})
    # consent: the revocations, and the new customers' grants at signup
    g_ana = rng.random(n_new) < 0.6
    g_rec = rng.random(n_new) < 0.75
    c_who = pa.concat_arrays([acct_all.take(pa.array(revokers)), new_ids, new_ids.filter(pa.array(g_ana)),
                              new_ids.filter(pa.array(g_rec))])
    n_ce = len(c_who)
    c_purpose = np.concatenate([np.zeros(len(revokers), np.int64), np.ones(n_new, np.int64),
                                np.zeros(int(g_ana.sum()), np.int64), np.full(int(g_rec.sum()), 2)])
    c_status = np.concatenate([np.ones(len(revokers), np.int64), np.zeros(n_ce - len(revokers), np.int64)])
    c_at = np.concatenate([ev_at, new_signup, new_signup[g_ana], new_signup[g_rec]])
    c_source = np.concatenate([np.where(rng.random(len(revokers)) < 0.5, 0, 2),
                               np.zeros(n_new + int(g_ana.sum()), np.int64), np.ones(int(g_rec.sum()), np.int64)])
    put("consent_events", 0, {
        "event_id": ids("ce-", folder.max_number("consent_events", "event_id") + np.arange(1, n_ce + 1), 8),
        "identifier_type": pa.array(["account_id"] * n_ce, pa.string()), "identifier_value": c_who,
        "purpose": labels(["analytics", "survey_contact", "call_recording"], c_purpose),
        "status": labels(["granted", "revoked"], c_status), "event_at": c_at,
        "source": labels(["web_form", "ivr", "support_agent"], c_source),
        "_loaded_at": day.load(np.maximum(c_at, start))})

    # ---------------------------------------------------------- subscription events of the day
    age = start - w.signup
    k90 = (age + DAY - 1) // (90 * DAY)  # the first 90-day anniversary at or after the day's start
    ren_at = w.signup + k90 * 90 * DAY
    renew = np.nonzero(active & (k90 >= 1) & (ren_at >= start) & (ren_at < day.end))[0]
    ren_plan = np.where(ren_at[renew] >= w.plan_change_at[renew], w.new_plan[renew], w.plan[renew])
    quiet[renew] = False  # a customer renewing today does not also cancel today
    vol_p = S.LAMBDA0 * S.PLAN_HR[w.plan] * S.SEG_HR[w.segment]
    u = rng.random(n)
    churn_vol = np.nonzero(quiet & (u < vol_p))[0]
    churn_inv = np.nonzero(quiet & (u >= vol_p) & (u < vol_p + S.LAMBDA_INVOL))[0]
    churners = np.concatenate([churn_vol, churn_inv])
    is_vol = np.concatenate([np.ones(len(churn_vol), bool), np.zeros(len(churn_inv), bool)])
    ch_at = day.times(len(churners), 0, 20 * HOUR)
    se_acct = pa.concat_arrays([acct_all.take(pa.array(renew)), acct_all.take(pa.array(churners)), new_ids])
    n_se = len(se_acct)
    se_type = np.concatenate([np.ones(len(renew), np.int64), np.full(len(churners), 2), np.zeros(n_new, np.int64)])
    se_at = np.concatenate([ren_at[renew], ch_at, new_signup])
    is_cancel = se_type == 2
    reason = np.where(is_vol, rng.integers(0, len(S.CANCEL_REASONS_VOL), len(churners)), len(S.CANCEL_REASONS_VOL))
    put("subscription_events", 0, {
        "event_id": ids("se-", folder.max_number("subscription_events", "event_id") + np.arange(1, n_se + 1), 9),
        "account_id": se_acct, "event_type": labels(["started", "renewed", "cancelled"], se_type),
        "is_voluntary": pa.array(np.concatenate([np.zeros(len(renew), bool), is_vol, np.zeros(n_new, bool)]),
                                 mask=~is_cancel),
        "cancel_reason": with_nulls(labels(S.CANCEL_REASONS_VOL + ["payment_failed"],
                                           np.concatenate([np.zeros(len(renew), np.int64), reason,
                                                           np.zeros(n_new, np.int64)])), ~is_cancel),
        "mrr": pa.array(np.concatenate([S.PLAN_MRR[ren_plan], np.zeros(len(churners)), S.PLAN_MRR[new_plan_i]])),
        "event_at": se_at, "_loaded_at": day.load(se_at)})

    for table, i, cols, again in pending:
        k = write_part(out, table, tag, i, cols)
        rows[table] += k
        if again:
            redelivered[table] = redelivered.get(table, 0) + k
    entry = {
        "date": str(np.datetime64(start, "s").astype("datetime64[D]")), "seed": seed,
        "loaded_at_window": [str(np.datetime64(start, "s")) + "Z", str(np.datetime64(day.end, "s")) + "Z"],
        "files": f"<table>/day-{tag}-part-0000.parquet (new records), -0001 (re-deliveries)",
        "rows": {t_: v for t_, v in rows.items() if v},
        "redelivered_rows": redelivered,
        "new_interactions": int(ni), "new_interactions_open": int(open_.sum()),
        "closed_interactions": int(m), "new_customers": int(n_new),
        "plan_changes": int(len(changers)), "cancellations": int(len(churners)), "renewals": int(len(renew)),
        "analytics_revoked_accounts": acct_all.take(pa.array(revokers)).to_pylist(),
        "not_delivered": ["product_usage_weekly", "retention_offers", "agents", "training_completions",
                          "experiment_assignments", "incidents", "_truth (describes the base generation)"],
    }
    manifest.setdefault("appended_days", []).append(entry)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return entry
