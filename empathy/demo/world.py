"""The latent world: customers, agents, consent, contacts, churn (numpy, vectorised)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import spec as S
from .text import GROUP_N, GROUP_START
from .util import DAY, HOUR, MINUTE, T, chunk_rng, cond_pick, pick

INF = np.iinfo(np.int64).max // 4


@dataclass
class World:
    """The latent world of one generation. In streaming mode a World holds one chunk of customers (``n`` of them,
    customer index i being account A{first + i + 1}) and shares the global entities (agents, supervisors,
    incidents, experiment arms) with every other chunk; ``n_total`` is the number of customers of the whole run (0:
    ``n``, the in-memory generator) and ``seq0`` the numbers already used by earlier chunks for each id sequence."""
    n: int
    seed: int
    first: int = 0  # index of the chunk's first customer among all customers
    n_total: int = 0  # customers of the whole run (0: n)
    chunk: int = 0  # chunk number (0 in memory)
    seq0: dict = field(default_factory=dict)  # id sequence -> numbers used by earlier chunks
    # customers
    signup: np.ndarray = None
    plan: np.ndarray = None
    segment: np.ndarray = None
    region: np.ndarray = None
    email_null: np.ndarray = None
    phone_null: np.ndarray = None
    phone_digits: np.ndarray = None
    first_i: np.ndarray = None
    last_i: np.ndarray = None
    plan_change_at: np.ndarray = None  # INF if none
    new_plan: np.ndarray = None
    # agents
    n_agents: int = 0
    n_teams: int = 0
    hired: np.ndarray = None
    team: np.ndarray = None  # final team
    old_team: np.ndarray = None  # team before re-delivery (== team if unchanged)
    team_change_at: np.ndarray = None
    skill: np.ndarray = None
    volume: np.ndarray = None  # per agent: routing weight (hours worked)
    tough_affinity: np.ndarray = None  # per agent: routing weight on a tough contact (1 for non-specialists)
    home_channel: np.ndarray = None  # per agent: the channel whose contacts come to them first
    route_rng: np.random.Generator = None  # the within-team routing draws (sub_rng(seed, 18))
    train_at: np.ndarray = None  # INF if never
    team_wave: np.ndarray = None  # per team: 0..2 or -1 never
    hire_order: np.ndarray = None
    sup_coach: np.ndarray = None  # per supervisor: the shift of every behaviour probability
    sup_first: np.ndarray = None  # per agent: the first supervisor
    sup_second: np.ndarray = None  # per agent: the supervisor after the move (== first if none)
    sup_move_at: np.ndarray = None  # per agent: when the agent moved to sup_second (INF if never)
    hired_sorted: np.ndarray = None
    q_treat: np.ndarray = None
    block_arms: dict = None  # the schedule-block experiment's delivered arms (set by the assignments table)
    # consent (per customer)
    ana_revoked_final: np.ndarray = None
    survey_revoke_at: np.ndarray = None
    rec_grant_at: np.ndarray = None
    rec_revoke_at: np.ndarray = None
    consent_events: dict = field(default_factory=dict)
    # incidents
    incidents: dict = field(default_factory=dict)

    @property
    def customers_total(self) -> int:
        """Customers of the whole run (all chunks)."""
        return self.n_total or self.n

    def stream(self, stage: int) -> np.random.Generator:
        """The random stream of a stage for this world's chunk (util.chunk_rng; chunk 0: sub_rng(seed, stage))."""
        return chunk_rng(self.seed, stage, self.chunk)

    def base(self, sequence: str) -> int:
        """Numbers of the id sequence already used by earlier chunks (0 in memory): this chunk's ids follow them."""
        return int(self.seq0.get(sequence, 0))


