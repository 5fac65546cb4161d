"""A churn-risk model on customer-weeks that can be trusted: a landmark model of churn within a horizon, trained on an earlier
period and judged on a later one (out of time), beside a usage-only baseline.

Model. Each customer-week at risk (int_customer_weeks_signalled) is a landmark: given what was known at the week's
start, did the customer churn voluntarily within the horizon (this week and the next ``horizon_weeks - 1``)? A
logistic regression of that indicator on the week's signals is a direct landmark model of the horizon risk (van
Houwelingen 2007, "Dynamic prediction by landmarking in event history analysis", *Scand. J. Stat.* 34; the binary
form, as in Parast, Cheng and Cai 2012). It is chosen over a weekly hazard extrapolated with the signals held fixed:
signals move in the weeks before churn (usage dips), so such an extrapolation under-predicts the calm-looking
customers and over-predicts the alarming ones (it was tried; the calibration table showed it). Training landmarks
are the weeks whose whole horizon ended before the test period and was observed (a customer whose data stop early
without voluntary churn is left out there). Involuntary churn is not an event (cause-specific, as in
empathy/stats/survival.py). Fitted by maximum likelihood (statsmodels GLM, binomial family, logit link) on
standardised features (training means and standard deviations), so a coefficient is the change in the log-odds of
churning within the horizon per standard deviation of the signal. Above ``max_training_weeks`` training landmarks the
fit uses a seeded simple random sample of that many (:func:`training_sample`; D35).

Prediction. ``risk`` is the predicted probability of voluntary churn within the horizon. For the survival curve
inside the horizon (the integrated Brier score) the risk is spread as a constant weekly hazard
``h = 1 - (1 - risk)^(1/horizon)``, so that ``S(k) = (1 - h)^k`` and ``S(horizon) = 1 - risk``.

Explanation. A signal's contribution to a customer-week's risk is its coefficient times its standardised value
(its share of the linear predictor against an average training week); the largest positive contributions are
the reasons an alert gives.

Out-of-time evaluation. The model is trained on weeks that end before the test period starts. At landmarks in
the test period, every customer still at risk is scored from that week's signals and followed forward: weeks to
voluntary churn (event) or to involuntary churn or the end of the data (censored). Concordance, time-dependent AUC,
Brier score at the horizon and the integrated Brier score over weeks 1..horizon are computed by
empathy/stats/risk_evaluation.py, with the censoring distribution estimated on the landmark's own customers, and
averaged over landmarks; intervals come from a bootstrap of customers (all of a customer's landmarks together),
the same resamples for both models, so the difference between them has its own interval. A replicate is its
customers' draw counts used as frequency weights (risk_evaluation.CohortMetrics), not a copy of the rows.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import statsmodels.api as sm

from ..frames import is_spark_frame, sorted_chunks, sorted_frame
from ..settings import settings_from_var
from . import risk_evaluation as rev

#: Signals of the full model (int_customer_weeks_signalled columns, or derived here) and of the usage-only baseline.
USAGE_FEATURES = ("active_days_ratio", "key_actions_ratio", "usage_ratio_missing", "has_usage_dip")
CONTACT_FEATURES = (
    "contacts_last_14_days", "contacts_last_28_days", "tough_moments_last_28_days",
    "unresolved_contacts_last_28_days", "empathy_absent_contacts_last_28_days", "customer_sentiment_last_28_days",
    "sentiment_missing", "open_incidents_on_recent_products", "log_tenure_weeks",
)  # fmt: skip
MODELS = {"full": (*USAGE_FEATURES, *CONTACT_FEATURES), "usage_only": USAGE_FEATURES}
CATEGORICAL = ("plan", "segment")  # dummies added to the full model
EVENT = "is_voluntary_churn_in_week"
LABEL = "churns_within_horizon"
#: The int_customer_weeks_signalled columns the fit and the scores read (keys first, so a frame sorted by all of
#: them is in the order of the whole table); the models project on them in DuckDB, before rows reach pandas.
FIT_COLUMNS = (
    "customer_key", "week_start", *CATEGORICAL, "tenure_weeks", "active_days_ratio", "key_actions_ratio",
    "has_usage_dip",
    "contacts_last_14_days", "contacts_last_28_days", "tough_moments_last_28_days", "unresolved_contacts_last_28_days",
    "empathy_absent_contacts_last_28_days", "customer_sentiment_last_28_days", "open_incidents_on_recent_products",
    "is_week_complete", EVENT,
)  # fmt: skip
#: The columns of the follow-up (landmark_followup): outcome flags of the signalled weeks, scores of the scored ones.
FOLLOWUP_WEEK_COLUMNS = ("customer_key", "week_start", "is_week_complete", EVENT, "is_involuntary_churn_in_week")
FOLLOWUP_SCORE_COLUMNS = ("customer_key", "week_start", "test_start", "risk_full", "weekly_hazard_full",
                          "risk_usage_only", "weekly_hazard_usage_only")
METRICS = ("concordance", "auc_at_horizon", "brier_at_horizon", "integrated_brier")
#: Degenerate designs: too few weeks or events to fit, or to evaluate.
MIN_TRAIN_EVENTS = 10
MIN_TEST_EVENTS = 5


@dataclass(frozen=True)
class ChurnRiskSettings:
    """The var `churn_risk` of dbt_project.yml."""
    horizon_weeks: int = 8
    test_weeks: int = 26
    landmark_every_weeks: int = 4
    top_contributions: int = 3
    bootstrap_replicates: int = 100
    seed: int = 20261126
    #: At most this many training landmarks are fitted on: a simple random sample (seeded) above it (D35).
    max_training_weeks: int = 250_000

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ChurnRiskSettings":
        return settings_from_var(cls, config)


@dataclass
class FittedHazard:
    """A fitted discrete-time hazard model: features, their training means and scales, coefficients."""
    name: str
    features: list[str]
    means: pd.Series
    scales: pd.Series
    params: pd.Series
    std_errors: pd.Series
    n_weeks: int
    n_events: int
    status: str = "ok"
    notes: list[str] = field(default_factory=list)

    def linear_parts(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each feature's contribution to the linear predictor (coefficient x standardised value)."""
        z = (features_of(frame, self.features) - self.means) / self.scales
        return z * self.params[self.features]

    def risk(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted probability of voluntary churn within the horizon."""
        return self.risk_from_parts(self.linear_parts(frame))

    def risk_from_parts(self, parts: pd.DataFrame) -> np.ndarray:
        """The probability from :meth:`linear_parts` (the logistic of the constant plus their sum)."""
        eta = self.params["const"] + parts.sum(axis=1).to_numpy()
        return 1.0 / (1.0 + np.exp(-eta))


def features_of(frame: pd.DataFrame, names: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The model's feature columns from customer-week rows: ratios with a missing indicator (missing ratio = 1, no
    change), capped at 3; sentiment with a missing indicator (missing = 0, neutral); log tenure; plan and segment
    dummies named ``plan__<value>``; counts as they are."""
    out = pd.DataFrame(index=frame.index)
    active = pd.to_numeric(frame["active_days_ratio"], errors="coerce")
    actions = pd.to_numeric(frame["key_actions_ratio"], errors="coerce")
    sentiment = pd.to_numeric(frame["customer_sentiment_last_28_days"], errors="coerce")
    derived = {
        "active_days_ratio": active.fillna(1.0).clip(upper=3.0),
        "key_actions_ratio": actions.fillna(1.0).clip(upper=3.0),
        "usage_ratio_missing": active.isna().astype(float),
        "customer_sentiment_last_28_days": sentiment.fillna(0.0),
        "sentiment_missing": sentiment.isna().astype(float),
        "log_tenure_weeks": np.log1p(pd.to_numeric(frame["tenure_weeks"], errors="coerce").fillna(0).clip(lower=0)),
    }
    for name in names:
        if name in derived:
            out[name] = derived[name]
        elif "__" in name:
            column, value = name.split("__", 1)
            out[name] = (frame[column].astype(str) == value).astype(float)
        else:
            out[name] = pd.to_numeric(frame[name], errors="coerce").astype(float).fillna(0.0)
    return out


def feature_names(train: pd.DataFrame, model: str) -> list[str]:
    """The features of ``model``: its signals, plus plan and segment dummies (the most common level left out) for
    the full model."""
    names = list(MODELS[model])
    if model == "full":
        for column in CATEGORICAL:
            levels = train[column].astype(str).value_counts()
            names += [f"{column}__{level}" for level in sorted(levels.index[1:])]
    return names


def fit_hazard(train: pd.DataFrame, model: str) -> FittedHazard:
    """Fit the discrete-time hazard model ``model`` on training customer-weeks; constant features are left out
    (named in ``notes``); too few events or a failed fit give a status instead of coefficients."""
    names = feature_names(train, model)
    x = features_of(train, names)
    y = train[LABEL].astype(bool).astype(float).to_numpy()
    scales = x.std(ddof=0)
    constant = [n for n in names if not scales[n] > 0]
    kept = [n for n in names if n not in constant]
    notes = [f"constant in training, left out: {', '.join(constant)}"] if constant else []
    n_events = int(y.sum())
    empty = pd.Series(dtype=float)
    if n_events < MIN_TRAIN_EVENTS or len(y) - n_events < MIN_TRAIN_EVENTS:
        return FittedHazard(model, kept, empty, empty, empty, empty, len(y), n_events, "too_few_training_events", notes)
    means, scales = x[kept].mean(), scales[kept]
    standardised = ((x[kept] - means) / scales).to_numpy()
    independent = _linearly_independent(standardised)
    collinear = [n for i, n in enumerate(kept) if i not in independent]
    if collinear:
        notes.append(f"collinear with earlier features, left out: {', '.join(collinear)}")
        kept = [kept[i] for i in independent]
        means, scales, standardised = means[kept], scales[kept], standardised[:, independent]
    design = sm.add_constant(standardised, has_constant="add")
    try:
        fit = sm.GLM(y, design, family=sm.families.Binomial()).fit()
    except (np.linalg.LinAlgError, ValueError, sm.tools.sm_exceptions.PerfectSeparationError):
        return FittedHazard(model, kept, means, scales, empty, empty, len(y), n_events, "fit_failed", notes)
    index = ["const", *kept]
    return FittedHazard(model, kept, means, scales, pd.Series(np.round(fit.params, 12), index=index),
                        pd.Series(np.round(fit.bse, 12), index=index), len(y), n_events, "ok", notes)


def _linearly_independent(x: np.ndarray, tol: float = 1e-8) -> list[int]:
    """Indices of the columns kept when each is added in order only if it raises the rank (with the constant): the
    rank of ``[1, kept..., x_j]`` with singular values above ``tol * sqrt(n)`` (numpy's ``matrix_rank``).

    One QR decomposition ``[1, x] = QR`` serves every check: Q has orthonormal columns, so any set of columns of
    ``[1, x]`` has the singular values of the same columns of the small matrix R (Golub & Van Loan, *Matrix
    Computations*, 4th ed., 5.2), and the rank checks cost O(k^3) instead of one O(n k^2) SVD per column."""
    n = x.shape[0]
    r = np.linalg.qr(np.column_stack([np.ones(n), x]), mode="r")
    kept: list[int] = []
    basis = [0]
    for j in range(x.shape[1]):
        candidate = r[:, [*basis, j + 1]]
        if np.linalg.matrix_rank(candidate, tol=tol * np.sqrt(n)) == candidate.shape[1]:
            kept.append(j)
            basis.append(j + 1)
    return kept


def horizon_labels(weeks: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Per customer-week: ``churns_within_horizon`` (voluntary churn in this week or the next ``horizon - 1``) and
    ``is_horizon_observed`` (the horizon's weeks are complete, or it ends in voluntary churn). Rows of a customer are
    consecutive weeks ending at churn or at the data's end."""
    data = weeks[["customer_key", "week_start", "is_week_complete", EVENT]].copy()
    data = data.sort_values(["customer_key", "week_start"])
    position = data.groupby("customer_key").cumcount()
    churn_position = position.where(data[EVENT].astype(bool)).groupby(data["customer_key"]).transform("max")
    complete_rows = data["is_week_complete"].astype(bool).groupby(data["customer_key"]).transform("sum")
    within = churn_position.notna() & (churn_position - position < horizon) & (churn_position >= position)
    observed = within | (position + horizon <= complete_rows)
    out = pd.DataFrame({LABEL: within.to_numpy(), "is_horizon_observed": observed.to_numpy()}, index=data.index)
    return out.reindex(weeks.index)


def split_weeks(weeks: pd.DataFrame, settings: ChurnRiskSettings) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Training landmarks (weeks whose whole horizon ended by the test start and was observed, with their label)
    and test weeks (from the test start on); the test start is ``test_weeks`` weeks before the last week that has
    started.

    Above ``settings.max_training_weeks`` training landmarks, a simple random sample of that many (without
    replacement, seeded by ``settings.seed``, in the frame's order) is returned instead: the models are fitted on
    it (:func:`training_sample`)."""
    week = pd.to_datetime(weeks["week_start"])
    test_start = week.max() - pd.Timedelta(weeks=settings.test_weeks - 1)
    labels = horizon_labels(weeks, settings.horizon_weeks)
    ends_by_test = week + pd.Timedelta(weeks=settings.horizon_weeks) <= test_start
    is_train = (ends_by_test & labels["is_horizon_observed"]).to_numpy()
    train = training_sample(np.nonzero(is_train)[0], settings)
    return weeks.iloc[train].join(labels.iloc[train]), weeks[week >= test_start], test_start


def training_sample(rows: np.ndarray, settings: ChurnRiskSettings) -> np.ndarray:
    """``rows`` (positions of the training landmarks) when there are at most ``settings.max_training_weeks`` of
    them, else a simple random sample of that many, without replacement, seeded by ``settings.seed``, kept in
    their order.

    Why a sample is enough: the sample is drawn without looking at the features or the label, so the landmark
    rows in it follow the same joint distribution as all of them, and the logistic regression's maximum-likelihood
    estimate on the sample is consistent for the same coefficients (only its variance grows, by about
    ``n_all / n_sample``, and the Wald standard errors of mart_churn_risk_coefficients report that honestly, with
    ``n_weeks`` the sample's size). This is not case-control sampling, so the intercept needs no correction
    (Prentice & Pyke 1979 concerns outcome-dependent sampling). Checked in tests/python/test_outreach.py: the
    capped fit agrees with the full one within its standard errors, and over many seeds its mean is the full fit's.
    """
    if settings.max_training_weeks < 1:
        raise ValueError(f"max_training_weeks must be at least 1, got {settings.max_training_weeks}")
    if rows.size <= settings.max_training_weeks:
        return rows
    rng = np.random.default_rng(settings.seed)
    return np.sort(rng.choice(rows, size=settings.max_training_weeks, replace=False))


def training_weeks(relation: Any, settings: ChurnRiskSettings, session: Any) -> tuple[pd.DataFrame, pd.Timestamp]:
    """:func:`split_weeks`' training landmarks and test start, from the relation of int_customer_weeks_signalled,
    with the labels computed in the engine: only the (sampled) training rows reach pandas, never the tens of
    millions of customer-weeks of a large customer base (D40).

    The same frame as ``split_weeks(sorted_frame(relation, FIT_COLUMNS), settings)[0]``, index included: a row's
    position in that frame is its rank by (customer_key, week_start), the table's key, so the positions of the
    training landmarks are computed in SQL, :func:`training_sample` draws from them exactly as split_weeks does, and
    the rows at the drawn positions are fetched. The labels are :func:`horizon_labels` written as window functions.
    ``session``: the relation's DuckDB connection (the drawn positions are registered on it). A Spark DataFrame goes
    through split_weeks itself."""
    if is_spark_frame(relation):
        train, _, test_start = split_weeks(sorted_frame(relation, list(FIT_COLUMNS)), settings)
        return train, test_start
    test_start = test_start_of(relation, settings)
    if pd.isna(test_start):  # no customer-week: what split_weeks gives an empty frame
        train, _, test_start = split_weeks(sorted_frame(relation, list(FIT_COLUMNS)), settings)
        return train, test_start
    horizon = int(settings.horizon_weeks)
    columns = ", ".join(f'"{c}"' for c in FIT_COLUMNS)
    labelled = relation.project(columns).query("_customer_weeks_projected", f"""
        with positioned as (
            select *,
                row_number() over (order by customer_key, week_start) - 1 as _row_position,
                row_number() over (partition by customer_key order by week_start) - 1 as _position
            from _customer_weeks_projected
        ),
        per_customer as (
            select *,
                max(case when {EVENT} then _position end) over (partition by customer_key) as _churn_position,
                count(*) filter (where is_week_complete) over (partition by customer_key) as _complete_rows
            from positioned
        ),
        labelled as (
            select *,
                coalesce(_churn_position - _position < {horizon} and _churn_position >= _position, false)
                    as {LABEL}
            from per_customer
        )
        select *,
            {LABEL} or _position + {horizon} <= _complete_rows as is_horizon_observed,
            cast(week_start as timestamp) + to_weeks({horizon})
                <= cast('{test_start.isoformat()}' as timestamp) as _ends_by_test
        from labelled""")
    candidates = labelled.filter("_ends_by_test and is_horizon_observed").project("_row_position")
    rows = candidates.order("_row_position").fetchnumpy()["_row_position"].astype(np.int64)
    drawn = training_sample(rows, settings)
    session.register("_drawn_training_rows", pa.table({"_row_position": drawn}))
    try:
        picked = labelled.join(session.table("_drawn_training_rows").set_alias("_drawn"), "_row_position", how="semi")
        train = picked.project(f"{columns}, {LABEL}, is_horizon_observed, _row_position").order("_row_position").df()
    finally:
        session.unregister("_drawn_training_rows")
    train.index = pd.Index(train.pop("_row_position").to_numpy(np.int64))
    return train, test_start


def coefficient_table(fitted: FittedHazard) -> pd.DataFrame:
    """The model's coefficients: log-odds of churning within the horizon per standard deviation of each feature,
    with Wald intervals and p-values."""
    if fitted.status != "ok":
        return pd.DataFrame([{"model": fitted.name, "feature": None, "status": fitted.status,
                              "n_weeks": fitted.n_weeks, "n_events": fitted.n_events}])
    z = fitted.params / fitted.std_errors
    from scipy import stats
    return pd.DataFrame({
        "model": fitted.name, "feature": fitted.params.index, "estimate": fitted.params.to_numpy(),
        "std_error": fitted.std_errors.to_numpy(), "ci_lower": (fitted.params - 1.959964 * fitted.std_errors).to_numpy(),
        "ci_upper": (fitted.params + 1.959964 * fitted.std_errors).to_numpy(),
        "p_value": 2 * stats.norm.sf(np.abs(z.to_numpy())),
        "feature_mean": [math.nan, *fitted.means.to_numpy()], "feature_std_dev": [math.nan, *fitted.scales.to_numpy()],
        "n_weeks": fitted.n_weeks, "n_events": fitted.n_events,
        "status": "ok" if not fitted.notes else "ok; " + "; ".join(fitted.notes),
    })


#: Customer-weeks scored at a time (bounds the memory of the feature matrices; the scores are row by row).
SCORE_CHUNK_ROWS = 250_000
#: Customer-weeks read from the engine at a time by :func:`scored_chunks` (whole customers per chunk).
READ_CHUNK_ROWS = 1_000_000


def fit_models(train: pd.DataFrame) -> dict[str, FittedHazard]:
    """Every model of :data:`MODELS` fitted on the training landmarks."""
    return {name: fit_hazard(train, name) for name in MODELS}


def score_weeks(weeks: pd.DataFrame, settings: ChurnRiskSettings) -> tuple[pd.DataFrame, dict[str, FittedHazard]]:
    """Every customer-week with each model's probability of churning within the horizon (and the constant weekly
    hazard it implies), the full model's top contributions (JSON ``{signal: log-odds}``, largest first, positive
    only) and whether the week was used for training. Models are fitted on the training weeks only
    (:func:`split_weeks`; a sample of them above ``max_training_weeks``). Weeks are scored in chunks of
    :data:`SCORE_CHUNK_ROWS` rows, each row on its own, so chunking changes no value."""
    train, _, test_start = split_weeks(weeks, settings)
    fitted = fit_models(train)
    is_training = weeks.index.isin(train.index)
    del train
    parts = [score_chunk(weeks.iloc[start : start + SCORE_CHUNK_ROWS], is_training[start : start + SCORE_CHUNK_ROWS],
                         test_start, fitted, settings)
             for start in range(0, max(len(weeks), 1), SCORE_CHUNK_ROWS)]
    return pd.concat(parts, ignore_index=True).set_axis(weeks.index) if len(parts) > 1 else parts[0], fitted


#: The column of the stored training sample (int_customer_weeks_sampled_for_training) that holds a row's position
#: in the key order of int_customer_weeks_signalled: the index :func:`training_weeks` gives its frame.
TRAINING_POSITION = "training_position"


def training_table(train: pd.DataFrame) -> pd.DataFrame:
    """:func:`training_weeks`' frame as a table: its index (each row's position in the customer-weeks' key order)
    becomes the column :data:`TRAINING_POSITION`, so the sample is drawn and labelled once, in one model, and every
    model that fits on it reads the same rows (D41). ``week_start`` is written back as a date, its type in
    int_customer_weeks_signalled."""
    table = train.rename_axis(TRAINING_POSITION).reset_index()
    table["week_start"] = pd.to_datetime(table["week_start"]).dt.date
    return table


def training_frame(relation: Any) -> pd.DataFrame:
    """The stored training sample (:func:`training_table`'s rows, a DuckDB relation or a Spark DataFrame) as the
    frame :func:`training_weeks` gave: rows in position order, the position as the index, the columns in order."""
    columns = [TRAINING_POSITION, *FIT_COLUMNS, LABEL, "is_horizon_observed"]
    frame = sorted_frame(relation, columns)
    frame.index = pd.Index(frame.pop(TRAINING_POSITION).to_numpy(np.int64))
    return frame


def test_start_of(relation: Any, settings: ChurnRiskSettings) -> pd.Timestamp:
    """The first week of the out-of-time test period: ``settings.test_weeks`` weeks back from the relation's last
    week, as :func:`split_weeks` computes it (NaT without any week)."""
    if is_spark_frame(relation):
        from pyspark.sql import functions as F
        last = relation.agg(F.max("week_start")).collect()[0][0]
    else:
        last = relation.aggregate("max(week_start)").fetchone()[0]
    if last is None:
        return pd.NaT
    return pd.Timestamp(last) - pd.Timedelta(weeks=settings.test_weeks - 1)


def scored_chunks(relation: Any, settings: ChurnRiskSettings, session: Any, train: pd.DataFrame | None = None
                  ) -> tuple[Any, dict[str, FittedHazard]]:
    """:func:`score_weeks` for the relation of int_customer_weeks_signalled without holding its rows: the models are
    fitted on the training sample ``train`` (:func:`training_frame` of the stored sample; drawn here by
    :func:`training_weeks` when not given) and the weeks are scored whole customers at a time
    (:data:`READ_CHUNK_ROWS`, :func:`empathy.frames.sorted_chunks`). Returns a generator of scored frames (their
    rows together are score_weeks' rows, in another order) and the fitted models (D40, D41)."""
    if train is None:
        train, test_start = training_weeks(relation, settings, session)
    else:
        test_start = test_start_of(relation, settings)
    fitted = fit_models(train)
    trained = pd.MultiIndex.from_frame(train[["customer_key", "week_start"]])
    del train

    def chunks():
        for chunk in sorted_chunks(relation, list(FIT_COLUMNS), "customer_key", READ_CHUNK_ROWS):
            is_training = pd.MultiIndex.from_frame(chunk[["customer_key", "week_start"]]).isin(trained)
            yield score_chunk(chunk, is_training, test_start, fitted, settings)
    return chunks(), fitted


def score_chunk(chunk: pd.DataFrame, is_training: np.ndarray, test_start: pd.Timestamp,
                fitted: dict[str, FittedHazard], settings: ChurnRiskSettings) -> pd.DataFrame:
    """The scores of some customer-weeks (see :func:`score_weeks`), each row on its own: keys, whether the week was a
    training landmark, the test start, each model's risk and weekly hazard (an unfitted model's are null, hazard
    column first) and the full model's top contributions."""
    out = chunk[["customer_key", "week_start"]].copy()
    out["is_training_week"] = np.asarray(is_training, dtype=bool)
    out["test_start"] = test_start
    for name, model in fitted.items():
        if model.status != "ok":
            out[f"weekly_hazard_{name}"] = np.full(len(chunk), math.nan)
            out[f"risk_{name}"] = np.full(len(chunk), math.nan)
            continue
        parts = model.linear_parts(chunk)
        # Rounded to 12 decimals: multithreaded BLAS may change the fit's last bits between runs, and the same
        # raw data must build the same warehouse (tests/python/test_safe_operations.py).
        risk = np.round(model.risk_from_parts(parts), 12)
        out[f"risk_{name}"] = risk
        out[f"weekly_hazard_{name}"] = 1 - (1 - risk) ** (1 / settings.horizon_weeks)
        if name == "full":
            top = _top_contributions(parts, settings.top_contributions)
    if fitted["full"].status == "ok":
        out["top_signals"] = top if len(chunk) else np.empty(0, dtype=object)
    else:
        out["top_signals"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def _top_contributions(parts: pd.DataFrame, k: int) -> np.ndarray:
    """Per row, JSON of the ``k`` largest positive contributions, largest first (``{"signal": value}`` with the
    value rounded to 4 decimals, as ``json.dumps`` writes a dict). Built column-wise: each (signal, rounded value)
    text is made once per distinct value, and the rows' texts are joined as arrays of Python strings."""
    values = parts.to_numpy()
    names = np.array([json.dumps(str(c)) + ": " for c in parts.columns], dtype=object)
    order = np.argsort(-values, axis=1)[:, :k]
    chosen = np.take_along_axis(values, order, axis=1)
    rounded = _round4(chosen)
    distinct, inverse = np.unique(rounded, return_inverse=True)
    texts = np.array([json.dumps(float(v)) for v in distinct], dtype=object)[inverse.reshape(rounded.shape)]
    positive = chosen > 0  # largest first, so the positive ones are a prefix of each row
    out = np.full(len(values), "{", dtype=object)
    for j in range(order.shape[1]):
        piece = names[order[:, j]] + texts[:, j]
        if j:
            piece = ", " + piece
        out = np.where(positive[:, j], out + piece, out)
    return out + "}"


def _round4(values: np.ndarray) -> np.ndarray:
    """Python's ``round(x, 4)`` of every value: ``rint(x * 1e4) / 1e4`` (the nearest float to the rounded decimal,
    as Python's), except where ``x * 1e4`` is so close to a half that the product's own rounding could pick the
    other side: those few go through Python's correctly rounded ``round``."""
    scaled = values * 1e4
    out = np.rint(scaled) / 1e4
    near_half = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) < 1e-6
    for index in zip(*np.nonzero(near_half)):
        out[index] = round(float(values[index]), 4)
    return out


def followup_frames(weeks_relation: Any, scored_relation: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frames :func:`landmark_followup` reads, from the DuckDB relations of int_customer_weeks_signalled and
    int_customer_weeks_scored: their :data:`FOLLOWUP_WEEK_COLUMNS` and :data:`FOLLOWUP_SCORE_COLUMNS`, rows from
    the test start on only (the follow-up never looks earlier: its landmarks start there, and the last complete
    week is in the test period whenever a landmark has a full horizon), filtered in DuckDB before pandas.

    On DuckDB the customer keys arrive as numbers: each key's rank in the keys' sorted order, given in the engine
    (D40). The follow-up and its metrics only group, count and resample customers, in key order, so they are the
    same, while tens of millions of customer-weeks no longer carry the key's text into pandas."""
    test_start = scored_relation.aggregate("min(test_start)").fetchone()[0]
    if test_start is not None:
        since = f"week_start >= CAST('{pd.Timestamp(test_start).date().isoformat()}' AS DATE)"
        weeks_relation, scored_relation = weeks_relation.filter(since), scored_relation.filter(since)
    if not is_spark_frame(weeks_relation):
        codes = weeks_relation.project("customer_key").distinct().query(
            "_followup_keys", "select customer_key, row_number() over (order by customer_key) - 1 as _customer_code "
                              "from _followup_keys").set_alias("_codes")
        weeks_relation, scored_relation = (
            relation.join(codes, "customer_key").project(", ".join(
                ["_customer_code as customer_key", *(f'"{c}"' for c in relation.columns if c != "customer_key")]))
            for relation in (weeks_relation, scored_relation))
    return (sorted_frame(weeks_relation, columns=list(FOLLOWUP_WEEK_COLUMNS)),
            sorted_frame(scored_relation, columns=list(FOLLOWUP_SCORE_COLUMNS)))


def landmark_followup(weeks: pd.DataFrame, scored: pd.DataFrame, settings: ChurnRiskSettings) -> pd.DataFrame:
    """One row per landmark week and customer at risk then: the risk scores at the landmark and the follow-up in
    weeks to voluntary churn (event) or to involuntary churn or the last complete week (censored). Landmarks start
    at the test start, every ``landmark_every_weeks``, while a full horizon of complete weeks follows them."""
    data = weeks[["customer_key", "week_start", "is_week_complete", EVENT, "is_involuntary_churn_in_week"]].merge(
        scored, on=["customer_key", "week_start"])
    data["week_start"] = pd.to_datetime(data["week_start"])
    test_start = pd.to_datetime(scored["test_start"].iloc[0])
    last_complete = data.loc[data["is_week_complete"].astype(bool), "week_start"].max()
    landmarks = []
    landmark = test_start
    while landmark + pd.Timedelta(weeks=settings.horizon_weeks) <= last_complete:
        landmarks.append(landmark)
        landmark += pd.Timedelta(weeks=settings.landmark_every_weeks)
    rows = []
    data = data.sort_values(["customer_key", "week_start"])
    for landmark in landmarks:
        at_risk = data[data["week_start"] == landmark]
        after = data.loc[(data["week_start"] >= landmark) & data["is_week_complete"].astype(bool),
                         ["customer_key", "week_start", EVENT, "is_involuntary_churn_in_week"]]  # the columns read
        ended = after[after[EVENT].astype(bool) | after["is_involuntary_churn_in_week"].astype(bool)]
        first_end = ended.groupby("customer_key").agg(end_week=("week_start", "min"), voluntary=(EVENT, "first"))
        last_seen = after.groupby("customer_key")["week_start"].max()
        frame = at_risk.set_index("customer_key")
        end = first_end.reindex(frame.index)
        seen = last_seen.reindex(frame.index)
        stop = end["end_week"].fillna(seen)
        frame = frame.assign(
            landmark_week=landmark,
            duration_weeks=((stop - landmark).dt.days // 7 + 1).astype(float),
            is_event=end["voluntary"].astype("boolean").fillna(False).astype(bool).to_numpy())
        rows.append(frame.reset_index())
    if not rows:
        return pd.DataFrame(columns=["customer_key", "landmark_week", "duration_weeks", "is_event"])
    return pd.concat(rows, ignore_index=True).dropna(subset=["duration_weeks"])


def evaluation_table(followup: pd.DataFrame, settings: ChurnRiskSettings) -> pd.DataFrame:
    """Per model (and their difference, full minus usage-only), landmark and metric: the estimate, a bootstrap
    standard error and percentile interval (customers resampled with all their landmarks), customers and events
    within the horizon; plus the average over landmarks."""
    horizon = settings.horizon_weeks
    base = {"horizon_weeks": horizon}
    if followup.empty:
        return pd.DataFrame([{**base, "model": m, "metric": k, "status": "no_landmark_with_full_horizon"}
                             for m in (*MODELS, "difference") for k in METRICS])
    if any(f"weekly_hazard_{m}" not in followup or followup[f"weekly_hazard_{m}"].isna().all() for m in MODELS):
        return pd.DataFrame([{**base, "model": m, "metric": k, "status": "model_not_fitted"}
                             for m in (*MODELS, "difference") for k in METRICS])
    landmarks = sorted(followup["landmark_week"].unique())
    customers = pd.Index(followup["customer_key"].unique())
    code = customers.get_indexer(followup["customer_key"])
    rng = np.random.default_rng(settings.seed)
    times = np.arange(1, horizon + 1, dtype=float)
    cohorts = []  # per landmark: its rows' customer codes and the metrics' fixed parts (sorts done once)
    for landmark in landmarks:
        rows = np.nonzero((followup["landmark_week"] == landmark).to_numpy())[0]
        part = followup.iloc[rows]
        models = {}
        for model in MODELS:
            hazard = part[f"weekly_hazard_{model}"].to_numpy(float)
            models[model] = (part[f"risk_{model}"].to_numpy(float), (1 - hazard[:, None]) ** times[None, :])
        cohorts.append((code[rows], rev.CohortMetrics(part["duration_weeks"].to_numpy(float),
                                                      part["is_event"].to_numpy(bool), models, times,
                                                      float(horizon))))

    def compute(weights: np.ndarray | None) -> dict[tuple, float]:
        """Every metric per model and landmark, with customer ``weights`` (draw counts; None: the sample itself)."""
        out = {}
        for landmark, (customer_code, cohort) in zip(landmarks, cohorts):
            values = cohort.values(None if weights is None else weights[customer_code])
            for model in MODELS:
                for metric, value in values[model].items():
                    out[(model, landmark, metric)] = value
        for model in MODELS:
            for metric in METRICS:
                out[(model, None, metric)] = float(np.nanmean([out[(model, lm, metric)] for lm in landmarks]))
        for key in [k for k in out if k[0] == "full"]:
            out[("difference", key[1], key[2])] = out[key] - out[("usage_only", key[1], key[2])]
        return out

    point = compute(None)
    replicates = [compute(rng.multinomial(len(customers), np.full(len(customers), 1 / len(customers))))
                  for _ in range(settings.bootstrap_replicates)]
    rows = []
    for (model, landmark, metric), estimate in point.items():
        draws = np.array([r[(model, landmark, metric)] for r in replicates], dtype=float)
        draws = draws[np.isfinite(draws)]
        part = followup if landmark is None else followup[followup["landmark_week"] == landmark]
        in_horizon = part["is_event"] & (part["duration_weeks"] <= horizon)
        n_events = int(in_horizon.sum())
        status = ("ok" if n_events >= MIN_TEST_EVENTS and np.isfinite(estimate)
                  else "too_few_test_events" if n_events < MIN_TEST_EVENTS else "not_estimable")
        rows.append({**base, "model": model, "landmark_week": landmark, "metric": metric, "estimate": estimate,
                     "std_error": float(draws.std(ddof=1)) if len(draws) > 1 else math.nan,
                     "ci_lower": float(np.quantile(draws, 0.025)) if len(draws) else math.nan,
                     "ci_upper": float(np.quantile(draws, 0.975)) if len(draws) else math.nan,
                     "n_customers": int(part["customer_key"].nunique()), "n_events": n_events,
                     "n_landmarks": 1 if landmark is not None else len(landmarks), "status": status})
    return pd.DataFrame(rows)


def calibration_table(followup: pd.DataFrame, settings: ChurnRiskSettings) -> pd.DataFrame:
    """Per model and risk decile (customer-landmarks pooled over landmarks): the mean predicted probability of
    churning within the horizon beside the Kaplan-Meier observed probability and its interval."""
    tables = []
    for model in MODELS:
        column = f"risk_{model}"
        if followup.empty or column not in followup or followup[column].isna().all():
            tables.append(pd.DataFrame([{"model": model, "status": "model_not_fitted_or_no_landmark"}]))
            continue
        table = rev.calibration_by_decile(followup[column].to_numpy(float), followup["duration_weeks"].to_numpy(float),
                                          followup["is_event"].to_numpy(bool), float(settings.horizon_weeks))
        tables.append(table.assign(model=model))
    out = pd.concat(tables, ignore_index=True)
    return out.assign(horizon_weeks=settings.horizon_weeks)
