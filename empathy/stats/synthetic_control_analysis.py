"""The synthetic-control marts (mart_synthetic_control, mart_synthetic_control_weights, mart_synthetic_control_path)
from the team-month panel: one adopting team against a weighted mix of teams that never adopted, per outcome.
Estimator: empathy/stats/synthetic_control.py (Abadie, Diamond & Hainmueller 2010); decisions: docs/decisions.md D26.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..settings import settings_from_var
from ..shared_results import computed_once
from .synthetic_control import placebo_in_space, placebo_in_time, synthetic_control

UNIT, PERIOD, GROUP = "team", "period_index", "adoption_period_index"
COLUMNS = {
    "summary": ["outcome", "treated_team", "treatment_period_index", "n_teams_donor", "estimate", "pre_rmspe",
                "post_rmspe", "rmspe_ratio", "placebo_rank", "n_teams_placebo", "p_value",
                "in_time_placebo_estimate", "in_time_placebo_months", "status", "detail"],
    "weights": ["outcome", "treated_team", "donor_team", "weight"],
    "path": ["outcome", "treated_team", "period_index", "treated_value", "synthetic_value", "gap", "is_post"],
}


@dataclass(frozen=True)
class SyntheticSettings:
    """The var `synthetic_control` of dbt_project.yml."""
    outcomes: tuple[str, ...]
    treated_team: str | None = None
    in_time_placebo_months: int = 3
    min_donor_teams: int = 5
    #: At most this many never-adopting teams in the donor pool: those closest to the treated team before adoption
    #: (:func:`nearest_donors`, D40).
    max_donor_teams: int = 50

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "SyntheticSettings":
        return settings_from_var(cls, config, tuple_fields=["outcomes"])


def treated_team(panel: pd.DataFrame, settings: SyntheticSettings) -> tuple[str | None, int | None]:
    """The team to study and its adoption period: the var's team, or else the first team (by name) of the
    earliest adopting cohort."""
    teams = panel.drop_duplicates(UNIT).set_index(UNIT)[GROUP]
    adopted = teams.dropna().sort_index()
    if settings.treated_team:
        if settings.treated_team not in teams.index or pd.isna(teams[settings.treated_team]):
            return settings.treated_team, None
        return settings.treated_team, int(teams[settings.treated_team])
    if adopted.empty:
        return None, None
    earliest = adopted[adopted == adopted.min()]
    return str(earliest.index[0]), int(earliest.iloc[0])


def nearest_donors(frame: pd.DataFrame, team: str, start: int, donors: list[str], outcome: str,
                   max_donors: int) -> tuple[list[str], list[str]]:
    """The donor pool of one outcome's fit: every never-adopting team when there are at most ``max_donors``, else
    the ``max_donors`` closest to the treated team before adoption, by the root mean squared gap between their
    ``outcome`` and the treated team's over the pre-adoption periods both observed (ties by name; a team with no
    such period is farthest). Returns the pool, sorted, and a note saying what was restricted.

    Abadie (2021, "Using Synthetic Controls", *J. Econ. Lit.* 59(2), section 3.2) advises restricting the pool to
    units similar to the treated one, against interpolation bias. It also bounds the placebo-in-space inference,
    which refits once per donor over the others (quadratic in the pool): about 780 never-adopting teams at a
    million customers. The restriction reads pre-adoption outcomes only, the data the fit itself matches."""
    if max_donors < 1:
        raise ValueError(f"max_donor_teams must be at least 1, got {max_donors}")
    if len(donors) <= max_donors:
        return list(donors), []
    pre = frame[frame[PERIOD] < start].pivot_table(index=PERIOD, columns=UNIT, values=outcome, aggfunc="mean")
    if team not in pre.columns:  # nothing to compare with: the fit says why
        return list(donors), []
    gaps = pre.reindex(columns=donors).sub(pre[team], axis=0)
    distance = np.sqrt((gaps**2).mean()).fillna(np.inf)
    kept = sorted(sorted(donors, key=lambda d: (distance[d], d))[:max_donors])
    return kept, [f"donor pool: the {max_donors} of {len(donors)} never-adopting teams closest to the treated team "
                  f"before adoption (root mean squared gap in {outcome}; Abadie 2021)"]


def _summary_row(outcome: str, team: str | None, start: int | None, status: str, **values) -> dict:
    row = {c: math.nan for c in COLUMNS["summary"]}
    row.update(outcome=outcome, treated_team=team, treatment_period_index=start, n_teams_donor=0,
               n_teams_placebo=0, placebo_rank=None, status=status, detail=None)
    row.update(values)
    return row


def shared_synthetic_tables(panel: pd.DataFrame, settings: SyntheticSettings) -> dict[str, pd.DataFrame]:
    """:func:`synthetic_tables` computed once per dbt process for the summary, weights and path marts, which show
    tables of the same fits and placebos (empathy/shared_results.py, D39)."""
    return computed_once("synthetic_tables", panel, settings, lambda: synthetic_tables(panel, settings))


def synthetic_tables(panel: pd.DataFrame, settings: SyntheticSettings) -> dict[str, pd.DataFrame]:
    """Per outcome: the fit's summary (ATT = mean post-adoption gap, pre/post RMSPE, placebo-in-space rank and
    p-value, in-time placebo), the donor weights and the treated/synthetic path."""
    team, start = treated_team(panel, settings)
    donors = sorted(panel.loc[panel[GROUP].isna(), UNIT].unique())
    summary, weights, path = [], [], []
    for outcome in settings.outcomes:
        if team is None or start is None:
            summary.append(_summary_row(outcome, team, start, "no_adopting_team" if team is None
                                        else "treated_team_never_adopted"))
            continue
        frame = panel[[UNIT, PERIOD, outcome]].astype({outcome: float})
        pool, pool_notes = nearest_donors(frame, team, start, donors, outcome, settings.max_donor_teams)
        args = dict(unit=UNIT, period=PERIOD, outcome=outcome, treated_unit=team, treatment_period=start,
                    donors=pool)
        fit = synthetic_control(frame, **args)
        if fit.status != "ok":
            summary.append(_summary_row(outcome, team, start, fit.status,
                                        detail=json.dumps({"notes": pool_notes + fit.notes})))
            continue
        placebo = placebo_in_space(frame, **args)
        in_time = placebo_in_time(frame, periods_earlier=settings.in_time_placebo_months, **args)
        n_donors = int((fit.weights.index.size))
        status = "few_donor_teams" if n_donors < settings.min_donor_teams else "ok"
        summary.append(_summary_row(
            outcome, team, start, status, n_teams_donor=n_donors, estimate=fit.att, pre_rmspe=fit.pre_rmspe,
            post_rmspe=fit.post_rmspe, rmspe_ratio=fit.rmspe_ratio, placebo_rank=placebo.treated_rank,
            n_teams_placebo=placebo.n_units, p_value=placebo.p_value, in_time_placebo_estimate=in_time.mean_gap,
            in_time_placebo_months=settings.in_time_placebo_months,
            detail=json.dumps({"notes": pool_notes + fit.notes + placebo.notes + in_time.notes,
                               "in_time_placebo_status": in_time.status, "placebo_status": placebo.status})))
        weights += [{"outcome": outcome, "treated_team": team, "donor_team": donor, "weight": float(w)}
                    for donor, w in fit.weights.items()]
        path += [{"outcome": outcome, "treated_team": team, "period_index": int(r["period"]),
                  "treated_value": r["treated"], "synthetic_value": r["synthetic"], "gap": r["gap"],
                  "is_post": bool(r["is_post"])} for r in fit.path.to_dict("records")]
    return {"summary": pd.DataFrame(summary), "weights": pd.DataFrame(weights, columns=COLUMNS["weights"]),
            "path": pd.DataFrame(path, columns=COLUMNS["path"])}
