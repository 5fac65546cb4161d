"""Declarative expectation specs of the marts, validated by ``python -m empathy.checks.validate``.

One :class:`SuiteSpec` per table: the table (``schema.table`` in the DuckDB warehouse) and a list of
:class:`ExpectationSpec`. An ``ExpectationSpec`` is a Great Expectations (GX 1.x) expectation type in
snake case (``expect_column_values_to_not_be_null``), its keyword arguments, and a severity:
``"error"`` (the default) fails the validation step, ``"warning"`` is reported but never fails it.

To cover a new mart, append a ``SuiteSpec`` to :data:`SUITES`, e.g.::

    SuiteSpec(
        schema="marts",
        table="fct_surveys",
        expectations=(
            *privacy(),
            unique("survey_key"),
            not_null("survey_key"),
            between("score", min_value=0, max_value=10),
            expect("expect_column_mean_to_be_between", column="score", min_value=5, severity="warning"),
        ),
        optional=True,  # not an error while the model is not built yet
    )

Every GX expectation type is accepted through :func:`expect`; the other helpers are shorthands for the
common ones. ``empathy.checks.validate`` also registers ``expect_table_columns_to_not_match_regex`` (used by
:func:`privacy`): no column name may match a regex.
"""

from __future__ import annotations

from great_expectations.expectations.row_conditions import Column

from dataclasses import dataclass, field
from typing import Any, Literal

from empathy import outreach as _outreach
from empathy.stats import churn_risk as _churn_risk
from empathy.stats import did as _did
from empathy.stats import driver_analysis as _driver_analysis
from empathy.stats import drivers as _drivers
from empathy.stats.did_analysis import (
    DID_FEW_TEAMS, DID_ESTIMATED, DID_NO_PANEL, DID_GROUP_TIME_STATUSES, DID_EVENT_STUDY_STATUSES, DID_SUMMARY_STATUSES, DID_ROBUSTNESS_STATUSES, DID_ROBUSTNESS_CHECKS, DID_SUMMARY_ESTIMATORS, DID_SUMMARY_AGGREGATIONS,
)
from empathy.stats import iv as _iv
from empathy.stats import iv_analysis as _iv_analysis
from empathy.stats import exposure_contrasts as _exposure_contrasts
from empathy.stats import calibration as _calibration
from empathy.stats import product_signals as _product_signals
from empathy.stats import recognition as _recognition
from empathy.stats import save_effects as _save_effects
from empathy.stats import scorecards as _scorecards
from empathy.stats import service_recovery as _service_recovery
from empathy.stats import shrinkage as _shrinkage
from empathy.stats import synthetic_control as _synthetic_control

Severity = Literal["error", "warning"]

#: 64-char lowercase hex: a sha256 digest, the form of every pseudonymous customer key.
SHA256_HEX = r"^[0-9a-f]{64}$"

#: Column names that would mean personal data or free text leaked into a mart.
PII_COLUMN_REGEX = (
    r"(?i)^((.*_)?(e_?mail|phone|phone_number|identifier_value|customer_id|answer_text|comment|text_redacted"
    r"|transcript_text|raw_text)|text)$"
)


@dataclass(frozen=True)
class ValuesOf:
    """An expectation argument read from the warehouse when the validation runs: the distinct values of
    ``schema.table.column`` (e.g. the behaviour codes of the rubric seed), so a suite follows reference data."""

    schema: str
    table: str
    column: str
    extra: tuple[Any, ...] = ()  # values allowed besides the table's (e.g. a default category)


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation: GX type (snake case), its kwargs, and the severity of a failure."""

    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "error"
    notes: str | None = None


@dataclass(frozen=True)
class SuiteSpec:
    """The expectations of one table. ``optional``: a missing table is skipped, not an error."""

    schema: str
    table: str
    expectations: tuple[ExpectationSpec, ...]
    optional: bool = False

    @property
    def name(self) -> str:
        """Suite name, also the file name of its validation result: ``<schema>.<table>``."""
        return f"{self.schema}.{self.table}"


def expect(
    type_: str, *, severity: Severity = "error", notes: str | None = None, **kwargs: Any
) -> ExpectationSpec:
    """Any GX expectation: ``expect("expect_column_values_to_be_between", column="x", min_value=0)``."""
    return ExpectationSpec(type=type_, kwargs=kwargs, severity=severity, notes=notes)


def not_null(column: str, **kw: Any) -> ExpectationSpec:
    """The column has no null."""
    return expect("expect_column_values_to_not_be_null", column=column, **kw)


def unique(column: str, **kw: Any) -> ExpectationSpec:
    """The column's non-null values are unique."""
    return expect("expect_column_values_to_be_unique", column=column, **kw)


def in_set(column: str, values: list[Any] | ValuesOf, **kw: Any) -> ExpectationSpec:
    """Non-null values are in ``values`` (nulls pass; add :func:`not_null` to forbid them)."""
    return expect("expect_column_values_to_be_in_set", column=column, value_set=values, **kw)


def between(column: str, **kw: Any) -> ExpectationSpec:
    """Non-null values are within ``min_value``/``max_value`` (inclusive; nulls pass)."""
    return expect("expect_column_values_to_be_between", column=column, **kw)


def matches(column: str, regex: str, **kw: Any) -> ExpectationSpec:
    """Non-null values match ``regex``."""
    return expect("expect_column_values_to_match_regex", column=column, regex=regex, **kw)


def has_columns(*columns: str) -> ExpectationSpec:
    """The table has at least these columns (extra columns pass: the privacy check covers those)."""
    return expect("expect_table_columns_to_match_set", column_set=list(columns), exact_match=False)


def privacy() -> tuple[ExpectationSpec, ...]:
    """No column named like personal data or free text (email, phone, text, customer_id, ...)."""
    return (
        expect(
            "expect_table_columns_to_not_match_regex",
            regex=PII_COLUMN_REGEX,
            notes="Marts carry pseudonymous keys only; no contact details, identifiers or free text.",
        ),
    )


def key(column: str) -> tuple[ExpectationSpec, ...]:
    """A primary key: unique and not null."""
    return (unique(column), not_null(column))


def ordered(column_a: str, column_b: str, *, or_equal: bool = True, **kw: Any) -> ExpectationSpec:
    """``column_a`` >= ``column_b`` (> without ``or_equal``) on the rows where both are known (a row with either
    missing passes: an estimate that could not be computed has no interval)."""
    return expect("expect_column_pair_values_a_to_be_greater_than_b", column_A=column_a, column_B=column_b,
                  or_equal=or_equal, ignore_row_if="either_value_is_missing", **kw)


def ci_ordered(*, notes: str = "Confidence intervals bracket a width of zero or more.", **kw: Any
               ) -> ExpectationSpec:
    """ci_lower <= ci_upper where both are known."""
    return ordered("ci_upper", "ci_lower", notes=notes, **kw)


def unit_interval(*columns: str) -> tuple[ExpectationSpec, ...]:
    """Shares, weights and p-values: every non-null value within [0, 1]."""
    return tuple(between(column, min_value=0, max_value=1) for column in columns)


def non_negative(*columns: str) -> tuple[ExpectationSpec, ...]:
    """Counts, standard errors, test statistics: every non-null value >= 0."""
    return tuple(between(column, min_value=0) for column in columns)


_FCT_INTERACTIONS_COLUMNS = (
    "interaction_key", "source_system", "interaction_id", "customer_key", "agent_id", "channel", "queue",
    "product", "contact_reason", "tough_moment_category", "is_tough_moment", "is_escalated", "started_at",
    "first_agent_response_at", "ended_at", "seconds_to_first_response", "handle_time_seconds",
    "is_resolved", "is_transcript_usable",
)  # fmt: skip

_DIM_CUSTOMERS_COLUMNS = (
    "customer_key", "signup_at", "plan", "segment", "region", "accounts_count", "tenure_days",
    "subscription_status", "current_mrr", "churned_at", "is_voluntary_churn",
)  # fmt: skip

_DIM_AGENTS_COLUMNS = (
    "agent_id", "team", "site", "supervisor_id", "hired_at", "tenure_days", "is_new_agent",
)  # fmt: skip

_RECONCILIATION_COUNTS = (
    "delivered_rows", "kept_rows", "superseded_rows", "excluded_for_consent_rows", "quarantined_rows",
    "accounted_rows",
)  # fmt: skip

#: Raw tables of the contract: one row each in audit.audit_row_reconciliation.
RAW_TABLE_COUNT = 14

#: Statuses of the quasi-experiment marts: DiD from empathy/stats/did_analysis.py (imported above).
#: Synthetic control (empathy/stats/synthetic_control_analysis.py): a fit's statuses, ``few_donor_teams`` (fitted,
#: fewer donors than var synthetic_control.min_donor_teams) and the two statuses of a design without a treated team.
SYNTHETIC_CONTROL_ESTIMATED = ("ok", "few_donor_teams")
SYNTHETIC_CONTROL_STATUSES = (
    *_synthetic_control.STATUSES, "few_donor_teams", "no_adopting_team", "treated_team_never_adopted",
)  # fmt: skip
#: Instrumental variables (empathy/stats/iv.py, iv_analysis.py): the estimator's statuses and those of an
#: instrument set whose instrument never varies in the data.
IV_STATUSES = (*_iv.STATUSES, *_iv_analysis.NO_INSTRUMENT.values())

#: Churn-risk model (empathy/stats/churn_risk.py): the evaluation compares the fitted models (MODELS) and their
#: difference (full minus usage_only); statuses of ``evaluation_table``.
CHURN_RISK_EVALUATION_MODELS = (*_churn_risk.MODELS, "difference")
CHURN_RISK_EVALUATION_STATUSES = (
    "ok", "too_few_test_events", "not_estimable", "no_landmark_with_full_horizon", "model_not_fitted",
)  # fmt: skip
#: Calibration (empathy/stats/risk_evaluation.py calibration_by_decile, churn_risk.calibration_table): a decile's
#: status, followed by "; <k> unusable rows dropped" when rows were left out.
CHURN_RISK_CALIBRATION_STATUSES = (
    "ok", "no_events", "all_churned", "beyond_follow_up", "no_customers", "model_not_fitted_or_no_landmark",
)  # fmt: skip
CHURN_RISK_CALIBRATION_STATUS_REGEX = (
    rf"^(?:{'|'.join(CHURN_RISK_CALIBRATION_STATUSES)})(?:; \d+ unusable rows dropped)?$"
)
#: Coefficients (churn_risk.coefficient_table): ``ok``, or ``ok; <notes>`` (features left out for being constant),
#: or the status of a model that was not fitted.
CHURN_RISK_COEFFICIENT_STATUS_REGEX = r"^(?:ok(?:; .+)?|too_few_training_events|fit_failed)$"
#: Alert outcomes (empathy/outreach.py alert_outcome_table): statuses, those with an estimate, and the outcomes that
#: are shares (0-1; contacts_in_window is a count, mrr_change currency).
ALERT_OUTCOME_STATUSES = _outreach.OUTCOME_STATUSES
ALERT_OUTCOME_ESTIMATED = ("ok", "few_customers")
ALERT_SHARE_OUTCOMES = ("resolved_share_of_contacts", "opted_out_of_contact", "voluntary_churn_in_window")
#: Alert decisions (empathy/outreach.py alert_decisions): the statuses that take a slot of the week's capacity.
ALERT_SELECTED_STATUSES = ("alerted", "held_out")
ALERT_SUPPRESSED_STATUSES = tuple(s for s in _outreach.STATUSES if s not in ALERT_SELECTED_STATUSES)