# ------------------------------------------------------------------ customers
def make_customers(w: World, rng):
    n = w.n
    w.signup = rng.integers(S.SIGNUP_START, S.SIGNUP_END, n)
    w.plan = pick(rng, n, S.PLAN_P)
    w.segment = cond_pick(rng, w.plan, S.SEG_GIVEN_PLAN)
    w.region = pick(rng, n, S.REGION_P)
    w.first_i = rng.integers(0, len(S.FIRST_NAMES), n)
    w.last_i = rng.integers(0, len(S.LAST_NAMES), n)
    w.email_null = rng.random(n) < 0.06
    w.phone_null = (rng.random(n) < 0.10) & ~w.email_null
    seven = 2_000_000 + w.first + rng.permutation(n)  # unique 7-digit subscriber numbers (over all chunks)
    w.phone_digits = S.AREA_CODES[rng.integers(0, len(S.AREA_CODES), n)] * 10_000_000 + seven
    change = (rng.random(n) < 0.04) & (w.signup < T("2026-04-15") - 40 * DAY)
    lo = w.signup + 30 * DAY
    at = lo + (rng.random(n) * (T("2026-05-15") - lo)).astype(np.int64)
    w.plan_change_at = np.where(change, at, INF)
    w.new_plan = np.where(change, (w.plan + rng.integers(1, 3, n)) % 3, w.plan)


# ------------------------------------------------------------------ agents
def make_agents(w: World, rng):
    na = max(24, int(round(w.customers_total / 40)))
    nt = max(6, int(np.ceil(na / 8)))
    w.n_agents, w.n_teams = na, nt
    w.team = np.arange(na) % nt
    recent = rng.random(na) < 0.15
    old_hire = rng.integers(T("2021-01-01"), T("2024-12-01"), na)
    new_hire = rng.integers(T("2025-01-15"), T("2026-05-01"), na)
    w.hired = np.where(recent, new_hire, old_hire)
    w.hired[:4] = old_hire[:4]  # a few veterans always exist before the first contact
    w.hired[:4] = np.minimum(w.hired[:4], T("2024-06-01"))
    w.skill = rng.normal(0, S.SKILL_SD, na) - S.NEW_AGENT_PENALTY * (w.hired >= S.NEW_AGENT_SINCE)
    # staggered waves: teams permuted, wave = i % 4, 3 = never treated
    perm = rng.permutation(nt)
    team_wave = np.empty(nt, dtype=np.int64)
    team_wave[perm] = np.arange(nt) % 4
    team_wave[team_wave == 3] = -1
    w.team_wave = team_wave
    wave_t = np.array([T(d + "T14:00:00") for d in S.WAVE_DATES])
    wv = team_wave[w.team]
    comp = np.where(wv >= 0, wave_t[np.maximum(wv, 0)] + rng.integers(0, 4 * DAY, na), INF)
    late = (wv >= 0) & (w.hired > comp - 7 * DAY)
    comp = np.where(late, w.hired + rng.integers(7 * DAY, 21 * DAY, na), comp)
    comp = np.where(comp > S.CAP - DAY, INF, comp)
    w.train_at = comp
    # re-delivered team changes: only within the same wave group (keeps training timing valid)
    w.old_team = w.team.copy()
    w.team_change_at = np.full(na, INF)
    def move(a):
        same = np.nonzero((team_wave == team_wave[w.team[a]]) & (np.arange(nt) != w.team[a]))[0]
        if len(same) == 0 or w.hired[a] > T("2026-04-01"):
            return False
        w.old_team[a] = w.team[a]
        w.team[a] = same[rng.integers(0, len(same))]
        w.team_change_at[a] = rng.integers(max(w.hired[a], T("2025-02-01")) + DAY, T("2026-05-01"))
        return True

    moved = [move(a) for a in np.nonzero(rng.random(na) < 0.06)[0]]  # a handful of agents
    if not any(moved):
        for a in range(na):
            if move(a):
                break
    w.hire_order = np.argsort(w.hired, kind="stable")
    w.hired_sorted = w.hired[w.hire_order]
    # experiment arms: 6/6 over the 12 queues
    arm = np.zeros(len(S.QUEUES), dtype=bool)
    arm[rng.permutation(len(S.QUEUES))[:6]] = True
    w.q_treat = arm
    # case mix and volume (spec.TOUGH_AFFINITY, VOLUME_SD): drawn last, so that nothing above moves
    w.volume = rng.lognormal(0.0, S.VOLUME_SD, na)
    position_in_team = np.arange(na) // nt
    w.tough_affinity = np.where(position_in_team % S.TOUGH_SPECIALIST_EVERY == 0, S.TOUGH_AFFINITY, 1.0)
    w.home_channel = position_in_team % len(S.CHANNELS)


