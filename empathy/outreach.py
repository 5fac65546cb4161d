"""An at-risk alert policy that respects people, and the measurement of what its alerts did.

Policy (:func:`alert_decisions`), week by week over the scored customer-weeks of the alert period:

1. rank the customers at risk that week by the churn-risk model's probability of voluntary churn within the horizon
   (empathy/stats/churn_risk.py);
2. walk down the ranking; a customer is *suppressed*, with the reason, when they revoked consent to be contacted
   (``suppressed_contact_opt_out``: survey_contact consent revoked as of the week), a conversation is already in
   progress (``suppressed_open_contact``: an unresolved contact in the last var risk_signals.open_contact_days),
   or they were selected within the frequency cap (``suppressed_recent_alert``: var alerts.frequency_cap_days,
   counting held-out selections too, so both arms face the same cap). Customers whose analytics consent is revoked
   never reach the warehouse (D22), so they can never be alerted; the consent audit counts them;
3. the first ``weekly_capacity`` customers not suppressed are *selected*; the threshold of the week is the risk of
   the last one selected (capacity decides the threshold, not a fixed cut-off);
4. a selected customer is ``held_out`` (not contacted) when a hash of the salted customer key falls below
   ``holdout_share``, else ``alerted``. The hash is stable, so a customer is always in the same arm; selection is
   by the same rule in both arms, so comparing them measures what the alert (the outreach) does.

Outcomes (:func:`alert_outcome_table`): per customer, the first selection in the period whose outcome window
(var alerts.outcome_window_days) closed before the as-of date; alerted against held out: later contacts, the share
of them resolved, opting out of contact, voluntary churn within the window, and the change in recurring revenue
(future spend; 0 after churn). The difference in means has a Welch standard error and a normal-approximation 95%
interval; each customer counts once.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .settings import settings_from_var

#: Statuses of mart_alert_outcomes rows.
OUTCOME_STATUSES = ("ok", "few_customers", "too_few_alerted_customers", "too_few_held_out_customers")
STATUSES = ("alerted", "held_out", "suppressed_contact_opt_out", "suppressed_open_contact", "suppressed_recent_alert")
OUTCOMES = {
    "contacts_in_window": "Contacts in the window after the alert week.",
    "resolved_share_of_contacts": "Share of those contacts resolved (customers with at least one contact).",
    "opted_out_of_contact": "Revoked consent to be contacted during the window.",
    "voluntary_churn_in_window": "Churned voluntarily during the window.",
    "mrr_change": "Recurring revenue at the window's end minus at the alert week (0 after churn).",
}


@dataclass(frozen=True)
class AlertSettings:
    """The var `alerts` of dbt_project.yml."""
    weekly_capacity: int = 25
    frequency_cap_days: int = 56
    holdout_share: float = 0.2
    holdout_salt: str = "alerts-holdout-v1"
    outcome_window_days: int = 90
    weeks: int = 26

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "AlertSettings":
        return settings_from_var(cls, config)


def holdout_draw(customer_key: str, salt: str) -> float:
    """A reproducible uniform draw in [0, 1) for a customer: the first 15 hex digits of md5(salt || key)."""
    digest = hashlib.md5(f"{salt}{customer_key}".encode()).hexdigest()
    return int(digest[:15], 16) / 16**15


def alert_decisions(weeks: pd.DataFrame, settings: AlertSettings) -> pd.DataFrame:
    """One row per customer-week selected or suppressed in the last ``settings.weeks`` weeks (columns of
    :data:`DECISION_COLUMNS`). ``weeks`` holds customer_key, week_start, risk_full, top_signals,
    is_contact_opted_out and has_open_contact for every customer-week at risk."""
    data = weeks.dropna(subset=["risk_full"]).copy()
    data["week_start"] = pd.to_datetime(data["week_start"])
    if data.empty:  # no fitted model (too few churns to learn from): nobody can be ranked, so nobody is alerted
        return empty_decisions()
    first = data["week_start"].max() - pd.Timedelta(weeks=settings.weeks - 1)
    data = data[data["week_start"] >= first].sort_values(["week_start", "risk_full", "customer_key"],
                                                         ascending=[True, False, True])
    cap = pd.Timedelta(days=settings.frequency_cap_days)
    last_selected: dict[str, pd.Timestamp] = {}
    draws: dict[str, float] = {}
    rows = []
    for week, group in data.groupby("week_start", sort=True):
        selected = 0
        week_rows = []
        for rank, row in enumerate(group.itertuples(index=False), start=1):
            if selected >= settings.weekly_capacity:
                break
            key = row.customer_key
            if bool(row.is_contact_opted_out):
                status = "suppressed_contact_opt_out"
            elif bool(row.has_open_contact):
                status = "suppressed_open_contact"
            elif key in last_selected and week - last_selected[key] < cap:
                status = "suppressed_recent_alert"
            else:
                draw = draws.setdefault(key, holdout_draw(key, settings.holdout_salt))
                status = "held_out" if draw < settings.holdout_share else "alerted"
                last_selected[key] = week
                selected += 1
            week_rows.append({"customer_key": key, "week_start": week, "risk_rank": rank,
                              "risk_score": float(row.risk_full), "top_signals": row.top_signals,
                              "alert_status": status})
        threshold = min((r["risk_score"] for r in week_rows if r["alert_status"] in ("alerted", "held_out")),
                        default=math.nan)
        n_at_risk = len(group)
        for r in week_rows:
            r.update(weekly_threshold=threshold, n_customers_at_risk=n_at_risk, n_selected=selected,
                     is_selected=r["alert_status"] in ("alerted", "held_out"),
                     is_held_out=r["alert_status"] == "held_out")
        rows += week_rows
    return pd.DataFrame(rows, columns=DECISION_COLUMNS).astype(dict(zip(DECISION_COLUMNS, _DECISION_TYPES)))


def alert_period_filter(scored_relation: Any, settings: AlertSettings) -> str | None:
    """A DuckDB filter on ``week_start`` keeping the alert period of :func:`alert_decisions` (its last
    ``settings.weeks`` weeks, counted back from the last week with a risk score), to apply to the relations before
    they reach pandas; None when no week has a score (then nobody is alerted, whatever the filter)."""
    last = scored_relation.filter("risk_full is not null").aggregate("max(week_start)").fetchone()[0]
    if last is None:
        return None
    first = pd.Timestamp(last) - pd.Timedelta(weeks=settings.weeks - 1)
    return f"week_start >= CAST('{first.date().isoformat()}' AS DATE)"


DECISION_COLUMNS = ["customer_key", "week_start", "alert_status", "is_selected", "is_held_out", "risk_score",
                    "risk_rank", "weekly_threshold", "n_customers_at_risk", "n_selected", "top_signals"]
_DECISION_TYPES = ["string", "datetime64[ns]", "string", "boolean", "boolean", "float64", "Int64", "float64", "Int64",
                   "Int64", "string"]


def empty_decisions() -> pd.DataFrame:
    """No decision, with the columns and types of a decision list (so the table keeps its schema)."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(DECISION_COLUMNS, _DECISION_TYPES)})


