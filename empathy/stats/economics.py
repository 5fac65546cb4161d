"""The economics of empathy: expected recurring revenue per customer over a horizon, from survival, for customers
whose first contact was empathetic (exposed) against those whose was not, and what a one-point rise in the share
of empathetic first contacts is worth per year.

Estimand. Expected revenue over the horizon ``tau`` days = MRR x RMST(tau) / 30.4375: the restricted mean time
without voluntary churn (Royston & Parmar 2013; the area under the Kaplan-Meier curve, empathy/stats/survival.py)
in months, times monthly recurring revenue. One MRR for both groups (the portfolio's mean MRR at the first
contact), so that the difference is retention only and not plan mix; each group's own MRR is shown beside it.

Adjustment. Exposure is not randomised: customers whose first contact was empathetic may differ in plan and
segment, which also drive churn. The RMST of each group is standardised over strata (var
economics.standardize_by, default plan x segment): RMST_g = sum_s w_s RMST_{g,s}, with w_s the share of all
customers in stratum s, over strata where both groups have customers; Var = sum_s w_s^2 Var_{g,s} (independent
strata; Klein & Moeschberger 2003, eq. 4.5.2 within each). This removes confounding by the strata variables only:
agent skill, channel or the reason for the contact can still confound, and the mart says so.

Roll-up. Value per year of a one-point (var economics.share_change) rise in the share of first contacts that are
empathetic = share_change x (customers reaching a first contact per year, from the last 365 days of data) x the
standardised difference in expected revenue per customer; its interval scales the difference's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..frames import is_spark_frame, sorted_frame, with_keys_in
from ..settings import settings_from_var
from .survival import rmst_difference

DAYS_PER_MONTH = 30.4375
Z95 = 1.959964


@dataclass(frozen=True)
class EconomicsSettings:
    """The var `economics` of dbt_project.yml."""
    horizon_days: int = 365
    standardize_by: tuple[str, ...] = ("plan", "segment")
    share_change: float = 0.01

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "EconomicsSettings":
        return settings_from_var(cls, config, tuple_fields=["standardize_by"])


ASSUMPTIONS = (
    "MRR held at the portfolio mean at the first contact for both groups; RMST standardised over {strata}; "
    "involuntary churn censors; exposure is observational (agent skill, channel, contact reason may still "
    "confound); first contacts per year from the last 365 days of data; no discounting; a one-point rise applied "
    "to all first contacts."
)


def standardised_rmst(lifelines: pd.DataFrame, exposed: str, unexposed: str, settings: EconomicsSettings
                      ) -> tuple[dict[str, tuple[float, float]], int, list[str]]:
    """Per group, the stratum-standardised RMST and its standard error; the number of strata used and the notes."""
    strata = list(settings.standardize_by)
    data = lifelines[lifelines["exposure_group"].isin([exposed, unexposed])].copy()
    data["n"] = 1
    data["stratum"] = data[strata].astype(str).agg("|".join, axis=1) if strata else "all"
    table = rmst_difference(data, "exposure_group", tau=float(settings.horizon_days), time_col="duration_days",
                            event_col="is_voluntary_churn", count_col="n", reference_group=unexposed,
                            by="stratum")
    both = table.groupby("stratum")["group"].nunique()
    usable = both[both == 2].index
    notes = []
    if len(usable) < len(both):
        notes.append(f"{len(both) - len(usable)} strata with one group only left out")
    weights = data[data["stratum"].isin(usable)].groupby("stratum").size()
    weights = weights / weights.sum()
    out = {}
    for group in (exposed, unexposed):
        rows = table[(table["group"] == group) & table["stratum"].isin(usable)].set_index("stratum")
        w = weights.reindex(rows.index)
        out[group] = (float((w * rows["rmst"]).sum()), float(math.sqrt((w**2 * rows["rmst_se"] ** 2).sum())))
    return out, len(usable), notes


def economics_table(lifelines: pd.DataFrame, mrr_at_origin: pd.Series, exposed: str,
                    settings: EconomicsSettings) -> pd.DataFrame:
    """The mart's rows: per exposure group its expected revenue over the horizon; the difference per customer;
    the yearly value of a one-point rise. ``mrr_at_origin`` is indexed like ``lifelines``."""
    unexposed = f"not_{exposed}"
    strata = " x ".join(settings.standardize_by) or "nothing"
    base = {"horizon_days": settings.horizon_days, "assumptions": ASSUMPTIONS.format(strata=strata)}
    data = lifelines.assign(mrr_at_origin=pd.to_numeric(mrr_at_origin, errors="coerce"))
    data = data[data["exposure_group"].isin([exposed, unexposed])]
    counts = data["exposure_group"].value_counts()
    if counts.get(exposed, 0) < 2 or counts.get(unexposed, 0) < 2:
        return pd.DataFrame([{**base, "metric": m, "status": "one_group_empty"}
                             for m in ("expected_revenue_per_customer", "difference_per_customer",
                                       "value_per_point_per_year")])
    mrr = float(data["mrr_at_origin"].mean())
    rmst, n_strata, notes = standardised_rmst(data, exposed, unexposed, settings)
    status = "ok" + "".join(f"; {n}" for n in notes)
    rows = []
    for group in (exposed, unexposed):
        value, se = rmst[group]
        members = data[data["exposure_group"] == group]
        rows.append({**base, "metric": "expected_revenue_per_customer", "exposure_group": group,
                     "rmst_days": value, "mrr_assumed": mrr, "group_mean_mrr": float(members["mrr_at_origin"].mean()),
                     "estimate": mrr * value / DAYS_PER_MONTH, "std_error": mrr * se / DAYS_PER_MONTH,
                     "n_customers": len(members), "n_strata": n_strata, "status": status})
    diff = rmst[exposed][0] - rmst[unexposed][0]
    diff_se = math.hypot(rmst[exposed][1], rmst[unexposed][1])
    per_customer, per_customer_se = mrr * diff / DAYS_PER_MONTH, mrr * diff_se / DAYS_PER_MONTH
    rows.append({**base, "metric": "difference_per_customer", "exposure_group": exposed, "rmst_days": diff,
                 "mrr_assumed": mrr, "estimate": per_customer, "std_error": per_customer_se,
                 "n_customers": len(data), "n_strata": n_strata, "status": status})
    origin = pd.to_datetime(data["origin_at"])
    per_year = int((origin > origin.max() - pd.Timedelta(days=365)).sum())
    scale = settings.share_change * per_year
    rows.append({**base, "metric": "value_per_point_per_year", "exposure_group": exposed, "mrr_assumed": mrr,
                 "estimate": scale * per_customer, "std_error": scale * per_customer_se,
                 "n_customers": per_year, "n_strata": n_strata, "share_change": settings.share_change,
                 "status": status})
    out = pd.DataFrame(rows)
    out["ci_lower"] = out["estimate"] - Z95 * out["std_error"]
    out["ci_upper"] = out["estimate"] + Z95 * out["std_error"]
    return out


def origin_weeks(origin: pd.Series, keys: pd.Series) -> pd.DataFrame:
    """The customer-weeks (``customer_key``, ``week_start``: the Monday, UTC) that hold each ``origin``."""
    week = pd.to_datetime(origin).dt.tz_localize(None).dt.normalize()
    return pd.DataFrame({"customer_key": keys.to_numpy(),
                         "week_start": (week - pd.to_timedelta(week.dt.weekday, unit="D")).to_numpy()})


def weeks_at_origins(weeks_relation: Any, lifelines: pd.DataFrame, session: Any) -> pd.DataFrame:
    """The customer-weeks :func:`mrr_at` looks up (keys and ``mrr_at_week_start``) from the relation of
    int_customer_weeks_signalled: on DuckDB only the weeks holding a lifeline's origin (a semi-join in the engine,
    one row per customer instead of tens of millions, D40); a Spark DataFrame whole."""
    columns = ["customer_key", "week_start", "mrr_at_week_start"]
    if is_spark_frame(weeks_relation):
        return sorted_frame(weeks_relation, columns)
    wanted = session.from_df(origin_weeks(lifelines["origin_at"], lifelines["customer_key"]))
    return sorted_frame(with_keys_in(weeks_relation, wanted, ["customer_key", "week_start"]), columns)


def mrr_at(origin: pd.Series, keys: pd.Series, weeks: pd.DataFrame) -> pd.Series:
    """Each customer's MRR in force at ``origin`` (the customer-week holding it, from int_customer_weeks_signalled:
    the whole table, or only the weeks of :func:`origin_weeks`); null when the origin falls outside the customer's
    weeks."""
    wanted = origin_weeks(origin, keys)
    lookup = weeks.assign(week_start=pd.to_datetime(weeks["week_start"])).set_index(["customer_key", "week_start"])
    index = pd.MultiIndex.from_frame(wanted)
    return pd.Series(lookup["mrr_at_week_start"].reindex(index).to_numpy(), index=origin.index)
