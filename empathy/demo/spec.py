"""Constants of the demo world: contract columns, vocabularies, planted parameters."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .util import DAY, T

GENERATOR_VERSION = "1.0.0"

# ---------------------------------------------------------------- contract
# type codes: string, ts (timestamp or ISO string), bool, int, double, date
CONTRACT: dict[str, list[tuple[str, str]]] = {
    "interactions": [
        ("interaction_id", "string"), ("source_system", "string"), ("channel", "string"),
        ("account_id", "string"), ("customer_email", "string"), ("customer_phone", "string"),
        ("agent_id", "string"), ("queue", "string"), ("product", "string"),
        ("contact_reason", "string"), ("is_escalated", "bool"), ("started_at", "ts"),
        ("first_agent_response_at", "ts"), ("ended_at", "ts"), ("is_resolved", "bool"),
        ("updated_at", "ts"), ("_loaded_at", "ts")],
    "transcript_segments": [
        ("source_system", "string"), ("interaction_id", "string"), ("segment_index", "int"),
        ("speaker", "string"), ("offset_ms", "int"), ("text", "string"), ("sentiment", "double"),
        ("_loaded_at", "ts")],
    "qa_reviews": [
        ("review_id", "string"), ("source_system", "string"), ("interaction_id", "string"),
        ("reviewer_id", "string"), ("behavior_code", "string"), ("score", "int"),
        ("is_calibration", "bool"), ("reviewed_at", "ts"), ("comment", "string"),
        ("_loaded_at", "ts")],
    "survey_invitations": [
        ("invitation_id", "string"), ("survey_type", "string"), ("source_system", "string"),
        ("interaction_id", "string"), ("account_id", "string"), ("customer_email", "string"),
        ("sampling_stratum", "string"), ("selection_probability", "double"), ("sent_at", "ts"),
        ("_loaded_at", "ts")],
    "survey_responses": [
        ("response_id", "string"), ("invitation_id", "string"), ("item_code", "string"),
        ("item_position", "int"), ("answer_numeric", "double"), ("answer_text", "string"),
        ("responded_at", "ts"), ("_loaded_at", "ts")],
    "consent_events": [
        ("event_id", "string"), ("identifier_type", "string"), ("identifier_value", "string"),
        ("purpose", "string"), ("status", "string"), ("event_at", "ts"), ("source", "string"),
        ("_loaded_at", "ts")],
    "customers": [
        ("account_id", "string"), ("email", "string"), ("phone", "string"), ("signup_at", "ts"),
        ("plan", "string"), ("segment", "string"), ("region", "string"), ("updated_at", "ts"),
        ("_loaded_at", "ts")],
    "subscription_events": [
        ("event_id", "string"), ("account_id", "string"), ("event_type", "string"),
        ("is_voluntary", "bool"), ("cancel_reason", "string"), ("mrr", "double"),
        ("event_at", "ts"), ("_loaded_at", "ts")],
    "product_usage_weekly": [
        ("account_id", "string"), ("week_start", "date"), ("active_days", "int"),
        ("key_actions", "int"), ("_loaded_at", "ts")],
    "retention_offers": [
        ("offer_id", "string"), ("source_system", "string"), ("interaction_id", "string"),
        ("account_id", "string"), ("save_script", "string"), ("offer_type", "string"),
        ("offer_amount", "double"), ("is_accepted", "bool"), ("offered_at", "ts"),
        ("_loaded_at", "ts")],
    "agents": [
        ("agent_id", "string"), ("team", "string"), ("site", "string"),
        ("supervisor_id", "string"), ("hired_at", "ts"), ("updated_at", "ts"),
        ("_loaded_at", "ts")],
    "training_completions": [
        ("agent_id", "string"), ("module_code", "string"), ("completed_at", "ts"),
        ("_loaded_at", "ts")],
    "experiment_assignments": [
        ("experiment_id", "string"), ("unit_type", "string"), ("unit_id", "string"),
        ("arm", "string"), ("assigned_at", "ts"), ("_loaded_at", "ts")],
    "incidents": [
        ("incident_id", "string"), ("product", "string"), ("severity", "string"),
        ("started_at", "ts"), ("ended_at", "ts"), ("_loaded_at", "ts")],
}

# natural key used to detect re-deliveries, and whether updated_at decides
KEYS = {
    "interactions": ["source_system", "interaction_id"],
    "transcript_segments": ["source_system", "interaction_id", "segment_index"],
    "qa_reviews": ["review_id"],
    "survey_invitations": ["invitation_id"],
    "survey_responses": ["response_id"],
    "consent_events": ["event_id"],
    "customers": ["account_id"],
    "subscription_events": ["event_id"],
    "product_usage_weekly": ["account_id", "week_start"],
    "retention_offers": ["offer_id"],
    "agents": ["agent_id"],
    "training_completions": ["agent_id", "module_code"],
    "experiment_assignments": ["experiment_id", "unit_type", "unit_id", "assigned_at"],
    "incidents": ["incident_id"],
}

# ---------------------------------------------------------------- calendar
SIGNUP_START = T("2024-07-01")
SIGNUP_END = T("2026-04-01")  # exclusive
INT_START = T("2025-01-01")
INT_END = T("2026-07-01")  # exclusive
CAP = T("2026-07-01T06:00:00")  # last possible _loaded_at = as_of
EXP_START = T("2026-01-05")
EXPERIMENT_ID = "exp_empathy_prompt_2026q1"
EXP_WINDOW_END = T("2026-04-06")  # exclusive: the registered window ends on 2026-04-05 (inclusive date)
# The second experiment: guidance cards switched on by hour-of-week schedule block (168 blocks, `mon_00` ..
# `sun_23`, UTC). Its assignment is broken on purpose: registered 50/50, but the service put each block in
# treatment with probability 2/3, lost the rows of two blocks and later flipped three blocks to the other arm.
# The cards change nothing, so every true effect is zero.
EXPERIMENT2_ID = "exp_guidance_card_2026q2"
EXP2_START = T("2026-04-06")
EXP2_WINDOW_END = T("2026-06-29")  # exclusive
EXP2_TREAT_P = 2 / 3
EXP2_LOST_BLOCKS = 2
EXP2_FLIPPED_BLOCKS = 3
EXP2_FLIP_AT = T("2026-05-04")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SCHEDULE_BLOCKS = [f"{d}_{h:02d}" for d in WEEKDAYS for h in range(24)]
WAVE_DATES = ["2025-06-02", "2025-10-06", "2026-02-02"]
NPS_WAVES = ["2025-03-16", "2025-06-15", "2025-09-14", "2025-12-14", "2026-03-15", "2026-06-14"]

# ---------------------------------------------------------------- vocab
PLANS = ["basic", "pro", "enterprise"]
PLAN_P = [0.55, 0.33, 0.12]
PLAN_MRR = np.array([29.0, 99.0, 499.0])
SEGMENTS = ["consumer", "smb", "enterprise"]
SEG_GIVEN_PLAN = [[0.8, 0.2, 0.0], [0.3, 0.6, 0.1], [0.0, 0.2, 0.8]]
REGIONS = ["na", "emea", "apac", "latam"]
REGION_P = [0.45, 0.25, 0.2, 0.1]
REGION_TO_QREG = np.array([0, 1, 2, 0])
FIRST_NAMES = ["james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda",
               "david", "elizabeth", "william", "barbara", "richard", "susan", "joseph",
               "jessica", "thomas", "sarah", "carlos", "maria", "wei", "yuki", "amara",
               "fatima", "lars", "ingrid", "arjun", "priya", "kofi", "sofia"]
LAST_NAMES = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
              "rodriguez", "martinez", "hernandez", "lopez", "wilson", "anderson", "thomas",
              "taylor", "moore", "jackson", "martin", "lee", "chen", "tanaka", "okafor",
              "haddad", "nielsen", "berg", "sharma", "patel", "mensah", "rossi"]
AREA_CODES = np.array([212, 312, 415, 617, 646, 713, 206, 303, 404, 512, 604, 416, 305, 702])

FUNCS = ["billing", "shipping", "tech", "retention"]
QREGS = ["na", "emea", "apac"]
QUEUES = [f"{f}_{r}" for f in FUNCS for r in QREGS]  # index = fn*3 + qreg
PRODUCTS = ["app", "web", "payments", "hardware"]
PRODUCT_GIVEN_FN = [[0.2, 0.3, 0.5, 0.0], [0.1, 0.2, 0.0, 0.7], [0.4, 0.3, 0.1, 0.2],
                    [0.35, 0.35, 0.2, 0.1]]
REASONS = ["shipping_delay", "billing_dispute", "billing_correction", "refund_exception",
           "policy_exception", "escalation", "outage", "how_to", "password_reset",
           "account_update", "cancellation_request"]
R_OUTAGE = REASONS.index("outage")
R_CANCEL = REASONS.index("cancellation_request")
REASON_P = [0.12, 0.07, 0.06, 0.05, 0.05, 0.04, 0.03, 0.22, 0.14, 0.12, 0.0]
REASON_FN = np.array([1, 0, 0, 0, 3, 2, 2, 2, 2, 0, 3])
CATS = [None, "escalation", "delayed_shipment", "billing_correction", "policy_exception"]
REASON_CAT = np.array([2, 3, 3, 3, 4, 1, 0, 0, 0, 0, 0])
TOUGH_MAPPING = {
    "escalation": ["escalation"],
    "delayed_shipment": ["shipping_delay"],
    "billing_correction": ["billing_dispute", "billing_correction", "refund_exception"],
    "policy_exception": ["policy_exception"],
}

CHANNELS = ["voice", "chat", "email", "in_product"]
CHANNEL_P = [0.38, 0.30, 0.22, 0.10]
SRC_OF_CH = np.array([0, 1, 2, 1])
SOURCES = ["genesys", "intercom", "zendesk"]
ID_PREFIX = ["gen-", "ic-", "zd-"]
CH_LABELS = [["Voice", "phone", " CALL ", "voice"], ["chat", "Web_Chat", "Chat "],
             ["Email", "e-mail", "email "], ["in_product", "In-App", "in-app"]]
SPEAKER_LABELS = [["agent", "Agent ", "AGENT"], ["customer", "Customer", "caller"],
                  ["bot", "virtual_agent"]]

BEHAVIOURS = ["acknowledge", "name_emotion", "clarify_need", "offer_options", "close_loop"]
BASE_P = np.array([0.50, 0.30, 0.45, 0.40, 0.45])
SKILL_SD = 0.06
NEW_AGENT_PENALTY = 0.08
NEW_AGENT_SINCE = T("2025-07-01")
# Case mix and volume (issue 14). Behaviours are harder to show in a tough moment: every behaviour probability is
# shifted by TOUGH_BEHAVIOR_SHIFT there. Within every team, one agent in TOUGH_SPECIALIST_EVERY takes tough moments
# first (routing weight TOUGH_AFFINITY on a tough contact, 1 otherwise); every agent has a home channel (the team's
# agents take turns over CHANNELS) whose contacts come to them first (weight CHANNEL_AFFINITY), and email cannot be
# acknowledged within 30 seconds, so an email agent's empathetic-contact rate is low whatever their skill; and
# agents work different hours (a routing weight per agent, lognormal with sd VOLUME_SD on the log scale). Routing
# only moves a contact between agents of the team the contact reached, so every team's mix of contacts (and the
# team-level designs) is unchanged.
TOUGH_BEHAVIOR_SHIFT = -0.06
TOUGH_SPECIALIST_EVERY = 3
TOUGH_AFFINITY = 4.0
CHANNEL_AFFINITY = 4.0
VOLUME_SD = 0.35
TRAIN_UPLIFT = 0.10
# A shared time effect on every behaviour probability (before clipping): a holiday-season dip in November, December
# and January and a slow upward drift, so that a before/after comparison of trained teams is biased and only a
# comparison with untrained teams over the same months recovers the training effect.
SEASON_DIP = -0.06
SEASON_DIP_MONTHS = (11, 12, 1)
DRIFT_PER_YEAR = 0.04
# Dated policy changes (recorded by users in seeds/policy_changes.csv): from its effective date every behaviour
# probability of the channel's contacts rises by the uplift (before clipping). They change CSAT only through the
# behaviours, so their timing is a valid instrument once months and channels are held fixed.
POLICIES = [("pol_chat_empathy_guide", 1, "2025-09-01", 0.08),  # channel index 1 = chat
            ("pol_voice_callback_script", 0, "2026-03-02", 0.08)]  # 0 = voice
# Supervisor rotations (delivered as re-delivered roster rows with a new supervisor_id): each supervisor's coaching
# shifts every behaviour probability of the agents they lead by a fixed amount (Normal(0, SUPERVISOR_COACH_SD)).
# Supervisors lead pods that cut across teams (one per SUPERVISOR_AGENTS_EACH agents); each agent starts under a
# random one and SUPERVISOR_MOVE_SHARE of the agents move to another on a random day in SUPERVISOR_MOVE_WINDOW, so a
# team's mix of coaching drifts by small steps rather than jumping on one date (which would be a team-level shock
# that confounds the training rollout). Like the policies, coaching changes CSAT only through the behaviours, so
# within an agent the change of supervisor is a valid instrument (a "judge" design).
SUPERVISOR_COACH_SD = 0.06
SUPERVISOR_AGENTS_EACH = 6
SUPERVISOR_MOVE_SHARE = 0.35
SUPERVISOR_MOVE_WINDOW = ("2025-03-01", "2026-05-01")
EXP_ACK_UPLIFT = 0.15
P_CLIP = (0.02, 0.97)
P_EARLY = np.array([0.70, 0.60, 0.0, 0.60])  # P(ack is in the first 30 s | ack present)
P_BOT_ONLY = np.array([0.0, 0.08, 0.0, 0.08])

# CSAT model
CSAT_BASE_CH = np.array([0.66, 0.64, 0.56, 0.62])
CSAT_CAT_OFF = np.array([0.0, -0.25, -0.18, -0.20, -0.22])
CSAT_UNRESOLVED = -0.12
ACK30_LIFT = 0.08
BEH_COEF = np.array([0.0, 0.03, 0.02, 0.03, 0.03])  # acknowledge presence itself: 0
TOP2_CLIP = (0.02, 0.98)

# sampling
SEL_P_TOUGH = 0.60
SEL_P_ROUTINE = 0.15
STRATA = ["routine"] + [f"tough_moment:{c}" for c in CATS[1:]]
RESP_P_CH = np.array([0.22, 0.30, 0.26, 0.15])  # routine
RESP_TOUGH_MULT = 0.8
NPS_SEL_P = 0.5
NPS_RESP_P = 0.3
NPS_BASE = 6.3
NPS_EMP_COEF = 4.0
# Each behaviour's weight in the NPS empathy term (acknowledge, name_emotion, clarify_need, offer_options, close_loop):
# they sum to NPS_EMP_COEF, so the term is NPS_EMP_COEF x (E - E0) when every weight is equal; unequal weights plant
# a driver ordering (naming the emotion and closing the loop matter most) for the key-driver marts to recover.
NPS_BEH_COEF = np.array([0.5, 1.4, 0.5, 0.4, 1.2])
NPS_E0 = 0.4
NPS_SD = 1.8
# NPS differs by plan (basic, pro, enterprise), so nonresponse that differs by plan biases the naive NPS.
NPS_PLAN_OFFSET = np.array([-0.6, 0.6, 0.9])
NEW_ACCOUNT_DAYS = 180  # "new" accounts for the tenure part of the response mechanism


@dataclass(frozen=True)
class ResponseMechanism:
    """Who answers a survey, as multipliers of the base response probability (pulse: RESP_P_CH by channel; NPS:
    NPS_RESP_P). ``plan_mult`` by plan (basic, pro, enterprise); ``new_account_mult`` for accounts younger than
    NEW_ACCOUNT_DAYS at sending; ``tough_mult`` for pulses after a tough moment. ``outcome_slope`` makes the
    response depend on the answer itself (not missing at random: odds x exp(slope x (NPS - 7)) for NPS and
    exp(4 x slope x (top-2 - 0.5)) for pulses), which no weighting on observed covariates can remove."""

    name: str
    plan_mult: tuple[float, float, float] = (0.7, 1.4, 1.2)
    new_account_mult: float = 1.3
    tough_mult: float = 0.8
    outcome_slope: float = 0.0


#: Named response mechanisms for the calibration study (``make calibrate``); the demo uses ``plan_and_tenure``.
RESPONSE_MECHANISMS = {
    "plan_and_tenure": ResponseMechanism("plan_and_tenure"),
    "plan_strong": ResponseMechanism("plan_strong", plan_mult=(0.5, 1.6, 1.4), new_account_mult=1.6),
    "tough_moment": ResponseMechanism("tough_moment", plan_mult=(1.0, 1.0, 1.0), new_account_mult=1.0,
                                      tough_mult=0.45),
    "answer_itself": ResponseMechanism("answer_itself", outcome_slope=0.25),
}

# churn (per-day rates)
LAMBDA0 = 0.03 / 30.4375
PLAN_HR = np.array([1.25, 1.0, 0.7])
SEG_HR = np.array([1.2, 1.0, 0.75])
ACK_HR = 0.70
LAMBDA_INVOL = 0.004 / 30.4375
ONBOARDING_DAYS = 14
P_CANCEL_CONTACT = 0.5
OFFER_TYPES = ["none", "discount", "credit", "plan_change"]
OFFER_P = [0.3, 0.35, 0.2, 0.15]
ACC_BASE = np.array([0.08, 0.18, 0.15, 0.20])
ACC_PER_DOLLAR = 0.004
# Save conversations (issue 12, D29): each closure sub-behaviour the agent shows (summarise the concern, confirm next
# steps, close the emotional loop) raises the chance the customer accepts and stays far more than money does; the
# agent's skill raises both the closure behaviours and acceptance, so a naive comparison overstates closure.
CLOSURE_BEHAVIORS = ["summarise_concern", "confirm_next_steps", "close_emotional_loop"]
SAVE_CLOSURE_BASE = np.array([0.35, 0.45, 0.25])  # P(sub-behaviour) under the standard script, average agent
SAVE_CLOSURE_SCRIPT = 0.30  # the empathy_close_loop script adds this to each
SAVE_CLOSURE_SKILL = 3.0  # times the agent's skill (sd SKILL_SD), on each
ACC_PER_CLOSURE = 0.08  # acceptance per closure sub-behaviour shown
ACC_SKILL = 1.5  # acceptance per unit of agent skill, not through closure (the confounding path)
ACC_CLIP = (0.02, 0.9)
SAVE_SCRIPTS = ["standard", "empathy_close_loop"]
CANCEL_REASONS_VOL = ["too_expensive", "missing_features", "switched_competitor",
                      "poor_support", "no_longer_needed"]

DAY_S = DAY