# ------------------------------------------------------------------ consent
def make_consent(w: World, rng):
    n = w.n
    su = w.signup
    rows = {k: [] for k in ("cust", "purpose", "status", "at", "source")}

    def add(mask_or_idx, purpose, status, at, source):
        idx = np.nonzero(mask_or_idx)[0] if mask_or_idx.dtype == bool else mask_or_idx
        rows["cust"].append(idx)
        rows["purpose"].append(np.full(len(idx), purpose))
        rows["status"].append(np.full(len(idx), status))
        rows["at"].append(np.asarray(at)[idx] if np.ndim(at) else np.full(len(idx), at))
        rows["source"].append(np.asarray(source)[idx] if np.ndim(source) else np.full(len(idx), source))

    def rand_between(lo, hi):
        hi = np.maximum(hi, lo + 1)
        return lo + (rng.random(n) * (hi - lo)).astype(np.int64)

    # analytics (purpose 0)
    g = rng.random(n) < 0.6
    add(g, 0, 0, su, 0)
    rev = rng.random(n) < 0.02
    rev_at = rand_between(su + DAY, S.CAP - 10 * DAY)
    add(rev, 0, 1, rev_at, 0)
    regrant = rev & (rng.random(n) < 0.3)
    add(regrant, 0, 0, rand_between(rev_at + DAY, S.CAP - 2 * DAY), 0)
    n_same = max(3, int(round(n * 0.002)))
    pool = np.nonzero(~rev)[0]
    same = rng.choice(pool, size=min(n_same, len(pool)), replace=False)
    same_at = rand_between(su + DAY, S.CAP - 5 * DAY)
    add(same, 0, 0, same_at, 0)
    add(same, 0, 1, same_at, 0)
    ana_rev = rev & ~regrant
    ana_rev[same] = True
    w.ana_revoked_final = ana_rev
    # survey_contact (purpose 1): everyone granted at signup, ~3% revoke later
    add(np.ones(n, bool), 1, 0, su, 0)
    srev = rng.random(n) < 0.03
    srev_at = rand_between(su + 7 * DAY, S.CAP - 5 * DAY)
    add(srev, 1, 1, srev_at, np.where(rng.random(n) < 0.5, 0, 2))
    w.survey_revoke_at = np.where(srev, srev_at, INF)
    # call_recording (purpose 2): ~75% granted at or after signup, ~8% of them revoke later
    rg = rng.random(n) < 0.75
    rg_at = su + np.where(rng.random(n) < 0.6, 0, rng.integers(0, 60 * DAY, n))
    add(rg, 2, 0, rg_at, np.where(rng.random(n) < 0.7, 1, 2))
    rr = rg & (rng.random(n) < 0.08)
    rr_at = rand_between(rg_at + 30 * DAY, S.CAP - 2 * DAY)
    add(rr, 2, 1, rr_at, np.where(rng.random(n) < 0.5, 1, 2))
    w.rec_grant_at = np.where(rg, rg_at, INF)
    w.rec_revoke_at = np.where(rr, rr_at, INF)
    w.consent_events = {k: np.concatenate(v).astype(np.int64) for k, v in rows.items()}


def recording_ok(w: World, cust, t):
    return (w.rec_grant_at[cust] <= t) & (t < w.rec_revoke_at[cust])


# ------------------------------------------------------------------ incidents
def make_incidents(w: World, rng):
    prod, sev, st, en = [], [], [], []
    for p in range(len(S.PRODUCTS)):
        k = int(rng.integers(3, 6))
        s = np.sort(rng.integers(S.INT_START + 20 * DAY, S.INT_END - 10 * DAY, k))
        sv = pick(rng, k, [0.25, 0.35, 0.40])
        sv[rng.integers(0, k)] = 0  # at least one sev1 per product
        dur = np.where(sv == 0, rng.integers(2 * HOUR, 8 * HOUR, k),
                       np.where(sv == 1, rng.integers(1 * HOUR, 24 * HOUR, k),
                                rng.integers(1 * HOUR, 72 * HOUR, k)))
        prod.append(np.full(k, p)); sev.append(sv); st.append(s); en.append(s + dur)
    # one ongoing incident at as-of
    prod.append(np.array([int(rng.integers(0, 4))])); sev.append(np.array([2]))
    st.append(np.array([S.INT_END - int(rng.integers(6, 30)) * HOUR])); en.append(np.array([INF]))
    inc = {"product": np.concatenate(prod), "sev": np.concatenate(sev),
           "start": np.concatenate(st), "end": np.concatenate(en)}
    o = np.argsort(inc["start"], kind="stable")
    w.incidents = {k: v[o] for k, v in inc.items()}


