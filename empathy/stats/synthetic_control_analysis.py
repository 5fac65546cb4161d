"""The synthetic-control marts (mart_synthetic_control, mart_synthetic_control_weights, mart_synthetic_control_path)
from the team-month panel: one adopting team against a weighted mix of teams that never adopted, per outcome.
Estimator: empathy/stats/synthetic_control.py (Abadie, Diamond & Hainmueller 2010); decisions: docs/decisions.md D26.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

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
        args = dict(unit=UNIT, period=PERIOD, outcome=outcome, treated_unit=team, treatment_period=start,
                    donors=donors)
        fit = synthetic_control(frame, **args)
        if fit.status != "ok":
            summary.append(_summary_row(outcome, team, start, fit.status, detail=json.dumps({"notes": fit.notes})))
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
            detail=json.dumps({"notes": fit.notes + placebo.notes + in_time.notes,
                               "in_time_placebo_status": in_time.status, "placebo_status": placebo.status})))
        weights += [{"outcome": outcome, "treated_team": team, "donor_team": donor, "weight": float(w)}
                    for donor, w in fit.weights.items()]
        path += [{"outcome": outcome, "treated_team": team, "period_index": int(r["period"]),
                  "treated_value": r["treated"], "synthetic_value": r["synthetic"], "gap": r["gap"],
                  "is_post": bool(r["is_post"])} for r in fit.path.to_dict("records")]
    return {"summary": pd.DataFrame(summary), "weights": pd.DataFrame(weights, columns=COLUMNS["weights"]),
            "path": pd.DataFrame(path, columns=COLUMNS["path"])}