def customer_outcomes(decisions: pd.DataFrame, weeks: pd.DataFrame, settings: AlertSettings,
                      observed_until: pd.Timestamp) -> pd.DataFrame:
    """Per selected customer, the first selection whose window closed by ``observed_until`` (the end of the last
    complete week), with the outcomes of
    :data:`OUTCOMES` over the weeks starting in [week, week + window)."""
    window = pd.Timedelta(days=settings.outcome_window_days)
    if decisions.empty:
        return pd.DataFrame(columns=["customer_key", "is_held_out", *OUTCOMES])
    chosen = decisions[decisions["is_selected"].astype(bool)].sort_values("week_start")
    chosen = chosen[chosen["week_start"] + window <= observed_until].drop_duplicates("customer_key")
    if chosen.empty:
        return pd.DataFrame(columns=["customer_key", "is_held_out", *OUTCOMES])
    w = weeks[weeks["customer_key"].isin(chosen["customer_key"])].copy()
    w["week_start"] = pd.to_datetime(w["week_start"])
    w = w.merge(chosen[["customer_key", "week_start", "is_held_out"]].rename(columns={"week_start": "alert_week"}),
                on="customer_key")
    inside = w[(w["week_start"] >= w["alert_week"]) & (w["week_start"] < w["alert_week"] + window)]
    grouped = inside.groupby("customer_key")
    contacts = grouped["contacts_during_week"].sum()
    unresolved = grouped["unresolved_contacts_during_week"].sum()
    start = w[w["week_start"] == w["alert_week"]].set_index("customer_key")
    end_week = w[w["week_start"] >= w["alert_week"] + window].sort_values("week_start").groupby("customer_key").first()
    out = chosen.set_index("customer_key")[["is_held_out"]].copy()
    out["contacts_in_window"] = contacts.reindex(out.index).fillna(0)
    out["resolved_share_of_contacts"] = (1 - unresolved / contacts.where(contacts > 0)).reindex(out.index)
    opted_at_start = start["is_contact_opted_out"].reindex(out.index).astype(bool)
    opted_later = grouped["is_contact_opted_out"].max().reindex(out.index).fillna(False).astype(bool)
    opted_end = end_week["is_contact_opted_out"].reindex(out.index).astype("boolean").fillna(False).astype(bool)
    out["opted_out_of_contact"] = ((opted_later | opted_end) & ~opted_at_start).astype(float)
    out["voluntary_churn_in_window"] = grouped["is_voluntary_churn_in_week"].max().reindex(out.index).astype(float)
    mrr_start = pd.to_numeric(start["mrr_at_week_start"], errors="coerce").reindex(out.index)
    mrr_end = pd.to_numeric(end_week["mrr_at_week_start"], errors="coerce").reindex(out.index).fillna(0.0)
    out["mrr_change"] = mrr_end - mrr_start
    return out.reset_index()