# ------------------------------------------------------------------ contacts
def candidate_contacts(w: World, rng):
    """Poisson contact process per customer + sev1 outage bursts (before churn filtering)."""
    lo = np.maximum(w.signup, S.INT_START)
    span = np.maximum(S.INT_END - lo, 0)
    rate = rng.gamma(2.0, (11.0 / 365.0) / 2.0, w.n)  # contacts per day
    k = rng.poisson(rate * span / DAY)
    cust = np.repeat(np.arange(w.n), k)
    t = np.repeat(lo, k) + (rng.random(cust.size) * np.repeat(span, k)).astype(np.int64)
    reason = np.full(cust.size, -1)
    product = np.full(cust.size, -1)
    # sev1 bursts
    inc = w.incidents
    bc, bt, bp = [], [], []
    for i in np.nonzero(inc["sev"] == 0)[0]:
        st, en = inc["start"][i], min(inc["end"][i], S.INT_END - 1)
        pool = np.nonzero(w.signup < st)[0]
        # a burst reaches 1% of all customers (at least 5); a chunk draws its share of it
        m = int(rng.poisson(max(5.0, 0.01 * w.customers_total) * (w.n / w.customers_total)))
        if len(pool) == 0 or m == 0:
            continue
        bc.append(rng.choice(pool, m)); bt.append(rng.integers(st, en + 2 * HOUR, m))
        bp.append(np.full(m, inc["product"][i]))
    if bc:
        cust = np.concatenate([cust] + bc)
        t = np.concatenate([t] + bt)
        reason = np.concatenate([reason, np.full(sum(map(len, bc)), S.R_OUTAGE)])
        product = np.concatenate([product] + bp)
    t = np.minimum(t, S.INT_END - 1)
    o = np.lexsort((t, cust))
    return cust[o], t[o], reason[o], product[o]