#: Key drivers (empathy/stats/driver_analysis.py, drivers.py): the drivers of each survey, the statuses with an
#: estimate (a constant driver's is 0) and the units of ``performance``: shares (0-1), seconds, survey items (1-7).
NPS_DRIVERS = (*_driver_analysis.BEHAVIOUR_DRIVERS, *_driver_analysis.CONTEXT_DRIVERS)
CSAT_DRIVERS = (*NPS_DRIVERS, *_driver_analysis.SURVEY_ITEM_DRIVERS)
DRIVER_ESTIMATED = ("ok", "constant_driver")
DRIVER_SHARE_DRIVERS = (*_driver_analysis.BEHAVIOUR_DRIVERS, "had_tough_moment", "resolved_share")
DRIVER_SECONDS_DRIVERS = ("handle_time_seconds_mean",)
#: LMG parts are differences of R-squared, so a part (and its share) of a driver that adds nothing can be below 0
#: (or a share above 1) by rounding; a real error is far larger.
DRIVER_ROUNDING_TOLERANCE = 1e-9
#: Service recovery (empathy/stats/service_recovery.py, statuses from its docstring): row kinds, statuses, and the
#: statuses each kind of row can take.
SERVICE_RECOVERY_ROW_KINDS = ("transition", "adjusted_effect", "time_to_recovery")
SERVICE_RECOVERY_STATUSES = ("ok", "too_few_low_scores", "one_group_empty", "no_variation", "median_not_reached")
SERVICE_RECOVERY_KIND_STATUSES = {
    "transition": ("ok", "one_group_empty"),
    "adjusted_effect": ("ok", "too_few_low_scores", "one_group_empty", "no_variation"),
    "time_to_recovery": ("ok", "too_few_low_scores", "median_not_reached"),
}
SERVICE_RECOVERY_ESTIMATED = ("ok", "median_not_reached")
#: Acknowledgment contrasts (empathy/stats/exposure_contrasts.py): the contrasts, the channels of the channel rows
#: (``unknown`` when missing) and the status of the overall handle-time row only.
ACKNOWLEDGMENT_PROMOTER, ACKNOWLEDGMENT_VARIANCE = _exposure_contrasts.CONTRASTS
ACKNOWLEDGMENT_CHANNELS = ("voice", "chat", "email", "in_product", "unknown")
ACKNOWLEDGMENT_NOT_POOLED = "not_pooled_across_channels"
#: Agent scorecards (empathy/stats/scorecards.py): the metrics of int_agent_months_counted.sql by the unit each is a
#: share of; the statuses with an estimate (no_observations: the prior mean) and those whose weight is 0 (the
#: estimate is the prior mean); the prior's statuses (a team prior is ok, a borrowed one says why).
SCORECARD_METRICS_BY_UNIT = {
    "interactions": ("acknowledge_rate", "name_emotion_rate", "clarify_need_rate", "offer_options_rate",
                     "close_loop_rate", "acknowledged_within_30s_rate", "empathetic_contact_rate",
                     "repeat_contact_rate"),
    "respondents": ("csat_top2_rate",),
    "weighted_respondents": ("csat_top2_weighted_rate",),
    "save_offers": ("save_without_concession_rate",),
}
SCORECARD_ESTIMATED = ("ok", "fully_pooled", "no_observations")
SCORECARD_PRIOR_ONLY = ("fully_pooled", "no_observations")
SCORECARD_PRIOR_STATUSES = (*_shrinkage.PRIOR_STATUSES, "missing_group")
#: Ramp curves (mart_agent_ramp_curves.sql): the metrics it picks from macros/coaching.sql coaching_metric_flags.
RAMP_METRICS = ("empathetic_contact_rate", "acknowledged_within_30s_rate", "csat_top2_rate", "repeat_contact_rate")
#: Recognition (empathy/stats/recognition.py): every rate, share and posterior bound is 0-1 (the agent's and each
#: outcome's ``_raw_rate``, ``_expected_rate``, ``_estimate``); the counts are the ``n_`` columns.
RECOGNITION_SHARES = tuple(
    c for c in _recognition.COLUMNS
    if c.endswith(("_rate", "_share", "_estimate")) or c in ("estimate", "ci_lower", "ci_upper", "lower_bound")
)
RECOGNITION_COUNTS = tuple(c for c in _recognition.COLUMNS if c.startswith("n_"))
#: QA scores (1-5) of the calibration sample; duplicate ratings of one item are collapsed to a rounded mean.
QA_SCORES = [1, 2, 3, 4, 5]
#: Coaching moments (mart_coaching_moments.sql): the evidence is behaviour:segment index pairs, never text.
EVIDENCE_SEGMENTS_REGEX = r"^[a-z_]+:\d+(?:, [a-z_]+:\d+)*$"
BEHAVIOR_LIST_REGEX = r"^[a-z_]+(?:, [a-z_]+)*$"
#: Product and policy feed (int_segments_counted_for_signals.sql, empathy/stats/product_signals.py).
SIGNAL_DIMENSIONS = ("tough_moment_category", "contact_reason", "product")


def _driver_suite(table: str, outcomes: list[str], drivers: tuple[str, ...]) -> SuiteSpec:
    """Suite of a key-driver mart (mart_nps_drivers, mart_csat_drivers): one row per outcome x driver x method."""
    estimated = Column("status").is_in(list(DRIVER_ESTIMATED))
    not_estimated = Column("status").is_not_in(list(DRIVER_ESTIMATED))
    kinds = sorted({_driver_analysis.DRIVER_KIND[d] for d in drivers})
    tolerance = DRIVER_ROUNDING_TOLERANCE
    return SuiteSpec(
        schema="marts",
        table=table,
        expectations=(
            *privacy(),
            has_columns(*_driver_analysis.COLUMNS),
            expect("expect_compound_columns_to_be_unique", column_list=["outcome", "driver", "method"]),
            *(not_null(column) for column in ("outcome", "driver_kind", "driver", "method", "status",
                                              "n_respondents", "n_rows_dropped_missing")),
            in_set("outcome", list(outcomes)),
            in_set("driver", list(drivers)),
            in_set("driver_kind", kinds),
            *(in_set("driver", [d for d in drivers if _driver_analysis.DRIVER_KIND[d] == kind],
                     row_condition=Column("driver_kind") == kind) for kind in kinds),
            in_set("method", list(_drivers.METHODS)),
            in_set("status", list(_drivers.STATUSES)),
            *(between(column, min_value=-tolerance, max_value=1,
                      notes="A part of an R-squared (0 up to rounding) and its interval.")
              for column in ("estimate", "ci_lower", "ci_upper")),
            between("share_of_r_squared", min_value=-tolerance, max_value=1 + tolerance,
                    notes="A fraction of the R-squared (up to rounding)."),
            *unit_interval("r_squared"),
            *non_negative("std_error", "n_respondents", "n_rows_dropped_missing"),
            between("rank", min_value=1, max_value=len(drivers), notes="1 = the most important driver."),
            ci_ordered(),
            *(expect("expect_column_values_to_not_be_null", column=column, row_condition=estimated)
              for column in ("estimate", "r_squared")),
            expect("expect_column_values_to_not_be_null", column="rank", row_condition=Column("status") == "ok"),
            *(expect("expect_column_values_to_be_null", column=column, row_condition=not_estimated,
                     notes="A row that says why it has no estimate has none.")
              for column in ("estimate", "share_of_r_squared", "r_squared")),
            *(expect("expect_column_values_to_be_null", column=column, row_condition=Column("status") != "ok",
                     notes="A constant driver has estimate 0 and no interval or rank.")
              for column in ("std_error", "ci_lower", "ci_upper", "rank")),
            *(in_set(column, [0], row_condition=Column("status") == "constant_driver",
                     notes="A driver that does not vary accounts for none of the R-squared.")
              for column in ("estimate", "share_of_r_squared")),
            between("performance", min_value=0, max_value=1,
                    row_condition=Column("driver").is_in([d for d in DRIVER_SHARE_DRIVERS if d in drivers]),
                    notes="Behaviours, tough moments and resolution are shares."),
            between("performance", min_value=0,
                    row_condition=Column("driver").is_in(list(DRIVER_SECONDS_DRIVERS)),
                    notes="Handle time in seconds."),
            *((between("performance", min_value=1, max_value=7,
                       row_condition=Column("driver").is_in(list(_driver_analysis.SURVEY_ITEM_DRIVERS)),
                       notes="Survey items are scored 1-7."),)
              if set(_driver_analysis.SURVEY_ITEM_DRIVERS) & set(drivers) else ()),
        ),
    )


_TEAM_MONTH_SHARES = (
    "acknowledged_share", "acknowledged_within_30s_share", "named_emotion_share", "clarified_need_share",
    "offered_options_share", "closed_loop_share", "csat_top2_share", "repeat_contact_share", "tough_moment_share",
)  # fmt: skip

SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec(
        schema="marts",
        table="fct_interactions",
        expectations=(
            *privacy(),
            has_columns(*_FCT_INTERACTIONS_COLUMNS),
            expect("expect_table_row_count_to_be_between", min_value=1),
            *key("interaction_key"),
            expect("expect_compound_columns_to_be_unique", column_list=["source_system", "interaction_id"]),
            not_null("interaction_id"),
            not_null("customer_key"),
            matches("customer_key", SHA256_HEX),
            not_null("agent_id"),
            in_set("channel", ["voice", "chat", "email", "in_product"]),
            in_set("tough_moment_category",
                   ValuesOf("reference", "tough_moment_categories", "tough_moment_category", extra=("routine",))),
            not_null("tough_moment_category"),
            not_null("is_tough_moment"),
            not_null("started_at"),
            between("seconds_to_first_response", min_value=0),
            between("handle_time_seconds", min_value=0),
            not_null("is_transcript_usable"),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="dim_customers",
        expectations=(
            *privacy(),
            has_columns(*_DIM_CUSTOMERS_COLUMNS),
            *key("customer_key"),
            matches("customer_key", SHA256_HEX),
            between("accounts_count", min_value=0),
            between("tenure_days", min_value=0),
            in_set("subscription_status", ["active", "churned", "no_subscription"]),
            between("current_mrr", min_value=0),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="dim_agents",
        expectations=(
            *privacy(),
            has_columns(*_DIM_AGENTS_COLUMNS),
            *key("agent_id"),
            not_null("team"),
            not_null("is_new_agent"),
        ),
    ),
    SuiteSpec(
        schema="audit",
        table="audit_row_reconciliation",
        expectations=(
            *privacy(),
            has_columns("table_name", *_RECONCILIATION_COUNTS, "is_balanced"),
            expect("expect_table_row_count_to_equal", value=RAW_TABLE_COUNT),
            *key("table_name"),
            *(between(column, min_value=0) for column in _RECONCILIATION_COUNTS),
            not_null("is_balanced"),
            in_set("is_balanced", [True]),
            expect("expect_column_pair_values_to_be_equal", column_A="delivered_rows", column_B="accounted_rows"),
        ),
    ),
    SuiteSpec(
        schema="audit",
        table="audit_consent",
        expectations=(
            *privacy(),
            has_columns("metric", "metric_value", "metric_description"),
            *key("metric"),
            not_null("metric_value"),
            between("metric_value", min_value=0),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="fct_interaction_behaviors",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["interaction_key", "behavior_code"]),
            in_set("behavior_code", ValuesOf("reference", "empathy_behaviors", "behavior_code")),
            in_set("evidence_source", ["transcript_and_qa", "transcript", "qa_review", "absent", "not_observed"]),
            between("qa_mean_score", min_value=1, max_value=5),
            between("first_offset_ms", min_value=0),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="fct_survey_responses",
        expectations=(
            *privacy(),
            *key("invitation_id"),
            matches("customer_key", SHA256_HEX),
            between("selection_probability", min_value=0, max_value=1, strict_min=True),
            between("csat", min_value=1, max_value=5),
            between("felt_understood", min_value=1, max_value=7),
            between("acknowledged_situation", min_value=1, max_value=7),
            between("clear_next_steps", min_value=1, max_value=7),
            between("nps", min_value=0, max_value=10),
            in_set("nps_category", ["promoter", "passive", "detractor"]),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_interaction_outcomes",
        expectations=(
            *privacy(),
            *key("interaction_key"),
            in_set("empathy_score", [1, 2, 3, 4, 5]),
            between("behaviors_count", min_value=0),
            between("seconds_to_first_acknowledgment", min_value=0),
            between("csat", min_value=1, max_value=5),
            between("next_nps", min_value=0, max_value=10),
            between("days_to_next_nps", min_value=0),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_behavior_effects",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["behavior_code", "outcome", "outcome_window_days"]),
            not_null("status"),
            between("p_value", min_value=0, max_value=1),
            between("p_value_adjusted", min_value=0, max_value=1),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="p_value_adjusted",
                   column_B="p_value", or_equal=True, notes="An adjusted p-value is never below the raw one."),
            expect(
                "expect_column_pair_values_a_to_be_greater_than_b",
                column_A="ci_upper", column_B="ci_lower", or_equal=True,
                notes="Confidence intervals bracket a width of zero or more.",
            ),
            expect(
                "expect_column_values_to_be_in_set", column="status", value_set=["ok"], mostly=0.5,
                severity="warning", notes="Most behaviour x outcome cells should be estimable.",
            ),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_rater_agreement",
        expectations=(
            *privacy(),
            in_set("grain", ["behavior", "reviewer_pair", "reviewer", "transcript_vs_qa"]),
            not_null("status"),
            expect(
                "expect_column_values_to_be_between", column="estimate", min_value=-1, max_value=1,
                row_condition=Column("metric") != "leniency",
                notes="Agreement statistics (percent agreement, kappa, alpha) lie in [-1, 1].",
            ),
            expect(
                "expect_column_values_to_be_between", column="estimate", min_value=-4, max_value=4,
                row_condition=Column("metric") == "leniency",
                notes="Leniency is a difference of scores on the 1-5 scale.",
            ),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_survey_item_order_effects",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["item_code", "item_position"]),
            between("n_answers", min_value=1),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="fct_csat_pulse_weights",
        expectations=(
            *privacy(),
            *key("invitation_id"),
            *(between(stage, min_value=0, strict_min=True) for stage in
              ("design_weight", "nonresponse_weight", "raked_weight", "final_weight")),
            *(not_null(stage) for stage in ("design_weight", "nonresponse_weight", "raked_weight", "final_weight")),
            between("design_weight", min_value=1),
            between("selection_probability", min_value=0, max_value=1, strict_min=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_survey_weight_diagnostics",
        expectations=(
            *privacy(),
            in_set("diagnostic", ["weights", "margin", "smd", "response_rate"]),
            between("response_rate", min_value=0, max_value=1),
            expect(
                "expect_column_values_to_be_between", column="share_difference", min_value=-1e-6, max_value=1e-6,
                row_condition=(Column("diagnostic") == "margin") & (Column("status") == "ok"),
                notes="Raked margins equal their population targets (status not_raked: a survey too small to rake).",
            ),
            expect(
                "expect_column_pair_values_a_to_be_greater_than_b", column_A="design_effect_ceiling",
                column_B="kish_design_effect", or_equal=True,
                row_condition=(Column("diagnostic") == "weights") & (Column("weight_stage") == "final_weight")
                & (Column("scope") == "overall"),
                severity="warning",
                notes="A design effect above the ceiling (var survey_weighting.design_effect_ceiling) means the "
                      "weights cost too much precision.",
            ),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_csat_weighted",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["metric", "group_by", "group_value"]),
            not_null("status"),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status") == "ok"),
            between("std_error", min_value=0),
            expect(
                "expect_column_pair_values_a_to_be_greater_than_b",
                column_A="ci_upper", column_B="ci_lower", or_equal=True,
            ),
            expect(
                "expect_column_values_to_be_between", column="estimate", min_value=0, max_value=1,
                row_condition=Column("metric") == "csat_top2_share",
            ),
            expect(
                "expect_column_values_to_be_between", column="estimate", min_value=1, max_value=5,
                row_condition=Column("metric") == "csat_mean",
            ),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_nps_weighted",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["metric", "group_by", "group_value"]),
            not_null("status"),
            between("std_error", min_value=0),
            between("taylor_std_error", min_value=0),
            in_set("variance_method", ["delete_a_group_jackknife", "taylor_linearization"]),
            expect(
                "expect_column_pair_values_a_to_be_greater_than_b",
                column_A="ci_upper", column_B="ci_lower", or_equal=True,
            ),
            expect(
                "expect_column_values_to_be_between", column="estimate", min_value=-100, max_value=100,
                row_condition=Column("metric") == "nps",
            ),
            expect(
                "expect_column_values_to_be_between", column="estimate", min_value=0, max_value=1,
                row_condition=Column("metric") != "nps",
            ),
        ),
    ),
    *(SuiteSpec(
        schema="marts",
        table=table,
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["invitation_id", "replicate_id"]),
            not_null("replicate_weight"),
            between("replicate_weight", min_value=0),
            between("replicate_id", min_value=1),
        ),
    ) for table in ("fct_csat_pulse_replicate_weights", "fct_relationship_nps_replicate_weights")),
    SuiteSpec(
        schema="marts",
        table="mart_survival_curves",
        expectations=(
            *privacy(),
            between("estimate", min_value=0, max_value=1),
            between("estimate_change", max_value=1e-12, notes="Survival never increases with time within a curve."),
            between("ci_lower", min_value=0, max_value=1),
            between("ci_upper", min_value=0, max_value=1),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="estimate", column_B="ci_lower",
                   or_equal=True, notes="The CI brackets the estimate."),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="ci_upper", column_B="estimate",
                   or_equal=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_churn_hazard",
        expectations=(
            *privacy(),
            not_null("status"),
            between("estimate", min_value=0, strict_min=True),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="estimate", column_B="ci_lower",
                   or_equal=True),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="ci_upper", column_B="estimate",
                   or_equal=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_cohort_retention",
        expectations=(
            *privacy(),
            between("retention_rate", min_value=0, max_value=1),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="n_customers_observable",
                   column_B="n_customers_retained", or_equal=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="fct_relationship_nps_weights",
        expectations=(
            *privacy(),
            *key("invitation_id"),
            matches("customer_key", SHA256_HEX),
            between("nps", min_value=0, max_value=10),
            not_null("nps"),
            in_set("nps_category", ["promoter", "passive", "detractor"]),
            between("selection_probability", min_value=0, max_value=1, strict_min=True),
            between("design_weight", min_value=1),
            *(between(stage, min_value=0, strict_min=True) for stage in
              ("design_weight", "nonresponse_weight", "raked_weight", "final_weight")),
            *(not_null(stage) for stage in ("design_weight", "nonresponse_weight", "raked_weight", "final_weight")),
            between("response_propensity", min_value=0, max_value=1, strict_min=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_survival_tests",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["cohort_definition", "cohort", "exposure_group"]),
            not_null("status"),
            between("n_customers", min_value=0),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="n_customers", column_B="n_events",
                   or_equal=True, notes="No more events than customers."),
            expect("expect_column_values_to_be_between", column="rmst_days", min_value=0,
                   row_condition=Column("status") == "ok",
                   notes="A restricted mean survival time lies between 0 and the horizon."),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="rmst_horizon_days",
                   column_B="rmst_days", or_equal=True, row_condition=Column("status") == "ok"),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="rmst_ci_upper",
                   column_B="rmst_ci_lower", or_equal=True, row_condition=Column("status") == "ok"),
            between("logrank_p_value", min_value=0, max_value=1),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_churn_hazard_time_varying",
        expectations=(
            *privacy(),
            not_null("status"),
            expect("expect_column_values_to_not_be_null", column="estimate", row_condition=Column("status") == "ok"),
            between("estimate", min_value=0, strict_min=True),
            between("p_value", min_value=0, max_value=1),
            between("std_error", min_value=0),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="estimate", column_B="ci_lower",
                   or_equal=True),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="ci_upper", column_B="estimate",
                   or_equal=True),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="n_episodes", column_B="n_customers",
                   or_equal=True, notes="Every customer contributes at least one start/stop episode."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_lagged_outcomes",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["outcome", "exposure_group"]),
            in_set("outcome", ["next_month_nps", "next_quarter_renewal_rate"]),
            between("n_interactions", min_value=0),
            not_null("status"),
            between("std_error", min_value=0),
            expect("expect_column_values_to_be_between", column="estimate", min_value=-100, max_value=100,
                   row_condition=Column("outcome") == "next_month_nps"),
            expect("expect_column_values_to_be_between", column="estimate", min_value=0, max_value=1,
                   row_condition=Column("outcome") == "next_quarter_renewal_rate"),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="ci_upper", column_B="ci_lower",
                   or_equal=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_detection_quality",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["behavior_code", "detector", "group_by", "group_value", "metric"]),
            in_set("behavior_code", ValuesOf("reference", "empathy_behaviors", "behavior_code")),
            in_set("detector", ["lexicon", "model", "combined"]),
            in_set("metric", ["precision", "recall", "f1", "cohen_kappa"]),
            in_set("status", ["ok", "too_few_interactions", "undefined", "detector_not_trained"]),
            between("n_interactions", min_value=0),
            expect("expect_column_values_to_be_between", column="estimate", min_value=0, max_value=1,
                   row_condition=Column("metric") != "cohen_kappa",
                   notes="Precision, recall and F1 are fractions."),
            expect("expect_column_values_to_not_be_null", column="estimate", row_condition=Column("status") == "ok"),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="n_interactions",
                   column_B="n_positive_verdicts", or_equal=True),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="n_interactions", column_B="n_detected",
                   or_equal=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_detector_terms",
        expectations=(
            *privacy(),
            in_set("behavior_code", ValuesOf("reference", "empathy_behaviors", "behavior_code")),
            in_set("status", ["ok", "too_few_reviewed", "one_class_only", "too_few_agents"]),
            expect("expect_column_values_to_not_be_null", column="term", row_condition=Column("status") == "ok"),
            between("n_interactions", min_value=0),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_lexicon_candidate_phrases",
        expectations=(
            *privacy(),
            in_set("behavior_code", ValuesOf("reference", "empathy_behaviors", "behavior_code")),
            in_set("status", ["ok", "no_missed_interactions", "no_phrase_shared_by_enough_customers"]),
            between("share_of_missed", min_value=0, max_value=1),
            between("share_of_negative", min_value=0, max_value=1),
            expect("expect_column_values_to_not_match_regex", column="phrase",
                   regex=r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", notes="Redacted text: no e-mail."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="fct_experiment_interactions",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["experiment_id", "interaction_key"]),
            matches("customer_key", SHA256_HEX),
            in_set("period", ["pre", "window"]),
            expect("expect_column_values_to_not_be_null", column="itt_arm",
                   row_condition=Column("is_in_assigned_unit") == True,  # noqa: E712
                   notes="Every interaction of an assigned unit carries the unit's intention-to-treat arm."),
            between("csat_pulse_weight", min_value=0, strict_min=True),
            between("cost_to_serve", min_value=0),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="fct_experiment_customers",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["experiment_id", "period", "customer_key"]),
            matches("customer_key", SHA256_HEX),
            not_null("itt_arm"),
            in_set("nps_value", [-100, 0, 100]),
            between("nps", min_value=0, max_value=10),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_experiment_health",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["experiment_id", "check_name"]),
            in_set("status", ["ok", "flagged", "warn", "not_estimable", "not_applicable"]),
            between("p_value", min_value=0, max_value=1),
            expect("expect_column_values_to_be_between", column="estimate", min_value=0, max_value=1,
                   row_condition=Column("check_group").is_in(["sample_ratio", "contamination", "exposure"]),
                   notes="Sample ratio, contamination and exposure estimates are shares."),
            expect("expect_column_values_to_not_be_null", column="p_value",
                   row_condition=(Column("check_group") == "sample_ratio") & Column("status").is_in(["ok", "flagged"])),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_experiment_results",
        expectations=(
            *privacy(),
            not_null("status"),
            *(between(column, min_value=0, max_value=1) for column in (
                "p_value", "p_value_adjusted", "p_value_adjusted_bh", "p_value_small_cluster",
                "p_value_randomization", "p_value_cuped")),
            between("std_error", min_value=0),
            between("std_error_small_cluster", min_value=0),
            expect("expect_column_values_to_not_be_null", column="estimate", row_condition=Column("status") == "ok"),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="estimate", column_B="ci_lower",
                   or_equal=True, row_condition=Column("status") == "ok"),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="ci_upper", column_B="estimate",
                   or_equal=True, row_condition=Column("status") == "ok"),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="n_units", column_B="n_units_treated",
                   or_equal=True),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="n_observations",
                   column_B="n_observations_treated", or_equal=True),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="fct_team_month_outcomes",
        expectations=(
            *privacy(),
            expect("expect_table_row_count_to_be_between", min_value=1),
            expect("expect_compound_columns_to_be_unique", column_list=["team", "month_start"]),
            *(not_null(column) for column in ("team", "month_start", "period_index", "is_adopted",
                                              "n_interactions", "n_respondents")),
            *non_negative("n_interactions", "n_respondents", "handle_time_seconds_mean"),
            ordered("n_interactions", "n_respondents", notes="Answered pulses are about the month's interactions."),
            *unit_interval(*_TEAM_MONTH_SHARES),
            expect("expect_column_values_to_not_be_null", column="adoption_period_index",
                   row_condition=Column("is_adopted") == True,  # noqa: E712
                   notes="An adopted team-month has an adoption month."),
            ordered("period_index", "adoption_period_index", row_condition=Column("is_adopted") == True,  # noqa: E712
                    notes="Adopted: the month is on or after the adoption month."),
            ordered("adoption_period_index", "period_index", or_equal=False,
                    row_condition=Column("is_adopted") == False,  # noqa: E712
                    notes="Not adopted yet: the adoption month (if any) is later."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_did_group_time",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["outcome", "control_group", "cohort_period_index", "period_index"]),
            not_null("outcome"),
            not_null("status"),
            in_set("status", list(DID_GROUP_TIME_STATUSES)),
            in_set("control_group", list(_did.CONTROL_GROUPS)),
            *unit_interval("p_value"),
            *non_negative("std_error", "n_teams_cohort", "n_teams_control"),
            ci_ordered(),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status").is_in(DID_ESTIMATED)),
            *(expect("expect_column_values_to_be_between", column=column, min_value=1,
                     row_condition=Column("status").is_in(DID_ESTIMATED),
                     notes="An estimated cell has teams on both sides.")
              for column in ("n_teams_cohort", "n_teams_control")),
            ordered("period_index", "base_period_index", or_equal=False,
                    notes="A cell measures the change from an earlier month."),
            ordered("cohort_period_index", "base_period_index", or_equal=False,
                    notes="The base month is before the cohort's adoption."),
            expect("expect_column_values_to_be_in_set", column="status", value_set=list(DID_ESTIMATED), mostly=0.5,
                   severity="warning", notes="Most group-time cells should be estimable."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_did_event_study",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["outcome", "control_group", "event_time_months"]),
            not_null("outcome"),
            not_null("status"),
            in_set("status", list(DID_EVENT_STUDY_STATUSES)),
            in_set("control_group", list(_did.CONTROL_GROUPS)),
            *unit_interval("p_value"),
            *non_negative("std_error", "n_cells", "n_teams_treated", "n_teams_control", "n_teams_left_out"),
            ci_ordered(),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status").is_in(DID_ESTIMATED)),
            expect("expect_column_values_to_be_between", column="n_cells", min_value=1,
                   row_condition=Column("status").is_in(DID_ESTIMATED),
                   notes="An estimated event time averages at least one group-time cell."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_did_summary",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["outcome", "control_group", "estimator", "aggregation", "label"]),
            *(not_null(column) for column in ("outcome", "estimator", "aggregation", "label", "status")),
            in_set("status", list(DID_SUMMARY_STATUSES)),
            in_set("control_group", list(_did.CONTROL_GROUPS)),
            in_set("estimator", list(DID_SUMMARY_ESTIMATORS)),
            in_set("aggregation", list(DID_SUMMARY_AGGREGATIONS)),
            expect("expect_column_values_to_be_in_set", column="label", value_set=list(_did.BACON_TYPES),
                   row_condition=Column("aggregation") == "bacon_weight"),
            *unit_interval("p_value", "weight"),
            *non_negative("std_error", "statistic", "degrees_of_freedom", "n_cells", "n_teams_treated",
                          "n_teams_control", "n_teams_left_out"),
            ci_ordered(),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status").is_in(DID_ESTIMATED) & (Column("aggregation") != "pretrend_wald"),
                   notes="Every estimated aggregation, TWFE and Bacon row has an estimate (the Wald test a "
                         "statistic)."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_did_robustness",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["outcome", "check_name", "label"]),
            *(not_null(column) for column in ("outcome", "check_name", "label", "status")),
            in_set("status", list(DID_ROBUSTNESS_STATUSES)),
            in_set("check_name", list(DID_ROBUSTNESS_CHECKS)),
            *unit_interval("p_value"),
            *non_negative("std_error", "statistic", "degrees_of_freedom", "n_teams_treated", "n_teams_control"),
            ci_ordered(notes="Confidence intervals (and the leave-one-out range) bracket a width of zero or more."),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status").is_in(["passed", "failed", "estimated"])
                   & (Column("check_name") != "pretrend_wald"),
                   notes="A check that passed or failed was judged on an estimate."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_synthetic_control",
        expectations=(
            *privacy(),
            *key("outcome"),
            not_null("status"),
            in_set("status", list(SYNTHETIC_CONTROL_STATUSES)),
            *unit_interval("p_value"),
            *non_negative("n_teams_donor", "n_teams_placebo", "pre_rmspe", "post_rmspe", "rmspe_ratio",
                          "in_time_placebo_months"),
            between("placebo_rank", min_value=1),
            ordered("n_teams_placebo", "placebo_rank", notes="The rank is among the placebo fits."),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status").is_in(SYNTHETIC_CONTROL_ESTIMATED)),
            expect("expect_column_values_to_be_between", column="n_teams_donor", min_value=1,
                   row_condition=Column("status").is_in(SYNTHETIC_CONTROL_ESTIMATED),
                   notes="A fitted synthetic team has at least one donor."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_synthetic_control_weights",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["outcome", "donor_team"]),
            *(not_null(column) for column in ("outcome", "treated_team", "donor_team", "weight")),
            *unit_interval("weight"),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_synthetic_control_path",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["outcome", "period_index"]),
            *(not_null(column) for column in ("outcome", "treated_team", "period_index", "is_post")),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_iv_estimates",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["outcome", "instrument_set", "estimator", "variable"]),
            *(not_null(column) for column in ("outcome", "instrument_set", "estimator", "variable", "status")),
            in_set("estimator", list(_iv.ESTIMATORS)),
            in_set("status", list(IV_STATUSES)),
            *unit_interval("p_value", "first_stage_f_p_value", "overid_p_value"),
            *non_negative("std_error", "n_observations", "n_clusters", "first_stage_f", "overid_statistic"),
            ci_ordered(),
            ordered("n_observations", "n_clusters", notes="Every cluster (agent) has at least one interaction."),
            expect("expect_column_values_to_not_be_null", column="estimate", row_condition=Column("status") == "ok"),
            expect("expect_column_values_to_be_between", column="first_stage_f", max_value=_iv.WEAK_INSTRUMENT_F,
                   strict_max=True, row_condition=Column("is_weak_instrument") == True,  # noqa: E712
                   notes="Weak means a first-stage F below the rule of thumb."),
            expect("expect_column_values_to_be_between", column="first_stage_f", min_value=_iv.WEAK_INSTRUMENT_F,
                   row_condition=Column("is_weak_instrument") == False),  # noqa: E712
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_churn_risk_model_evaluation",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["model", "landmark_week", "metric"]),
            *(not_null(column) for column in ("model", "metric", "horizon_weeks", "status")),
            in_set("model", list(CHURN_RISK_EVALUATION_MODELS)),
            in_set("metric", list(_churn_risk.METRICS)),
            in_set("status", list(CHURN_RISK_EVALUATION_STATUSES)),
            *(expect("expect_column_values_to_be_between", column=column, min_value=0, max_value=1,
                     row_condition=Column("model").is_in(list(_churn_risk.MODELS)) & Column("metric").is_in(
                         ["concordance", "auc_at_horizon"]),
                     notes="Concordance and AUC are probabilities of ranking a pair right.")
              for column in ("estimate", "ci_lower", "ci_upper")),
            *(expect("expect_column_values_to_be_between", column=column, min_value=0, max_value=1,
                     row_condition=Column("model").is_in(list(_churn_risk.MODELS)) & Column("metric").is_in(
                         ["brier_at_horizon", "integrated_brier"]),
                     notes="A Brier score is a mean squared error of probabilities.")
              for column in ("estimate", "ci_lower", "ci_upper")),
            *(expect("expect_column_values_to_be_between", column=column, min_value=-1, max_value=1,
                     row_condition=Column("model") == "difference",
                     notes="The difference of two metrics in [0, 1].")
              for column in ("estimate", "ci_lower", "ci_upper")),
            *non_negative("std_error", "n_customers", "n_events", "horizon_weeks"),
            between("n_landmarks", min_value=1),
            ci_ordered(),
            expect("expect_column_values_to_not_be_null", column="estimate", row_condition=Column("status") == "ok"),
            expect("expect_column_values_to_be_between", column="n_events", min_value=_churn_risk.MIN_TEST_EVENTS,
                   row_condition=Column("status") == "ok",
                   notes="An ok row has enough churns within the horizon (else too_few_test_events)."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_churn_risk_calibration",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["model", "risk_decile"]),
            *(not_null(column) for column in ("model", "horizon_weeks", "status")),
            in_set("model", list(_churn_risk.MODELS)),
            matches("status", CHURN_RISK_CALIBRATION_STATUS_REGEX),
            between("risk_decile", min_value=1, max_value=10),
            *unit_interval("min_predicted", "max_predicted", "mean_predicted", "observed", "ci_lower", "ci_upper"),
            *non_negative("n_customer_landmarks", "n_events", "std_error"),
            ci_ordered(),
            ordered("max_predicted", "min_predicted", notes="The decile's range of predictions."),
            ordered("n_customer_landmarks", "n_events", notes="No more churns than customer-landmarks."),
            expect("expect_column_values_to_not_be_null", column="observed",
                   row_condition=Column("status").is_in(["ok", "no_events", "all_churned"]),
                   notes="A decile followed to the horizon has an observed probability."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_churn_risk_coefficients",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["model", "feature"]),
            *(not_null(column) for column in ("model", "n_weeks", "n_events", "status")),
            in_set("model", list(_churn_risk.MODELS)),
            matches("status", CHURN_RISK_COEFFICIENT_STATUS_REGEX),
            *unit_interval("p_value"),
            *non_negative("std_error", "n_weeks", "n_events"),
            between("feature_std_dev", min_value=0, strict_min=True,
                    notes="Features constant in training are left out (named in the status)."),
            ci_ordered(),
            ordered("n_weeks", "n_events", notes="At most one churn per customer-week."),
            *(expect("expect_column_values_to_not_be_null", column=column,
                     row_condition=Column("feature").is_not_null(),
                     notes="A fitted model has a coefficient for every feature it kept.")
              for column in ("estimate", "std_error")),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_at_risk_alerts",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["customer_key", "week_start"]),
            *(not_null(column) for column in ("customer_key", "week_start", "alert_status", "is_selected",
                                              "is_held_out", "risk_score", "risk_rank", "n_customers_at_risk",
                                              "n_selected")),
            matches("customer_key", SHA256_HEX),
            in_set("alert_status", list(_outreach.STATUSES)),
            *unit_interval("risk_score", "weekly_threshold"),
            between("risk_rank", min_value=1),
            *non_negative("n_selected"),
            ordered("n_customers_at_risk", "risk_rank", notes="The rank is among the customers at risk that week."),
            ordered("n_customers_at_risk", "n_selected",
                    notes="No more customers selected than at risk (the capacity, var alerts.weekly_capacity, is "
                          "not read here)."),
            in_set("is_selected", [True], row_condition=Column("is_held_out") == True,  # noqa: E712
                   notes="Held out means selected, then not contacted."),
            in_set("alert_status", list(ALERT_SELECTED_STATUSES),
                   row_condition=Column("is_selected") == True),  # noqa: E712
            in_set("alert_status", list(ALERT_SUPPRESSED_STATUSES),
                   row_condition=Column("is_selected") == False),  # noqa: E712
            in_set("alert_status", ["held_out"], row_condition=Column("is_held_out") == True),  # noqa: E712
            expect("expect_column_values_to_not_be_null", column="weekly_threshold",
                   row_condition=Column("is_selected") == True),  # noqa: E712
            between("n_selected", min_value=1, row_condition=Column("is_selected") == True,  # noqa: E712
                    notes="A selected customer counts in the week's selections."),
            ordered("risk_score", "weekly_threshold", row_condition=Column("is_selected") == True,  # noqa: E712
                    notes="The threshold is the risk of the last customer selected that week."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_alert_outcomes",
        expectations=(
            *privacy(),
            *key("outcome"),
            in_set("outcome", list(_outreach.OUTCOMES)),
            *(not_null(column) for column in ("status", "n_customers_alerted", "n_customers_held_out")),
            in_set("status", list(ALERT_OUTCOME_STATUSES)),
            *non_negative("n_customers_alerted", "n_customers_held_out", "std_error", "outcome_window_days"),
            *unit_interval("p_value"),
            ci_ordered(),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status").is_in(ALERT_OUTCOME_ESTIMATED)),
            *(expect("expect_column_values_to_be_between", column=column, min_value=2,
                     row_condition=Column("status").is_in(ALERT_OUTCOME_ESTIMATED),
                     notes="A difference is estimated with at least two customers in each arm.")
              for column in ("n_customers_alerted", "n_customers_held_out")),
            *(expect("expect_column_values_to_be_between", column=column, min_value=0, max_value=1,
                     row_condition=Column("outcome").is_in(ALERT_SHARE_OUTCOMES),
                     notes="Resolution, opt-out and churn are shares.")
              for column in ("mean_alerted", "mean_held_out")),
            expect("expect_column_values_to_be_between", column="estimate", min_value=-1, max_value=1,
                   row_condition=Column("outcome").is_in(ALERT_SHARE_OUTCOMES),
                   notes="A difference of two shares."),
            *(expect("expect_column_values_to_be_between", column=column, min_value=0,
                     row_condition=Column("outcome") == "contacts_in_window")
              for column in ("mean_alerted", "mean_held_out")),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_save_conversations",
        expectations=(
            *privacy(),
            *key("offer_id"),
            not_null("customer_key"),
            matches("customer_key", SHA256_HEX),
            *(not_null(column) for column in ("offered_at", "save_script", "offer_type", "offer_amount",
                                              "is_concession", "closure_status", "saved_status", "callback_status",
                                              "renewal_status")),
            in_set("closure_status", ["observed", "transcript_not_usable", "conversation_not_published"]),
            in_set("saved_status", ["observed", "window_open"]),
            in_set("callback_status", ["observed", "window_open", "conversation_not_published"]),
            in_set("renewal_status", ["observed", "not_yet_due", "no_billing_history"]),
            *non_negative("offer_amount"),
            between("closure_behaviors_count", min_value=0, max_value=len(_save_effects.CLOSURE)),
            expect("expect_column_values_to_not_be_null", column="closure_behaviors_count",
                   row_condition=Column("closure_status") == "observed",
                   notes="Closure is read wherever the transcript may be used."),
            expect("expect_column_values_to_be_null", column="closure_behaviors_count",
                   row_condition=Column("closure_status") != "observed",
                   notes="Closure is never guessed without a usable transcript."),
            expect("expect_column_values_to_not_be_null", column="is_saved",
                   row_condition=Column("saved_status") == "observed"),
            expect("expect_column_values_to_be_null", column="is_saved",
                   row_condition=Column("saved_status") == "window_open",
                   notes="An offer whose window is still open is not counted as saved or lost."),
            expect("expect_column_values_to_be_null", column="is_renewed_at_next_renewal",
                   row_condition=Column("renewal_status") != "observed"),
            in_set("is_concession", [False], row_condition=Column("offer_amount") == 0,
                   notes="A concession is money conceded."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_save_effects",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["row_kind", "outcome", "comparison", "group_value"]),
            *(not_null(column) for column in ("row_kind", "outcome", "comparison", "status", "n_offers",
                                              "n_agents")),
            in_set("row_kind", ["effect", "cell"]),
            in_set("status", list(_save_effects.STATUSES)),
            in_set("outcome", [*_save_effects.OUTCOMES, "money_conceded_per_save"]),
            *non_negative("std_error", "n_offers", "n_agents"),
            *unit_interval("p_value", "p_value_adjusted"),
            ci_ordered(),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status") == "ok"),
            expect("expect_column_values_to_be_null", column="estimate",
                   row_condition=Column("status") != "ok",
                   notes="A row that says why it has no estimate has none."),
            expect("expect_column_values_to_be_null", column="p_value", row_condition=Column("row_kind") == "cell",
                   notes="Cells are means, not tests."),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="p_value_adjusted",
                   column_B="p_value", or_equal=True, ignore_row_if="either_value_is_missing",
                   notes="Adjusting for many comparisons never lowers a p-value."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_save_team_scorecard",
        expectations=(
            *privacy(),
            *key("team"),
            *(not_null(column) for column in ("n_offers", "n_offers_with_outcome", "n_saves", "status")),
            in_set("status", ["ok", "too_few_offers"]),
            *non_negative("n_offers", "n_saves", "n_saves_without_concession", "n_recognition_worthy_saves",
                          "money_conceded"),
            *unit_interval("save_rate", "save_rate_ci_lower", "save_rate_ci_upper", "saves_without_concession_share",
                           "full_closure_share", "callback_rate"),
            ordered("n_offers", "n_offers_with_outcome"),
            ordered("n_offers_with_outcome", "n_saves"),
            ordered("n_saves", "n_saves_without_concession"),
            ordered("n_saves_without_concession", "n_recognition_worthy_saves"),
            ordered("save_rate", "save_rate_ci_lower"),
            ordered("save_rate_ci_upper", "save_rate"),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_empathy_economics",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["metric", "exposure_group"]),
            not_null("metric"),
            in_set("metric", ["expected_revenue_per_customer", "difference_per_customer", "value_per_point_per_year"]),
            not_null("status"),
            matches("status", r"^(ok(; .+)?|one_group_empty)$"),
            not_null("assumptions"),
            *non_negative("std_error", "n_customers", "n_strata", "horizon_days"),
            ci_ordered(),
            expect("expect_column_values_to_not_be_null", column="estimate",
                   row_condition=Column("status") != "one_group_empty"),
            expect("expect_column_values_to_be_between", column="rmst_days", min_value=0,
                   row_condition=Column("metric") == "expected_revenue_per_customer",
                   notes="A restricted mean time is never negative."),
            expect("expect_column_pair_values_a_to_be_greater_than_b", column_A="horizon_days", column_B="rmst_days",
                   or_equal=True, ignore_row_if="either_value_is_missing",
                   row_condition=Column("metric") == "expected_revenue_per_customer",
                   notes="RMST cannot exceed its horizon."),
        ),
    ),
    _driver_suite("mart_nps_drivers", _driver_analysis.NPS_OUTCOMES, NPS_DRIVERS),
    _driver_suite("mart_csat_drivers", _driver_analysis.CSAT_OUTCOMES, CSAT_DRIVERS),
    SuiteSpec(
        schema="marts",
        table="mart_service_recovery",
        expectations=(
            *privacy(),
            has_columns(*_service_recovery.COLUMNS),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["row_kind", "low_score_kind", "follow_up_group", "next_nps_category", "comparison",
                                "outcome"]),
            *(not_null(column) for column in ("row_kind", "low_score_kind", "follow_up_group", "status",
                                              "n_low_scores", "n_customers")),
            in_set("row_kind", list(SERVICE_RECOVERY_ROW_KINDS)),
            in_set("status", list(SERVICE_RECOVERY_STATUSES)),
            *(in_set("status", list(statuses), row_condition=Column("row_kind") == kind)
              for kind, statuses in SERVICE_RECOVERY_KIND_STATUSES.items()),
            in_set("low_score_kind", list(_service_recovery.KINDS)),
            in_set("follow_up_group", list(_service_recovery.GROUPS)),
            in_set("next_nps_category", list(_service_recovery.NEXT_CATEGORIES)),
            in_set("comparison", list(_service_recovery.COMPARISONS)),
            in_set("outcome", [*_service_recovery.OUTCOMES, "recovered"]),
            not_null("next_nps_category", row_condition=Column("row_kind") == "transition"),
            *(expect("expect_column_values_to_be_null", column=column,
                     row_condition=Column("row_kind") != "transition",
                     notes="Transition columns are null on the other kinds of row.")
              for column in ("next_nps_category", "share_of_low_scores", "share_of_later_answers")),
            *(not_null(column, row_condition=Column("row_kind") == "adjusted_effect")
              for column in ("comparison", "outcome")),
            in_set("outcome", list(_service_recovery.OUTCOMES), row_condition=Column("row_kind") == "adjusted_effect"),
            in_set("follow_up_group", ["empathetic_follow_up"], row_condition=Column("row_kind") == "adjusted_effect",
                   notes="Adjusted effects compare the empathetic follow-up with another group."),
            expect("expect_column_values_to_be_null", column="comparison",
                   row_condition=Column("row_kind") != "adjusted_effect"),
            in_set("outcome", ["recovered"], row_condition=Column("row_kind") == "time_to_recovery"),
            not_null("outcome", row_condition=Column("row_kind") == "time_to_recovery"),
            not_null("horizon_days", row_condition=Column("row_kind") == "time_to_recovery"),
            *(expect("expect_column_values_to_be_null", column=column,
                     row_condition=Column("row_kind") != "adjusted_effect",
                     notes="Only adjusted effects are tests.")
              for column in ("std_error", "p_value", "p_value_adjusted")),
            expect("expect_column_values_to_be_null", column="estimate",
                   row_condition=Column("row_kind") == "transition", notes="Transitions are counts and shares."),
            *unit_interval("share_of_low_scores", "share_of_later_answers", "p_value", "p_value_adjusted"),
            *non_negative("n_low_scores", "n_customers", "std_error", "median_days_to_recovery", "horizon_days"),
            ordered("n_low_scores", "n_customers", notes="Every customer behind a low score has one."),
            between("estimate", min_value=-1, max_value=1, row_condition=Column("row_kind") == "adjusted_effect",
                    notes="A difference of two probabilities."),
            *(between(column, min_value=0, max_value=1, row_condition=Column("row_kind") == "time_to_recovery",
                      notes="The share recovered within the horizon and its interval.")
              for column in ("estimate", "ci_lower", "ci_upper")),
            ci_ordered(),
            ordered("p_value_adjusted", "p_value", notes="Adjusting for many comparisons never lowers a p-value."),
            not_null("share_of_low_scores",
                     row_condition=(Column("row_kind") == "transition") & (Column("status") == "ok")),
            not_null("estimate", row_condition=(Column("row_kind") != "transition")
                     & Column("status").is_in(list(SERVICE_RECOVERY_ESTIMATED))),
            not_null("p_value", row_condition=(Column("row_kind") == "adjusted_effect") & (Column("status") == "ok")),
            *(expect("expect_column_values_to_be_null", column=column,
                     row_condition=Column("status").is_not_in(list(SERVICE_RECOVERY_ESTIMATED)),
                     notes="A row that says why it has no estimate has none.")
              for column in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value", "p_value_adjusted",
                             "median_days_to_recovery")),
            expect("expect_column_values_to_be_null", column="median_days_to_recovery",
                   row_condition=Column("status") == "median_not_reached"),
            not_null("median_days_to_recovery",
                     row_condition=(Column("row_kind") == "time_to_recovery") & (Column("status") == "ok"),
                     notes="An ok time to recovery reached its median (else median_not_reached)."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_acknowledgment_contrasts",
        expectations=(
            *privacy(),
            has_columns(*_exposure_contrasts.COLUMNS),
            expect("expect_compound_columns_to_be_unique", column_list=["contrast", "group_by", "group_value"]),
            *(not_null(column) for column in ("contrast", "group_by", "group_value", "status", "n_exposed",
                                              "n_unexposed")),
            in_set("contrast", list(_exposure_contrasts.CONTRASTS)),
            in_set("status", list(_exposure_contrasts.STATUSES)),
            in_set("group_by", [_exposure_contrasts.OVERALL[0], "channel"]),
            in_set("group_value", [_exposure_contrasts.OVERALL[1]],
                   row_condition=Column("group_by") == _exposure_contrasts.OVERALL[0]),
            in_set("group_value", list(ACKNOWLEDGMENT_CHANNELS), row_condition=Column("group_by") == "channel"),
            *(in_set("status", [s for s in _exposure_contrasts.STATUSES if s != ACKNOWLEDGMENT_NOT_POOLED],
                     row_condition=condition,
                     notes="Only the overall handle-time row is left unpooled across channels.")
              for condition in (Column("contrast") == ACKNOWLEDGMENT_PROMOTER, Column("group_by") == "channel")),
            *non_negative("std_error", "n_exposed", "n_unexposed"),
            *unit_interval("p_value", "p_value_adjusted"),
            ci_ordered(),
            ordered("p_value_adjusted", "p_value", notes="Adjusting for many comparisons never lowers a p-value."),
            *(between(column, min_value=-1, row_condition=Column("contrast") == ACKNOWLEDGMENT_PROMOTER,
                      notes="A relative change of a share (p1 / p0 - 1) is at least -1.")
              for column in ("estimate", "ci_lower", "ci_upper")),
            *(between(column, min_value=0, strict_min=True,
                      row_condition=Column("contrast") == ACKNOWLEDGMENT_VARIANCE,
                      notes="A ratio of two positive variances.")
              for column in ("estimate", "ci_lower", "ci_upper")),
            *(between(column, min_value=0, max_value=1, row_condition=Column("contrast") == ACKNOWLEDGMENT_PROMOTER,
                      notes="Promoter shares.")
              for column in ("value_exposed", "value_unexposed")),
            *(between(column, min_value=0, row_condition=Column("contrast") == ACKNOWLEDGMENT_VARIANCE,
                      notes="Variances of handle time (seconds squared).")
              for column in ("value_exposed", "value_unexposed")),
            *(not_null(column, row_condition=Column("status") == "ok")
              for column in ("estimate", "ci_lower", "ci_upper", "p_value", "value_exposed", "value_unexposed")),
            *(expect("expect_column_values_to_be_null", column=column, row_condition=Column("status") != "ok",
                     notes="Every statistic is null unless the status is ok.")
              for column in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value", "p_value_adjusted")),
            *(in_set(column, [0], row_condition=Column("status") == "no_units",
                     notes="No usable unit in either arm.")
              for column in ("n_exposed", "n_unexposed")),
            *(between(column, min_value=_exposure_contrasts.MIN_SHARE_UNITS, row_condition=Column("status") == "ok",
                      notes="An estimated contrast has units in both arms.")
              for column in ("n_exposed", "n_unexposed")),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_agent_scorecards",
        expectations=(
            *privacy(),
            has_columns(*_scorecards.COLUMNS),
            expect("expect_compound_columns_to_be_unique", column_list=["agent_id", "month_start", "metric"]),
            *(not_null(column) for column in ("agent_id", "month_start", "metric", "unit_counted", "n_observations",
                                              "n_successes", "effective_sample_size", "prior_source",
                                              "prior_status", "n_interactions", "n_reviews", "n_respondents",
                                              "status")),
            in_set("status", list(_scorecards.STATUSES)),
            in_set("unit_counted", list(SCORECARD_METRICS_BY_UNIT)),
            in_set("metric", [m for metrics in SCORECARD_METRICS_BY_UNIT.values() for m in metrics]),
            *(in_set("metric", list(metrics), row_condition=Column("unit_counted") == unit)
              for unit, metrics in SCORECARD_METRICS_BY_UNIT.items()),
            in_set("prior_source", ["team", "all_agents"]),
            in_set("prior_status", list(SCORECARD_PRIOR_STATUSES)),
            in_set("prior_status", ["ok"], row_condition=Column("prior_source") == "team",
                   notes="A team uses its own prior only when the fit is ok."),
            in_set("prior_status", [s for s in SCORECARD_PRIOR_STATUSES if s != "ok"],
                   row_condition=Column("prior_source") == "all_agents",
                   notes="A borrowed prior says why the team's own was not used."),
            in_set("prior_status", ["missing_group"], row_condition=Column("team").is_null(),
                   notes="An agent missing from the roster borrows the prior of all agents."),
            in_set("status", ["ok", "no_observations", "invalid_counts"],
                   row_condition=Column("prior_source") == "team",
                   notes="A fitted team prior is never fully pooled nor missing."),
            *non_negative("n_observations", "n_successes", "effective_sample_size", "n_interactions", "n_reviews",
                          "n_respondents"),
            *unit_interval("raw_rate", "estimate", "ci_lower", "ci_upper", "lower_bound", "shrinkage_weight",
                           "prior_mean"),
            ordered("n_observations", "n_successes", row_condition=Column("status") != "invalid_counts",
                    notes="Successes are among the units (status invalid_counts says otherwise)."),
            ordered("n_interactions", "n_reviews", notes="Reviews are of the agent's contacts that month."),
            ordered("n_interactions", "n_respondents", notes="Answered pulses are of the agent's contacts."),
            ordered("n_interactions", "n_observations", row_condition=Column("unit_counted") == "interactions"),
            ordered("n_respondents", "n_observations",
                    row_condition=Column("unit_counted").is_in(["respondents", "weighted_respondents"]),
                    notes="The weighted share counts the answered pulses that have a weight."),
            expect("expect_column_pair_values_to_be_equal", column_A="effective_sample_size", column_B="n_observations",
                   row_condition=Column("unit_counted") != "weighted_respondents",
                   notes="Only the weighted CSAT top-2 enters with Kish's effective sample size (at most "
                         "n_observations up to rounding of the weight sums, so not compared here)."),
            ci_ordered(notes="Credible intervals bracket a width of zero or more."),
            ordered("lower_bound", "ci_lower",
                    notes="The one-sided bound is a higher quantile than the interval's lower end. The estimate, a "
                          "mean, is not compared: an equal-tailed interval of a skewed posterior need not contain it "
                          "(a near-U-shaped prior with one contact puts the mean above the 97.5% quantile)."),
            ordered("ci_upper", "lower_bound"),
            *(not_null(column, row_condition=Column("status").is_in(list(SCORECARD_ESTIMATED)))
              for column in ("estimate", "ci_lower", "ci_upper", "lower_bound", "shrinkage_weight", "prior_mean")),
            *(expect("expect_column_values_to_be_null", column=column,
                     row_condition=Column("status").is_not_in(list(SCORECARD_ESTIMATED)),
                     notes="too_few_agents and invalid_counts have no estimate.")
              for column in ("estimate", "ci_lower", "ci_upper", "lower_bound", "shrinkage_weight")),
            not_null("raw_rate", row_condition=Column("status").is_in(["ok", "fully_pooled"])),
            expect("expect_column_values_to_be_null", column="raw_rate",
                   row_condition=Column("status") == "no_observations", notes="No units, no rate of its own."),
            *(in_set(column, [0], row_condition=Column("status") == "no_observations")
              for column in ("n_observations", "effective_sample_size")),
            between("n_observations", min_value=1, row_condition=Column("status").is_in(["ok", "fully_pooled"]),
                    notes="A row without units says no_observations."),
            in_set("shrinkage_weight", [0], row_condition=Column("status").is_in(list(SCORECARD_PRIOR_ONLY)),
                   notes="The estimate is the prior mean: the agent's own rate weighs nothing."),
            *(expect("expect_column_pair_values_to_be_equal", column_A=column_a, column_B=column_b,
                     row_condition=Column("status") == "fully_pooled",
                     notes="A point-mass prior: every agent sits at the prior mean, with an interval of width 0.")
              for column_a, column_b in (("estimate", "prior_mean"), ("ci_lower", "ci_upper"))),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_agent_ramp_curves",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["agent_group", "weeks_since_hire", "metric"]),
            *(not_null(column) for column in ("agent_group", "metric", "n_agents", "n_observations", "n_successes",
                                              "estimate", "status")),
            in_set("agent_group", ["new", "established"]),
            in_set("metric", list(RAMP_METRICS)),
            in_set("status", ["ok", "too_few_agents"]),
            not_null("weeks_since_hire", row_condition=Column("agent_group") == "new"),
            expect("expect_column_values_to_be_null", column="weeks_since_hire",
                   row_condition=Column("agent_group") == "established",
                   notes="The established level is one row per metric, past the ramp."),
            between("weeks_since_hire", min_value=0),
            between("n_agents", min_value=1),
            *non_negative("n_successes", "std_error"),
            ordered("n_observations", "n_agents", notes="Every agent counted has at least one contact in the row."),
            ordered("n_observations", "n_successes"),
            *unit_interval("estimate", "ci_lower", "ci_upper"),
            ci_ordered(),
            ordered("estimate", "ci_lower", notes="A normal interval around the pooled rate, clipped to [0, 1]."),
            ordered("ci_upper", "estimate"),
            *(not_null(column, row_condition=Column("status") == "ok") for column in ("std_error", "ci_lower",
                                                                                       "ci_upper")),
            *(expect("expect_column_values_to_be_null", column=column,
                     row_condition=Column("status") == "too_few_agents",
                     notes="Too few agents: the estimate without an interval.")
              for column in ("std_error", "ci_lower", "ci_upper")),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_agent_recognition",
        expectations=(
            *privacy(),
            has_columns(*_recognition.COLUMNS),
            *key("agent_id"),
            *(not_null(column) for column in ("window_starts_at", *RECOGNITION_COUNTS, "tough_moment_share",
                                              "raw_rate", "expected_rate", "estimate", "ci_lower", "ci_upper",
                                              "lower_bound", "excess_lower_bound", "is_recognised", "reason",
                                              "status")),
            in_set("status", list(_recognition.STATUSES)),
            expect("expect_column_unique_value_count_to_be_between", column="window_starts_at", max_value=1,
                   notes="One window for every agent."),
            between("n_interactions", min_value=1, notes="An agent is listed for a contact in the window."),
            *non_negative(*RECOGNITION_COUNTS),
            *unit_interval(*RECOGNITION_SHARES),
            *(between(column, min_value=-1, max_value=1, notes="Observed minus expected, per contact.")
              for column in ("excess_lower_bound", "team_excess")),
            between("prior_precision", min_value=0, strict_min=True,
                    notes="Pseudo-contacts: infinite when agents vary no more than chance, null when not fitted."),
            ci_ordered(notes="Credible intervals bracket a width of zero or more."),
            ordered("lower_bound", "ci_lower",
                    notes="The one-sided bound is a higher quantile than the interval's lower end (an equal-tailed "
                          "interval of a skewed posterior need not contain its mean: the estimate is not compared)."),
            ordered("ci_upper", "lower_bound"),
            *(not_null(column, row_condition=Column("n_respondents") > 0)
              for column in ("csat_top2_raw_rate", "csat_top2_expected_rate", "csat_top2_estimate")),
            *(expect("expect_column_values_to_be_null", column=column, row_condition=Column("n_respondents") == 0,
                     notes="No answered pulse, no CSAT top-2.")
              for column in ("csat_top2_raw_rate", "csat_top2_expected_rate", "csat_top2_estimate")),
            in_set("is_recognised", [True], row_condition=Column("status") == "recognised"),
            in_set("is_recognised", [False], row_condition=Column("status") != "recognised"),
            not_null("recognition_rank", row_condition=Column("status") == "recognised"),
            expect("expect_column_values_to_be_null", column="recognition_rank",
                   row_condition=Column("status") != "recognised", notes="Only recognised agents are ranked."),
            unique("recognition_rank"),
            between("recognition_rank", min_value=1),
            *(ordered("excess_lower_bound", "team_excess", or_equal=False, row_condition=Column("status") == status,
                      notes="Credibly above the team: the lower bound of the excess beats the team-mates' excess.")
              for status in ("recognised", "outcomes_did_not_move")),
            *(between("excess_lower_bound", min_value=0, strict_min=True,
                      row_condition=(Column("status") == status) & Column("team_excess").is_null(),
                      notes="An agent alone in the team is compared with an excess of 0.")
              for status in ("recognised", "outcomes_did_not_move")),
            ordered("team_excess", "excess_lower_bound", row_condition=Column("status") == "not_credibly_above_team"),
            between("excess_lower_bound", max_value=0,
                    row_condition=(Column("status") == "not_credibly_above_team") & Column("team_excess").is_null()),
            # The gate compares the observed share, not the posterior (empathy/stats/recognition.py): with few
            # answers per agent the fitted precision is often infinite and every posterior sits at its expectation.
            ordered("csat_top2_raw_rate", "csat_top2_expected_rate",
                    row_condition=Column("status") == "recognised",
                    notes="Recognised: the customers' observed CSAT top-2 share reaches its case-mix expectation."),
            ordered("csat_top2_expected_rate", "csat_top2_raw_rate", or_equal=False,
                    row_condition=Column("status") == "outcomes_did_not_move",
                    notes="Outcomes did not move: the observed share is below its expectation."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_reviewer_calibration",
        expectations=(
            *privacy(),
            has_columns(*_calibration.COLUMNS),
            expect("expect_compound_columns_to_be_unique", column_list=["reviewer_id", "month_start"]),
            *(not_null(column) for column in ("reviewer_id", "month_start", "n_reviews", "n_items", "n_interactions",
                                              "n_transcript_pairs", "is_drifting", "is_session_due", "status")),
            in_set("status", list(_calibration.STATUSES)),
            between("n_reviews", min_value=1),
            *non_negative("n_items", "n_interactions", "n_transcript_pairs", "leniency_std_error",
                          "kappa_vs_peers_std_error", "drift_std_error"),
            ordered("n_reviews", "n_items", notes="Shared items are among the reviewer's scores."),
            ordered("n_reviews", "n_interactions"),
            ordered("n_reviews", "n_transcript_pairs"),
            between("leniency", min_value=-4, max_value=4, notes="A difference of scores on the 1-5 scale."),
            between("kappa_vs_peers", min_value=-1, max_value=1,
                    notes="Linear weights: |i - j| is a metric, so the observed disagreement is at most twice the "
                          "chance one and the kappa at least -1."),
            between("kappa_vs_transcript", min_value=-1, max_value=1),
            ordered("leniency_ci_upper", "leniency", notes="A normal interval around the leniency."),
            ordered("leniency", "leniency_ci_lower"),
            not_null("leniency", row_condition=Column("n_items") > 0),
            *(expect("expect_column_values_to_be_null", column=column,
                     row_condition=Column("status") == "too_few_items",
                     notes="Too few shared items: no kappa, no drift.")
              for column in ("kappa_vs_peers", "kappa_vs_peers_std_error", "drift", "drift_std_error")),
            *(in_set(column, [False], row_condition=Column("status") == "too_few_items",
                     notes="A month too thin to judge is not judged.")
              for column in ("is_drifting", "is_session_due")),
            not_null("drift_std_error", row_condition=Column("drift").is_not_null()),
            expect("expect_column_values_to_be_null", column="drift_std_error",
                   row_condition=Column("drift").is_null()),
            not_null("drift", row_condition=Column("is_drifting") == True),  # noqa: E712
            in_set("is_session_due", [True], row_condition=Column("is_drifting") == True,  # noqa: E712
                   notes="Drifting makes a session due."),
            not_null("session_reason", row_condition=Column("is_session_due") == True),  # noqa: E712
            expect("expect_column_values_to_be_null", column="session_reason",
                   row_condition=Column("is_session_due") == False),  # noqa: E712
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_calibration_session_items",
        expectations=(
            *privacy(),
            has_columns(*_calibration.ITEM_COLUMNS),
            expect("expect_compound_columns_to_be_unique", column_list=["reviewer_id", "month_start", "item_rank"]),
            expect("expect_compound_columns_to_be_unique",
                   column_list=["reviewer_id", "month_start", "interaction_key", "behavior_code"],
                   notes="An item appears once in a session (duplicate ratings are collapsed)."),
            *(not_null(column) for column in _calibration.ITEM_COLUMNS),
            between("item_rank", min_value=1),
            in_set("behavior_code", ValuesOf("reference", "empathy_behaviors", "behavior_code")),
            in_set("score", QA_SCORES, notes="Scores are whole points (a duplicate rating's mean is rounded)."),
            between("others_mean_score", min_value=1, max_value=5),
            between("deviation", min_value=-4, max_value=4),
            between("n_other_reviewers", min_value=1, notes="A shared item has another reviewer."),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_coaching_moments",
        expectations=(
            *privacy(),
            expect("expect_compound_columns_to_be_unique", column_list=["agent_id", "moment_kind", "moment_rank"]),
            unique("interaction_key", notes="A contact went badly or well, never both."),
            *(not_null(column) for column in ("agent_id", "moment_kind", "moment_rank", "interaction_key",
                                              "started_at", "tough_moment_category", "behaviors_count",
                                              "is_churned_within_90_days", "severity")),
            in_set("moment_kind", ["missed_moment", "bright_spot"]),
            in_set("channel", ["voice", "chat", "email", "in_product"]),
            in_set("tough_moment_category",
                   ValuesOf("reference", "tough_moment_categories", "tough_moment_category"),
                   notes="Every row is a tough moment (never routine)."),
            between("moment_rank", min_value=1),
            between("behaviors_count", min_value=0),
            between("csat", min_value=1, max_value=5),
            between("severity", min_value=0, max_value=7,
                    notes="CSAT 1 and churn weigh 3 each, CSAT 2 weighs 2, a repeat contact 1."),
            matches("evidence_segments", EVIDENCE_SEGMENTS_REGEX,
                    notes="Evidence is behaviour:segment index positions, never text."),
            matches("missing_behaviors", BEHAVIOR_LIST_REGEX),
            not_null("missing_behaviors", row_condition=Column("moment_kind") == "missed_moment",
                     notes="A missed moment misses a behaviour."),
            between("severity", min_value=1, row_condition=Column("moment_kind") == "missed_moment",
                    notes="A missed moment had a poor outcome (CSAT 1-2, a repeat contact or churn)."),
            in_set("severity", [0], row_condition=Column("moment_kind") == "bright_spot"),
            not_null("csat", row_condition=Column("moment_kind") == "bright_spot"),
            in_set("csat", [4, 5], row_condition=Column("moment_kind") == "bright_spot",
                   notes="A bright spot: CSAT 4-5, no repeat contact, no churn."),
            not_null("has_repeat_contact", row_condition=Column("moment_kind") == "bright_spot"),
            *(in_set(column, [False], row_condition=Column("moment_kind") == "bright_spot")
              for column in ("has_repeat_contact", "is_churned_within_90_days")),
        ),
    ),
    SuiteSpec(
        schema="marts",
        table="mart_product_policy_signals",
        expectations=(
            *privacy(),
            has_columns(*_product_signals.COLUMNS),
            expect("expect_compound_columns_to_be_unique", column_list=["dimension", "segment_value", "outcome"]),
            *(not_null(column) for column in ("dimension", "segment_value", "outcome", "n_interactions",
                                              "n_observations", "n_successes", "n_customers_affected",
                                              "mrr_affected", "is_not_recovered_by_empathy", "status")),
            in_set("dimension", list(SIGNAL_DIMENSIONS)),
            in_set("outcome", list(_product_signals.WORSE_WHEN)),
            in_set("status", list(_product_signals.STATUSES)),
            *non_negative("n_interactions", "n_observations", "n_successes", "mrr_affected", "std_error"),
            between("n_customers_affected", min_value=1,
                    notes="A segment exists because a customer's contact is in it."),
            ordered("n_interactions", "n_observations", notes="Contacts with the outcome observed are among them."),
            ordered("n_observations", "n_successes"),
            *unit_interval("segment_share", "rest_share", "p_value", "p_value_adjusted"),
            between("estimate", min_value=-1, max_value=1, notes="A difference of two shares."),
            ci_ordered(),
            ordered("estimate", "ci_lower", notes="A normal interval around the difference."),
            ordered("ci_upper", "estimate"),
            ordered("p_value_adjusted", "p_value", notes="Adjusting for many comparisons never lowers a p-value."),
            expect("expect_column_values_to_be_null", column="segment_share",
                   row_condition=Column("n_observations") == 0),
            between("n_observations", min_value=1, row_condition=Column("status") == "ok"),
            *(not_null(column, row_condition=Column("status") == "ok")
              for column in ("segment_share", "rest_share", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
                             "p_value_adjusted")),
            *(expect("expect_column_values_to_be_null", column=column, row_condition=Column("status") != "ok",
                     notes="A row that says why it was not tested has no test.")
              for column in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value", "p_value_adjusted")),
            in_set("is_not_recovered_by_empathy", [False], row_condition=Column("status") != "ok"),
            in_set("status", ["ok"], row_condition=Column("is_not_recovered_by_empathy") == True),  # noqa: E712
            between("p_value_adjusted", max_value=_product_signals.ALPHA, strict_max=True,
                    row_condition=Column("is_not_recovered_by_empathy") == True,  # noqa: E712
                    notes="Flagged on a Holm-adjusted p-value below 0.05."),
            *(between("estimate", **({"max_value": 0, "strict_max": True} if worse == "lower"
                                     else {"min_value": 0, "strict_min": True}),
                      row_condition=(Column("is_not_recovered_by_empathy") == True)  # noqa: E712
                      & (Column("outcome") == outcome),
                      notes="Flagged only where the segment is worse (CSAT top-2 lower, churn higher).")
              for outcome, worse in _product_signals.WORSE_WHEN.items()),
            not_null("priority_rank", row_condition=Column("is_not_recovered_by_empathy") == True),  # noqa: E712
            expect("expect_column_values_to_be_null", column="priority_rank",
                   row_condition=Column("is_not_recovered_by_empathy") == False,  # noqa: E712
                   notes="Only flagged segments are ranked."),
            unique("priority_rank"),
            between("priority_rank", min_value=1),
        ),
    ),
    SuiteSpec(
        schema="restricted",
        table="restricted_open_text_answers",
        expectations=(
            *key("response_id"),
            matches("customer_key", SHA256_HEX),
            not_null("answer_text_redacted"),
            expect("expect_column_values_to_not_match_regex", column="answer_text_redacted",
                   regex=r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
                   notes="Redacted in staging: no e-mail address survives."),
            expect("expect_column_values_to_not_match_regex", column="answer_text_redacted",
                   regex=r"(\+\d{10,15}\b)|(\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b)",
                   notes="Redacted in staging: no phone number survives."),
            expect("expect_column_values_to_not_match_regex", column="answer_text_redacted",
                   regex=r"\b(?:\d[ -]?){13,16}\b", notes="Redacted in staging: no card number survives."),
        ),
    ),
)