def alert_outcome_table(per_customer: pd.DataFrame, settings: AlertSettings) -> pd.DataFrame:
    """Per outcome: the mean among alerted and held-out customers, the difference (alerted minus held out) with a
    Welch standard error, 95% interval and p-value, and a status."""
    rows = []
    for outcome, description in OUTCOMES.items():
        values = per_customer[["is_held_out", outcome]].dropna() if len(per_customer) else per_customer
        alerted = values.loc[~values["is_held_out"].astype(bool), outcome].astype(float) if len(values) else []
        held = values.loc[values["is_held_out"].astype(bool), outcome].astype(float) if len(values) else []
        row = {"outcome": outcome, "description": description, "outcome_window_days": settings.outcome_window_days,
               "n_customers_alerted": len(alerted), "n_customers_held_out": len(held),
               "mean_alerted": float(np.mean(alerted)) if len(alerted) else math.nan,
               "mean_held_out": float(np.mean(held)) if len(held) else math.nan}
        if len(alerted) < 2 or len(held) < 2:
            row["status"] = "too_few_alerted_customers" if len(alerted) < 2 else "too_few_held_out_customers"
        else:
            va, vh = np.var(alerted, ddof=1) / len(alerted), np.var(held, ddof=1) / len(held)
            se = math.sqrt(va + vh)
            diff = row["mean_alerted"] - row["mean_held_out"]
            row.update(estimate=diff, std_error=se, ci_lower=diff - 1.959964 * se, ci_upper=diff + 1.959964 * se,
                       p_value=float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else math.nan,
                       status="ok" if min(len(alerted), len(held)) >= 30 else "few_customers")
        rows.append(row)
    return pd.DataFrame(rows)


def suppression_summary(decisions: pd.DataFrame) -> str:
    """JSON counts of decisions by status (for logs and notes)."""
    return json.dumps(decisions["alert_status"].value_counts().to_dict(), sort_keys=True)