def make_supervisors(w: World, rng):
    """Supervisors and the agents' moves between them (stream sub_rng(seed, 15)): one supervisor per
    spec.SUPERVISOR_AGENTS_EACH agents, each agent under a random one at hire; a share of the agents hired before the
    window's last month move to another supervisor on a random day of spec.SUPERVISOR_MOVE_WINDOW (at least 30 days
    after their hire)."""
    na = w.n_agents
    n_sup = max(4, na // S.SUPERVISOR_AGENTS_EACH)
    w.sup_coach = rng.normal(0, S.SUPERVISOR_COACH_SD, n_sup)
    w.sup_first = rng.integers(0, n_sup, na)
    w.sup_second = (w.sup_first + rng.integers(1, n_sup, na)) % n_sup
    lo, hi = (T(d) for d in S.SUPERVISOR_MOVE_WINDOW)
    start = np.maximum(w.hired + 30 * DAY, lo)
    moves = (rng.random(na) < S.SUPERVISOR_MOVE_SHARE) & (start < hi - 30 * DAY)
    at = start + (rng.random(na) * (hi - start)).astype(np.int64)
    w.sup_move_at = np.where(moves, at, INF)
    w.sup_second = np.where(moves, w.sup_second, w.sup_first)


def team_at(w: World, agent: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The team of each agent at epoch seconds ``t`` (the roster's team change, if any, applies from its date)."""
    return np.where(t >= w.team_change_at[agent], w.team[agent], w.old_team[agent])


def supervisor_at(w: World, agent: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The supervisor (index into w.sup_coach) of each agent at epoch seconds ``t``."""
    return np.where(t >= w.sup_move_at[agent], w.sup_second[agent], w.sup_first[agent])


def _clip(p):
    return np.clip(p, *S.P_CLIP)


def route_within_team(w: World, rng, agent: np.ndarray, t: np.ndarray, tough: np.ndarray,
                      channel: np.ndarray) -> np.ndarray:
    """Hand each contact to an agent of the team its first-drawn ``agent`` belongs to at ``t``: among the team's
    agents hired by ``t``, with probability proportional to their volume weight times, on a tough contact, their
    tough-moment affinity, times spec.CHANNEL_AFFINITY when the contact is in their home channel. The team each
    contact reaches is that of the first draw, so the teams' contact mix is unchanged; only who inside the team
    takes it moves. A contact whose team has nobody hired yet keeps ``agent``."""
    n = len(agent)
    team = team_at(w, agent, t)
    u = rng.random(n)
    out = agent.copy()
    members_of = {k: np.nonzero((w.team == k) | (w.old_team == k))[0] for k in range(w.n_teams)}
    order = np.argsort(team, kind="stable")
    starts = np.searchsorted(team[order], np.arange(w.n_teams + 1))
    for k in range(w.n_teams):
        idx = order[starts[k]:starts[k + 1]]
        members = members_of[k]
        if len(idx) == 0 or len(members) == 0:
            continue
        tk = t[idx][:, None]
        in_team = (w.hired[members][None, :] <= tk) & (team_at(w, members[None, :], tk) == k)
        weight = in_team * w.volume[members][None, :] * np.where(
            tough[idx][:, None], w.tough_affinity[members][None, :], 1.0) * np.where(
            channel[idx][:, None] == w.home_channel[members][None, :], S.CHANNEL_AFFINITY, 1.0)
        cum = weight.cumsum(1)
        total = cum[:, -1]
        pick = np.minimum((cum < (u[idx] * total)[:, None]).sum(1), len(members) - 1)
        out[idx] = np.where(total > 0, members[pick], agent[idx])
    return out


def policy_effect(t: np.ndarray, ch: np.ndarray) -> np.ndarray:
    """The behaviour-probability uplift of the dated policy changes in force for contacts at ``t`` in channel ``ch``."""
    out = np.zeros(len(t))
    for _, channel, date, uplift in S.POLICIES:
        out += uplift * ((ch == channel) & (t >= T(date)))
    return out


def time_effect(t: np.ndarray) -> np.ndarray:
    """The shared season-and-drift shift of every behaviour probability at epoch seconds ``t``."""
    month = t.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    years = (t - S.INT_START) / (365.25 * DAY)
    return S.SEASON_DIP * np.isin(month, S.SEASON_DIP_MONTHS) + S.DRIFT_PER_YEAR * years


def contact_attributes(w: World, rng, cust, t, reason=None, product=None, force_close=None,
                       no_bot=False, forced_channel=None, forced_agent=None):
    """Everything about a contact except ids: routing, behaviours, timing, transcript slots. force_close (a mask)
    sets closing the loop to exactly its value, forced_agent fixes who takes the contact."""
    n = len(cust)
    ch = pick(rng, n, S.CHANNEL_P) if forced_channel is None else forced_channel
    if reason is None:
        reason = np.full(n, -1)
    reason = np.where(reason >= 0, reason, pick(rng, n, S.REASON_P))
    fn = S.REASON_FN[reason]
    rnd = (rng.random(n) < 0.12) & (reason != S.R_OUTAGE) & (reason != S.R_CANCEL)
    fn = np.where(rnd, rng.integers(0, 4, n), fn)
    queue = fn * 3 + S.REGION_TO_QREG[w.region[cust]]
    prod = cond_pick(rng, fn, S.PRODUCT_GIVEN_FN)
    if product is not None:
        prod = np.where(product >= 0, product, prod)
    tough_reason = S.REASON_CAT[reason] > 0
    esc = rng.random(n) < np.where(tough_reason, 0.16, 0.05)
    cat = np.where(tough_reason, S.REASON_CAT[reason], np.where(esc, 1, 0))
    # agent among those hired before the contact
    if forced_agent is None:
        kk = np.searchsorted(w.hired_sorted, t, side="right")
        kk = np.maximum(kk, 1)
        agent = w.hire_order[(rng.random(n) * kk).astype(np.int64)]
        agent = route_within_team(w, w.route_rng, agent, t, cat > 0, ch)
    else:
        agent = forced_agent
    trained = t >= w.train_at[agent]
    treat = w.q_treat[queue] & (t >= S.EXP_START)
    bot_only = (rng.random(n) < S.P_BOT_ONLY[ch]) & (not no_bot)
    coach = w.sup_coach[supervisor_at(w, agent, t)]
    difficulty = S.TOUGH_BEHAVIOR_SHIFT * (cat > 0)
    raw = S.BASE_P[None, :] + w.skill[agent][:, None] + (
        time_effect(t) + policy_effect(t, ch) + coach + difficulty)[:, None]
    p0 = raw + S.TRAIN_UPLIFT * trained[:, None]
    p = p0.copy()
    p[:, 0] += S.EXP_ACK_UPLIFT * treat
    p = _clip(p)
    beh = rng.random((n, 5)) < p
    beh[bot_only] = False
    if force_close is not None:
        beh[:, 4] = force_close
    # each behaviour's probability as drawn (0 for bot-only contacts; a forced close is certain either way)
    p_beh = np.where(bot_only[:, None], 0.0, p)
    if force_close is not None:
        p_beh[:, 4] = force_close
    early = beh[:, 0] & (rng.random(n) < S.P_EARLY[ch])
    # expected CSAT top-2 deltas for the manifest (exact: the CSAT model never clips)
    pe = S.P_EARLY[ch]
    pa0 = _clip(p0[:, 0])
    itt_ack_delta = _clip(p0[:, 0] + S.EXP_ACK_UPLIFT) - pa0
    itt_delta = S.ACK30_LIFT * itt_ack_delta * pe
    untr = _clip(raw)
    trd = _clip(raw + S.TRAIN_UPLIFT)
    coef = np.tile(S.BEH_COEF, (n, 1))
    coef[:, 0] = S.ACK30_LIFT * pe
    train_delta = ((trd - untr) * coef).sum(1)
    train_ack_delta = trd[:, 0] - untr[:, 0]
    # what the policies in force moved: expected behaviours and expected CSAT top-2 (the IV estimand's parts)
    pol_moved = _clip(p0) - _clip(p0 - policy_effect(t, ch)[:, None])
    policy_count_delta = pol_moved.sum(1)
    policy_csat_delta = (pol_moved * coef).sum(1)
    # what the supervisor's coaching moved (signed by the coaching, so that the ratio of sums is a weighted average)
    sup_moved = (_clip(p0) - _clip(p0 - coach[:, None])) * np.sign(coach)[:, None]
    supervisor_count_delta = sup_moved.sum(1)
    supervisor_csat_delta = (sup_moved * coef).sum(1)
    itt_delta[bot_only] = 0.0
    itt_ack_delta[bot_only] = 0.0
    train_delta[bot_only] = 0.0
    train_ack_delta[bot_only] = 0.0
    policy_count_delta[bot_only] = 0.0
    policy_csat_delta[bot_only] = 0.0
    supervisor_count_delta[bot_only] = 0.0
    supervisor_csat_delta[bot_only] = 0.0
    # resolution (independent of behaviours)
    resolved = rng.random(n) < np.where(esc, 0.55, np.where(tough_reason, 0.62, 0.82))

    # ---- transcript slots
    NS = 12
    live = ch != 2
    pres = np.zeros((n, NS), dtype=bool)
    pres[:, 0] = rng.random(n) < np.array([0.2, 0.5, 0.0, 0.7])[ch]
    pres[:, 1] = True
    pres[:, 2] = True
    pres[:, 3] = rng.random(n) < 0.4
    ack_open = beh[:, 0] & (early | (ch == 2))
    pres[:, 4] = beh[:, 0] & ~ack_open
    pres[:, 5] = beh[:, 1]
    pres[:, 6] = beh[:, 2]
    pres[:, 7] = beh[:, 2] | (rng.random(n) < 0.7)
    pres[:, 8] = True
    pres[:, 9] = rng.random(n) < 0.45
    pres[:, 10] = beh[:, 4] | (rng.random(n) < np.where(bot_only, 0.7, 0.3))
    pres[:, 11] = rng.random(n) < 0.15
    spk = np.tile(np.array([2, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1], dtype=np.int8), (n, 1))
    bo = np.nonzero(bot_only)[0]
    for s in (2, 8, 10):
        spk[bo, s] = 2

    def g(name, m=n):
        return GROUP_START[name] + rng.integers(0, GROUP_N[name], m)

    txt = np.zeros((n, NS), dtype=np.int32)
    txt[:, 0] = g("bot_greet")
    txt[:, 1] = np.array([GROUP_START[f"problem_{r}"] for r in S.REASONS])[reason] + rng.integers(0, 2, n)
    txt[:, 2] = np.where(bot_only, g("bot_triage"), np.where(ack_open, g("open_ack"), g("open_neutral")))
    txt[:, 3] = g("detail")
    txt[:, 4] = g("ack")
    txt[:, 5] = g("name")
    txt[:, 6] = g("clarify")
    txt[:, 7] = g("reply")
    txt[:, 8] = np.where(bot_only, g("bot_answer"), np.where(beh[:, 3], g("offer"), g("solution")))
    txt[:, 9] = g("ok")
    txt[:, 10] = np.where(bot_only, g("bot_close"), np.where(beh[:, 4], g("close"), g("close_neutral")))
    txt[:, 11] = g("bye")
    # PII in customer turns (slots 1 and 3): encoded as -1 (email), -2 (phone), -3 (card)
    for s in (1, 3):
        m = pres[:, s] & (rng.random(n) < 0.03)
        txt[m, s] = -1 - rng.integers(0, 3, int(m.sum()))
    # offsets (ms)
    fr = np.where(live, np.where(early, rng.uniform(3, 28, n), rng.uniform(3, 60, n)),
                  rng.uniform(1800, 86400, n))
    off = np.zeros((n, NS), dtype=np.int64)
    off[:, 1] = np.where(live, fr * rng.uniform(0.1, 0.6, n) * 1000, 0).astype(np.int64)
    off[:, 2] = (fr * 1000).astype(np.int64)
    gaps = np.where(live[:, None], rng.integers(4000, 40000, (n, NS - 3)),
                    rng.integers(HOUR * 1000, 20 * HOUR * 1000, (n, NS - 3)))
    gaps = gaps * pres[:, 3:]
    off[:, 3:] = off[:, 2:3] + np.cumsum(gaps, axis=1)
    need = np.where(pres[:, 4], np.maximum(0, 31000 + rng.integers(0, 20000, n) - off[:, 4]), 0)
    off[:, 4:] += need[:, None]
    last = (off * pres).max(1)
    tail = np.where(ch == 0, rng.integers(10, 120, n), np.where(ch == 2, rng.integers(0, 2 * HOUR, n),
                                                              rng.integers(30, 600, n)))
    ended = t + last // 1000 + 1 + tail
    first_resp = t + np.round(fr).astype(np.int64)
    return dict(cust=cust, t=t, ch=ch, reason=reason, queue=queue, product=prod, esc=esc, cat=cat,
                agent=agent, trained=trained, treat=treat, bot_only=bot_only, beh=beh, p_beh=p_beh,
                ack30=early, resolved=resolved, itt_delta=itt_delta, itt_ack_delta=itt_ack_delta,
                train_delta=train_delta, train_ack_delta=train_ack_delta,
                policy_count_delta=policy_count_delta, policy_csat_delta=policy_csat_delta,
                supervisor_count_delta=supervisor_count_delta, supervisor_csat_delta=supervisor_csat_delta,
                pres=pres, spk=spk, txt=txt, off=off, ended=ended, first_resp=first_resp)


def take(d: dict, idx) -> dict:
    return {k: v[idx] for k, v in d.items()}


def concat(a: dict, b: dict) -> dict:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


# ------------------------------------------------------------------ churn
def save_agent_and_closure(w: World, rng, t, script):
    """The agent who takes each save conversation (among those hired by then) and the closure sub-behaviours they
    show: P = base + script effect + skill effect, clipped like every behaviour probability."""
    n = len(t)
    kk = np.maximum(np.searchsorted(w.hired_sorted, t, side="right"), 1)
    agent = w.hire_order[(rng.random(n) * kk).astype(np.int64)]
    p = _clip(S.SAVE_CLOSURE_BASE[None, :] + S.SAVE_CLOSURE_SCRIPT * script[:, None]
              + S.SAVE_CLOSURE_SKILL * w.skill[agent][:, None])
    closure = rng.random((n, len(S.CLOSURE_BEHAVIORS))) < p
    return agent, closure


def acceptance_probability(w: World, offer, amount, n_closure, agent):
    """P(the customer accepts the save offer): offer type, money conceded, closure shown, the agent's skill."""
    return np.clip(S.ACC_BASE[offer] + S.ACC_PER_DOLLAR * amount + S.ACC_PER_CLOSURE * n_closure
                   + S.ACC_SKILL * w.skill[agent], *S.ACC_CLIP)


def churn_process(w: World, rng, cust, t, ack30, save_rng):
    """Voluntary (with save offers) and involuntary churn. Returns per-customer truth + cancel contacts. The save
    conversations' agents and closure behaviours come from save_rng (sub_rng(seed, 16)), so the other draws of the
    churn stream are those of a world without them."""
    n = w.n
    valid = t >= w.signup[cust] + S.ONBOARDING_DAYS * DAY
    vi = np.nonzero(valid)[0]
    fc = np.full(n, -1)
    u, pos = np.unique(cust[vi], return_index=True)  # cust/t sorted by (cust, t)
    fc[u] = vi[pos]
    has_fc = fc >= 0
    origin = np.where(has_fc, t[np.maximum(fc, 0)], w.signup + S.ONBOARDING_DAYS * DAY)
    expo = has_fc & ack30[np.maximum(fc, 0)]
    rate = S.LAMBDA0 * S.PLAN_HR[w.plan] * S.SEG_HR[w.segment] * np.where(expo, S.ACK_HR, 1.0)
    C = origin + (rng.exponential(1.0, n) / rate * DAY).astype(np.int64)
    latent_first = C.copy()
    invol = w.signup + (rng.exponential(1.0, n) / S.LAMBDA_INVOL * DAY).astype(np.int64)
    prev = origin.copy()
    active = np.ones(n, dtype=bool)
    out = {k: [] for k in ("cust", "t", "script", "offer", "amount", "accepted", "agent", "closure",
                           "p_none", "p_full")}
    rounds = 0
    while active.any() and rounds < 200:
        rounds += 1
        back = rng.integers(12 * HOUR, 10 * DAY, n)
        ct = np.maximum(C - back, (prev + C) // 2)
        elig = active & has_fc & (ct < S.INT_END) & (invol > ct)
        contact = elig & (rng.random(n) < S.P_CANCEL_CONTACT)
        script = (rng.random(n) < 0.5).astype(np.int64)
        offer = pick(rng, n, S.OFFER_P)
        amt = np.select([offer == 1, offer == 2, offer == 3],
                        [np.where(script == 1, rng.uniform(5, 20, n), rng.uniform(10, 40, n)),
                         np.where(script == 1, rng.uniform(10, 30, n), rng.uniform(20, 60, n)),
                         rng.uniform(10, 50, n)], 0.0).round(2)
        idx = np.nonzero(contact)[0]
        agent, closure = save_agent_and_closure(w, save_rng, ct[idx], script[idx])
        n_cl = closure.sum(1)
        p_acc = np.zeros(n)
        p_acc[idx] = acceptance_probability(w, offer[idx], amt[idx], n_cl, agent)
        acc = contact & (rng.random(n) < p_acc)
        out["cust"].append(idx); out["t"].append(ct[idx]); out["script"].append(script[idx])
        out["offer"].append(offer[idx]); out["amount"].append(amt[idx]); out["accepted"].append(acc[idx])
        out["agent"].append(agent); out["closure"].append(closure)
        out["p_none"].append(acceptance_probability(w, offer[idx], amt[idx], 0, agent))
        out["p_full"].append(acceptance_probability(w, offer[idx], amt[idx], len(S.CLOSURE_BEHAVIORS), agent))
        prev = np.where(acc, C, prev)
        C = np.where(acc, C + (rng.exponential(1.0, n) / rate * DAY).astype(np.int64), C)
        active = acc
    cancel = {k: np.concatenate(v) for k, v in out.items()}
    churn_at = np.minimum(C, invol)
    vol = C < invol
    return dict(first_idx=fc, has_fc=has_fc, origin=origin, exposed=expo, rate=rate,
                vol_latent=C, vol_latent_first=latent_first, invol_latent=invol,
                churn_at=churn_at, churn_vol=vol, save_rounds=rounds), cancel
