"""Tests of the GX validation step (``python -m empathy.checks.validate``) on small hand-written DuckDB files."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import yaml

from empathy import outreach
from empathy.checks import expectations, validate
from empathy.checks.expectations import SUITES, RAW_TABLE_COUNT, SuiteSpec, expect
from empathy.stats import driver_analysis, exposure_contrasts, service_recovery

REPO_ROOT = Path(__file__).resolve().parents[2]


def _key(n: int) -> str:
    return hashlib.sha256(f"customer-{n}".encode()).hexdigest()


GOOD_SQL = f"""
create schema marts;
create schema audit;
create schema reference;
create table reference.empathy_behaviors as
select * from (values ('acknowledge'), ('name_emotion'), ('clarify_need'), ('offer_options'), ('close_loop'))
    as t(behavior_code);
create table reference.tough_moment_categories as
select * from (values ('escalation'), ('delayed_shipment'), ('billing_correction'), ('policy_exception'))
    as t(tough_moment_category);

create table marts.fct_interactions as
select * from (values
    ('helpdesk:1', 'helpdesk', '1', '{_key(1)}', 'a1', 'voice', 'billing', 'core', 'refund', 'escalation', true, true,
     timestamp '2024-01-01 10:00:00', timestamp '2024-01-01 10:00:30', timestamp '2024-01-01 10:10:00',
     30, 600, true, true),
    ('helpdesk:2', 'helpdesk', '2', '{_key(2)}', 'a2', 'chat', 'tech', 'core', 'bug', 'routine', false, false,
     timestamp '2024-01-02 10:00:00', null, null, null, null, null, false),
    ('chat:2', 'chat', '2', '{_key(1)}', 'a1', 'in_product', null, null, null, 'policy_exception', true, false,
     timestamp '2024-01-03 10:00:00', timestamp '2024-01-03 10:00:05', timestamp '2024-01-03 10:05:00',
     5, 300, false, true)
) as t(interaction_key, source_system, interaction_id, customer_key, agent_id, channel, queue, product,
       contact_reason, tough_moment_category, is_tough_moment, is_escalated, started_at, first_agent_response_at,
       ended_at, seconds_to_first_response, handle_time_seconds, is_resolved, is_transcript_usable);

create table marts.dim_customers as
select * from (values
    ('{_key(1)}', timestamp '2023-01-01 00:00:00', 'pro', 'smb', 'emea', 2, 400, 'active', 49.0, null, null),
    ('{_key(2)}', null, null, null, null, 0, null, 'no_subscription', null, null, null),
    ('{_key(3)}', timestamp '2022-06-01 00:00:00', 'basic', 'consumer', 'amer', 1, 700, 'churned', 0.0,
     timestamp '2023-06-01 00:00:00', true)
) as t(customer_key, signup_at, plan, segment, region, accounts_count, tenure_days, subscription_status,
       current_mrr, churned_at, is_voluntary_churn);

create table marts.dim_agents as
select * from (values
    ('a1', 'tier1', 'lisbon', 's1', date '2020-01-01', 1500, false),
    ('a2', 'tier2', null, null, null, null, true)
) as t(agent_id, team, site, supervisor_id, hired_at, tenure_days, is_new_agent);

create table audit.audit_row_reconciliation as
select
    'raw_table_' || i as table_name,
    'source_' || (i % 3) as source_name,
    cast(10 + i as bigint) as delivered_rows,
    cast(8 + i as bigint) as kept_rows,
    cast(1 as bigint) as superseded_rows,
    cast(1 as bigint) as excluded_for_consent_rows,
    cast(0 as bigint) as quarantined_rows,
    cast(10 + i as bigint) as accounted_rows,
    true as is_balanced
from range({RAW_TABLE_COUNT}) as r(i);

create table audit.audit_consent as
select * from (values
    ('customers_excluded_analytics_revoked', 2, 'Resolved customers whose consent is revoked.'),
    ('interactions_excluded_analytics_revoked', 5, 'Interactions of those customers.')
) as t(metric, metric_value, metric_description);

create table marts.fct_interaction_behaviors as
select * from (values
    ('helpdesk:1', 'acknowledge', 'transcript', 3, 12000, 4.5),
    ('helpdesk:1', 'close_loop', 'absent', null, null, null),
    ('helpdesk:2', 'acknowledge', 'not_observed', null, null, null)
) as t(interaction_key, behavior_code, evidence_source, first_segment_index, first_offset_ms, qa_mean_score);

create table marts.fct_survey_responses as
select * from (values
    ('inv1', '{_key(1)}', 0.6, 5, 6, 7, 5, null, null),
    ('inv2', '{_key(2)}', 0.5, null, null, null, null, 9, 'promoter')
) as t(invitation_id, customer_key, selection_probability, csat, felt_understood, acknowledged_situation,
       clear_next_steps, nps, nps_category);

create table marts.mart_interaction_outcomes as
select * from (values
    ('helpdesk:1', 4, 3, 12.0, 5, 9, 20),
    ('helpdesk:2', null, null, null, null, null, null)
) as t(interaction_key, empathy_score, behaviors_count, seconds_to_first_acknowledgment, csat, next_nps,
       days_to_next_nps);

create table marts.mart_behavior_effects as
select * from (values
    ('acknowledge', 'csat_top2', null, 1.0, 5.0, 0.01, 0.05, 'ok'),
    ('acknowledge', 'nps', null, null, null, null, null, 'too_few_interactions')
) as t(behavior_code, outcome, outcome_window_days, ci_lower, ci_upper, p_value, p_value_adjusted, status);

create table marts.mart_rater_agreement as
select * from (values
    ('behavior', 'percent_agreement', 0.8, 'ok'),
    ('reviewer', 'leniency', -0.4, 'ok'),
    ('reviewer_pair', 'cohen_kappa_linear', null, 'too_few_items')
) as t(grain, metric, estimate, status);

create table marts.fct_csat_pulse_weights as
select * from (values
    ('inv1', 0.6, 1.6667, 3.2, 3.0, 3.0),
    ('inv3', 0.15, 6.6667, 12.5, 13.1, 13.1)
) as t(invitation_id, selection_probability, design_weight, nonresponse_weight, raked_weight, final_weight);

create table marts.mart_survey_weight_diagnostics as
select * from (values
    ('weights', 'overall', 'final_weight', 1.4, 3.0, null, null, 'ok'),
    ('margin', 'overall', null, null, null, 0.0, null, 'ok'),
    ('margin', 'overall', null, null, null, 0.2, null, 'not_raked'),
    ('smd', 'overall', null, null, null, null, null, 'ok'),
    ('response_rate', 'wave=2026-Q1', null, null, null, null, 0.31, 'ok')
) as t(diagnostic, scope, weight_stage, kish_design_effect, design_effect_ceiling, share_difference, response_rate,
       status);

create table marts.fct_csat_pulse_replicate_weights as
select * from (values ('inv1', 1, 3.1), ('inv1', 2, 0.0), ('inv3', 1, 12.9), ('inv3', 2, 13.4))
    as t(invitation_id, replicate_id, replicate_weight);

create table marts.fct_relationship_nps_replicate_weights as
select * from (values ('inv-1', 1, 2.5), ('inv-2', 1, 0.0)) as t(invitation_id, replicate_id, replicate_weight);

create table marts.mart_csat_weighted as
select * from (values
    ('csat_top2_share', 'overall', 'all', 0.57, 0.01, 0.55, 0.59, 'ok'),
    ('csat_mean', 'overall', 'all', 3.6, 0.04, 3.5, 3.7, 'ok'),
    ('csat_mean', 'period', 'all', null, null, null, null, 'not_estimable: a single respondent')
) as t(metric, group_by, group_value, estimate, std_error, ci_lower, ci_upper, status);

create table marts.mart_nps_weighted as
select * from (values
    ('nps', 'overall', 'all', -20.0, 3.0, 2.8, -26.1, -13.9, 'delete_a_group_jackknife', 'ok'),
    ('promoter_share', 'overall', 'all', 0.2, 0.02, 0.02, 0.16, 0.24, 'delete_a_group_jackknife', 'ok')
) as t(metric, group_by, group_value, estimate, std_error, taylor_std_error, ci_lower, ci_upper, variance_method,
       status);

create table marts.mart_survival_curves as
select * from (values (0.0, 1.0, 1.0, 1.0, 0.0), (10.0, 0.9, 0.85, 0.94, -0.1))
    as t(time_days, estimate, ci_lower, ci_upper, estimate_change);

create table marts.mart_churn_hazard as
select * from (values ('x', 0.7, 0.6, 0.82, 'ok')) as t(covariate, estimate, ci_lower, ci_upper, status);

create table marts.mart_cohort_retention as
select * from (values ('2025-01', 0, 10, 10, 1.0), ('2025-01', 1, 9, 8, 0.889))
    as t(cohort, months_since_cohort_start, n_customers_observable, n_customers_retained, retention_rate);

create table marts.mart_survey_item_order_effects as
select * from (values ('csat', 1, 40), ('csat', 2, 38)) as t(item_code, item_position, n_answers);

create table marts.fct_relationship_nps_weights as
select * from (values
    ('inv-1', '{_key(1)}', 9, 'promoter', 0.5, 2.0, 0.8, 2.5, 2.4, 2.4),
    ('inv-2', '{_key(2)}', 3, 'detractor', 0.25, 4.0, 0.6, 6.7, 4.8, 4.8)
) as t(invitation_id, customer_key, nps, nps_category, selection_probability, design_weight, response_propensity,
       nonresponse_weight, raked_weight, final_weight);

create table marts.mart_survival_tests as
select * from (values
    ('all', 'all', 'acknowledged_within_30s', 365.0, 300, 40, 330.0, 310.0, 350.0, 0.04, 'ok'),
    ('all', 'all', 'not_acknowledged_within_30s', 365.0, 900, 200, 305.0, 298.0, 312.0, 0.04, 'ok')
) as t(cohort_definition, cohort, exposure_group, rmst_horizon_days, n_customers, n_events, rmst_days,
       rmst_ci_lower, rmst_ci_upper, logrank_p_value, status);

create table marts.mart_churn_hazard_time_varying as
select * from (values ('empathetic_contacts_so_far', 0.9, 0.8, 1.01, 0.05, 0.08, 1800, 17000, 'ok'))
    as t(covariate, estimate, ci_lower, ci_upper, std_error, p_value, n_customers, n_episodes, status);

create table marts.mart_lagged_outcomes as
select * from (values
    ('next_month_nps', 'acknowledged_within_30s', 150, -30.0, 6.0, -41.8, -18.2, 'ok'),
    ('next_quarter_renewal_rate', 'acknowledged_within_30s', 2900, 0.94, 0.005, 0.93, 0.95, 'ok')
) as t(outcome, exposure_group, n_interactions, estimate, std_error, ci_lower, ci_upper, status);

create table marts.mart_detection_quality as
select * from (values
    ('acknowledge', 'lexicon', 'all_reviewed', 'overall', null, 'precision', 0.9, 0.02, 0.85, 0.94, 400, 150, 140, 'ok'),
    ('acknowledge', 'combined', 'grouped_cv_by_agent', 'overall', null, 'cohen_kappa', 0.7, 0.04, 0.62, 0.78, 400, 150,
     160, 'ok'),
    ('acknowledge', 'model', 'grouped_cv_by_agent', 'channel', 'chat', 'recall', null, null, null, null, 5, 2, 2,
     'too_few_interactions')
) as t(behavior_code, detector, evaluation, group_by, group_value, metric, estimate, std_error, ci_lower, ci_upper,
       n_interactions, n_positive_verdicts, n_detected, status);

create table marts.mart_detector_terms as
select * from (values
    ('acknowledge', 1, 'sorry', 1.8, 400, 150, 'ok'),
    ('acknowledge', 2, 'apologies', 1.5, 400, 150, 'ok')
) as t(behavior_code, term_rank, term, coefficient, n_interactions, n_positive_verdicts, status);

create table marts.mart_lexicon_candidate_phrases as
select * from (values
    ('acknowledge', 1, 'on us', 12, 9, 1, 0.3, 0.01, 20.0, 'ok'),
    ('acknowledge', null, null, null, null, null, null, null, null, 'no_missed_interactions')
) as t(behavior_code, phrase_rank, phrase, n_interactions_missed, n_customers_missed, n_interactions_negative,
       share_of_missed, share_of_negative, lift, status);

create table marts.fct_experiment_interactions as
select * from (values
    ('exp_a', 'i-1', '{_key(1)}', 'window', 'treatment', true, 1.8, 2.4),
    ('exp_a', 'i-2', '{_key(2)}', 'pre', null, false, null, 0.0)
) as t(experiment_id, interaction_key, customer_key, period, itt_arm, is_in_assigned_unit, csat_pulse_weight,
       cost_to_serve);

create table marts.fct_experiment_customers as
select * from (values ('exp_a', 'window', '{_key(1)}', 'treatment', 9, 100))
    as t(experiment_id, period, customer_key, itt_arm, nps, nps_value);

create table marts.mart_experiment_health as
select * from (values
    ('exp_a', 'sample_ratio', 'srm_units', 0.5, 0.5, 0.0, 1.0, 'ok'),
    ('exp_a', 'balance', 'balance:tough_moment_share_pre', 0.3, 0.0, null, null, 'warn')
) as t(experiment_id, check_group, check_name, estimate, expected, statistic, p_value, status);

create table marts.mart_experiment_results as
select * from (values
    ('exp_a', 'csat_top2_box', 'ok', 0.05, 0.02, 0.01, 0.09, 0.01, 0.01, 0.02, 0.03, 0.02, 0.02, 0.03, 12, 6, 400, 200),
    ('exp_a', 'nps', 'too_few_units', null, null, null, null, null, null, null, null, null, null, null, 2, 1, 40, 20)
) as t(experiment_id, metric_code, status, estimate, std_error, ci_lower, ci_upper, p_value, p_value_adjusted,
       p_value_adjusted_bh, p_value_small_cluster, p_value_randomization, p_value_cuped, std_error_small_cluster,
       n_units, n_units_treated, n_observations, n_observations_treated);

create table marts.fct_team_month_outcomes as
select * from (values
    ('team_a', date '2025-05-01', 24305, date '2025-06-01', 24306, false, 120, 12,
     0.60, 0.30, 0.45, 0.50, 0.48, 0.55, 0.58, 0.25, 540.0, 0.40),
    ('team_a', date '2025-06-01', 24306, date '2025-06-01', 24306, true, 130, 14,
     0.72, 0.36, 0.52, 0.57, 0.50, 0.61, 0.64, 0.22, 555.5, 0.41),
    ('team_b', date '2025-05-01', 24305, null, null, false, 0, 0,
     null, null, null, null, null, null, null, null, null, null)
) as t(team, month_start, period_index, adoption_month, adoption_period_index, is_adopted, n_interactions,
       n_respondents, acknowledged_share, acknowledged_within_30s_share, named_emotion_share, clarified_need_share,
       offered_options_share, closed_loop_share, csat_top2_share, repeat_contact_share, handle_time_seconds_mean,
       tough_moment_share);

create table marts.mart_did_group_time as
select * from (values
    ('csat_top2_share', 'never_treated', 24306, 24305, 24304, -1, 0.01, 0.02, -0.03, 0.05, 0.62, 3, 4, 'ok'),
    ('csat_top2_share', 'never_treated', 24306, 24306, 24305, 0, 0.05, 0.02, 0.01, 0.09, 0.01, 3, 4, 'ok'),
    ('csat_top2_share', 'not_yet_treated', 24306, 24307, 24305, 1, 0.06, 0.03, 0.0, 0.12, 0.05, 3, 2,
     'few_control_teams'),
    ('csat_top2_share', 'not_yet_treated', 24306, 24308, 24305, 2, null, null, null, null, null, 3, 0,
     'no_control_units'),
    ('repeat_contact_share', null, null, null, null, null, null, null, null, null, null, null, null, 'too_few_teams')
) as t(outcome, control_group, cohort_period_index, period_index, base_period_index, event_time_months, estimate,
       std_error, ci_lower, ci_upper, p_value, n_teams_cohort, n_teams_control, status);

create table marts.mart_did_event_study as
select * from (values
    ('csat_top2_share', 'never_treated', -1, 0.01, 0.02, -0.03, 0.05, 0.62, 1, 6, 4, 0, 'ok'),
    ('csat_top2_share', 'never_treated', 0, 0.05, 0.02, 0.01, 0.09, 0.01, 2, 6, 4, 0, 'ok'),
    ('repeat_contact_share', null, null, null, null, null, null, null, null, null, null, null, 'no_treated_teams')
) as t(outcome, control_group, event_time_months, estimate, std_error, ci_lower, ci_upper, p_value, n_cells,
       n_teams_treated, n_teams_control, n_teams_left_out, status);

create table marts.mart_did_summary as
select * from (values
    ('csat_top2_share', 'never_treated', 'callaway_santanna', 'simple', 'overall', 0.05, 0.02, 0.01, 0.09, 0.01,
     null, null, null, 6, 6, 4, 0, 'ok'),
    ('csat_top2_share', 'never_treated', 'callaway_santanna', 'group', '24306', 0.06, 0.02, 0.02, 0.10, 0.003,
     null, null, null, 3, 6, 4, 0, 'ok'),
    ('csat_top2_share', 'never_treated', 'callaway_santanna', 'pretrend_wald', 'all_pre_periods', null, null, null,
     null, 0.4, 5.2, 5, null, null, 6, 4, 0, 'ok'),
    ('csat_top2_share', null, 'twfe', 'twfe', 'overall', 0.07, 0.03, 0.01, 0.13, 0.02, null, null, null, null, 6, 4,
     0, 'ok'),
    ('csat_top2_share', null, 'goodman_bacon', 'bacon_weight', 'treated_vs_never_treated', 0.06, null, null, null,
     null, null, null, 0.6, 3, 6, 4, 0, 'ok'),
    ('csat_top2_share', null, 'goodman_bacon', 'bacon_weight', 'earlier_vs_later_treated', 0.09, null, null, null,
     null, null, null, 0.4, 2, 6, 4, 0, 'ok'),
    ('repeat_contact_share', null, 'callaway_santanna', 'simple', 'overall', null, null, null, null, null, null, null,
     null, null, 0, 0, 3, 'too_few_teams')
) as t(outcome, control_group, estimator, aggregation, label, estimate, std_error, ci_lower, ci_upper, p_value,
       statistic, degrees_of_freedom, weight, n_cells, n_teams_treated, n_teams_control, n_teams_left_out, status);

create table marts.mart_did_robustness as
select * from (values
    ('csat_top2_share', 'pretrend_wald', 'all_pre_periods', null, null, null, null, 0.35, 6.1, 5, 6, 12, 'passed',
     '{{"small_sample": "Hotelling F"}}'),
    ('csat_top2_share', 'in_time_placebo', 'shift_3_months', 0.004, 0.01, -0.016, 0.024, 0.69, null, null, 6, 12,
     'passed', '{{"shift_months": 3}}'),
    ('csat_top2_share', 'leave_one_team_out', 'team_a', 0.05, 0.02, 0.01, 0.09, 0.01, null, null, 6, 12, 'estimated',
     null),
    ('csat_top2_share', 'leave_one_team_out_range', 'all_treated_teams', 0.05, 0.02, 0.03, 0.07, 0.01, null, null, 6,
     12, 'passed', '{{"min": 0.03, "max": 0.07}}'),
    ('repeat_contact_share', 'all', 'all', null, null, null, null, null, null, null, null, null, 'too_few_teams', null)
) as t(outcome, check_name, label, estimate, std_error, ci_lower, ci_upper, p_value, statistic, degrees_of_freedom,
       n_teams_treated, n_teams_control, status, detail);

create table marts.mart_synthetic_control as
select * from (values
    ('csat_top2_share', 'team_a', 24306, 6, 0.08, 0.02, 0.09, 4.5, 1, 7, 0.142857, 0.004, 3, 'ok', '{{"notes": []}}'),
    ('repeat_contact_share', 'team_a', 24306, 0, null, null, null, null, null, 0, null, null, null, 'no_donors',
     '{{"notes": ["no donor unit with complete outcome and predictor data"]}}')
) as t(outcome, treated_team, treatment_period_index, n_teams_donor, estimate, pre_rmspe, post_rmspe, rmspe_ratio,
       placebo_rank, n_teams_placebo, p_value, in_time_placebo_estimate, in_time_placebo_months, status, detail);

create table marts.mart_synthetic_control_weights as
select * from (values
    ('csat_top2_share', 'team_a', 'team_c', 0.7),
    ('csat_top2_share', 'team_a', 'team_d', 0.3),
    ('csat_top2_share', 'team_a', 'team_e', 0.0)
) as t(outcome, treated_team, donor_team, weight);

create table marts.mart_synthetic_control_path as
select * from (values
    ('csat_top2_share', 'team_a', 24305, 0.50, 0.49, 0.01, false),
    ('csat_top2_share', 'team_a', 24306, 0.60, 0.52, 0.08, true)
) as t(outcome, treated_team, period_index, treated_value, synthetic_value, gap, is_post);

create table marts.mart_iv_estimates as
select * from (values
    ('is_csat_top2', 'policies', 'month, channel', '2sls', 'behaviors_count', 0.30, 0.19, -0.08, 0.68, 0.12, 1185, 50,
     'clustered', 5.3, 'robust_wald_f', 0.005, true, 'wooldridge_score_clustered', 0.01, 0.91,
     '{{"behaviors_count": {{"policy__pol_a": 0.2, "policy__pol_b": 0.1}}}}', 'ok'),
    ('is_csat_top2', 'policies', 'month, channel', 'ols', 'behaviors_count', 0.03, 0.01, 0.01, 0.05, 0.004, 1185, 50,
     'clustered', null, null, null, null, null, null, null, null, 'ok'),
    ('is_csat_top2', 'pol_a', 'month, channel', '2sls', 'behaviors_count', 0.28, 0.24, -0.20, 0.76, 0.25, 1185, 50,
     'clustered', 31.8, 'robust_wald_f', 1e-8, false, null, null, null,
     '{{"behaviors_count": {{"policy__pol_a": 0.2}}}}', 'ok'),
    ('is_csat_top2', 'supervisor_rotation', 'agent, month, channel', '2sls', 'behaviors_count', 0.25, 0.10, 0.05,
     0.45, 0.02, 1185, 50, 'clustered', 12.5, 'robust_wald_f', 0.001, false, null, null, null,
     '{{"behaviors_count": {{"supervisor_leave_out": 0.8}}}}', 'ok'),
    ('has_repeat_contact', 'pol_a', 'month, channel', '2sls', 'behaviors_count', null, null, null, null, null, 12,
     null, 'clustered', null, null, null, null, null, null, null, null, 'too_few_observations')
) as t(outcome, instrument_set, fixed_effects, estimator, variable, estimate, std_error, ci_lower, ci_upper, p_value,
       n_observations, n_clusters, covariance, first_stage_f, first_stage_f_kind, first_stage_f_p_value,
       is_weak_instrument, overid_test, overid_statistic, overid_p_value, first_stage_coefficients, status);

create table marts.mart_churn_risk_model_evaluation as
select * from (values
    ('full', timestamp '2026-01-05', 'concordance', 8, 0.68, 0.02, 0.64, 0.72, 1400, 12, 1, 'ok'),
    ('usage_only', timestamp '2026-01-05', 'concordance', 8, 0.62, 0.02, 0.58, 0.66, 1400, 12, 1, 'ok'),
    ('difference', timestamp '2026-01-05', 'concordance', 8, 0.06, 0.01, 0.04, 0.08, 1400, 12, 1, 'ok'),
    ('full', timestamp '2026-02-02', 'auc_at_horizon', 8, 0.55, 0.2, 0.2, 0.9, 1380, 3, 1, 'too_few_test_events'),
    ('full', timestamp '2026-03-02', 'auc_at_horizon', 8, null, null, null, null, 1370, 6, 1, 'not_estimable'),
    ('full', null, 'brier_at_horizon', 8, 0.05, 0.004, 0.04, 0.06, 2100, 40, 4, 'ok'),
    ('usage_only', null, 'integrated_brier', 8, 0.03, 0.002, 0.026, 0.034, 2100, 40, 4, 'ok'),
    ('difference', null, 'integrated_brier', 8, -0.001, 0.0005, -0.002, 0.0, 2100, 40, 4, 'ok')
) as t(model, landmark_week, metric, horizon_weeks, estimate, std_error, ci_lower, ci_upper, n_customers, n_events,
       n_landmarks, status);

create table marts.mart_churn_risk_calibration as
select * from (values
    ('full', 1, 8, 300, 4, 0.005, 0.015, 0.010, 0.013, 0.006, 0.005, 0.03, 'ok'),
    ('full', 2, 8, 300, 0, 0.015, 0.02, 0.017, 0.0, 0.0, 0.0, 0.0, 'no_events; 3 unusable rows dropped'),
    ('full', 8, 8, 12, 0, 0.06, 0.08, 0.07, null, null, null, null, 'beyond_follow_up; 3 unusable rows dropped'),
    ('full', 9, 8, 0, 0, null, null, null, null, null, null, null, 'no_customers; 3 unusable rows dropped'),
    ('full', 10, 8, 290, 40, 0.1, 0.5, 0.2, 0.15, 0.02, 0.11, 0.19, 'ok'),
    ('usage_only', null, 8, null, null, null, null, null, null, null, null, null, 'model_not_fitted_or_no_landmark')
) as t(model, risk_decile, horizon_weeks, n_customer_landmarks, n_events, min_predicted, max_predicted,
       mean_predicted, observed, std_error, ci_lower, ci_upper, status);

create table marts.mart_churn_risk_coefficients as
select * from (values
    ('full', 'const', -5.1, 0.05, -5.2, -5.0, 0.0, null, null, 52000, 480,
     'ok; constant in training, left out: plan__enterprise'),
    ('full', 'active_days_ratio', -0.4, 0.05, -0.5, -0.3, 1e-15, 0.95, 0.4, 52000, 480,
     'ok; constant in training, left out: plan__enterprise'),
    ('full', 'has_usage_dip', 0.3, 0.06, 0.18, 0.42, 5e-7, 0.1, 0.3, 52000, 480,
     'ok; constant in training, left out: plan__enterprise'),
    ('usage_only', null, null, null, null, null, null, null, null, 52000, 6, 'too_few_training_events')
) as t(model, feature, estimate, std_error, ci_lower, ci_upper, p_value, feature_mean, feature_std_dev, n_weeks,
       n_events, status);

create table marts.mart_at_risk_alerts as
select * from (values
    ('{_key(1)}', timestamp '2026-01-05', 'alerted', true, false, 0.62, 1, 0.41, 40, 3,
     '{{"active_days_ratio": 0.81, "contacts_last_28_days": 0.3}}'),
    ('{_key(2)}', timestamp '2026-01-05', 'suppressed_contact_opt_out', false, false, 0.58, 2, 0.41, 40, 3,
     '{{"active_days_ratio": 0.7}}'),
    ('{_key(3)}', timestamp '2026-01-05', 'held_out', true, true, 0.55, 3, 0.41, 40, 3, '{{"has_usage_dip": 0.5}}'),
    ('{_key(4)}', timestamp '2026-01-05', 'suppressed_open_contact', false, false, 0.50, 4, 0.41, 40, 3, '{{}}'),
    ('{_key(5)}', timestamp '2026-01-05', 'suppressed_recent_alert', false, false, 0.47, 5, 0.41, 40, 3, '{{}}'),
    ('{_key(6)}', timestamp '2026-01-05', 'alerted', true, false, 0.41, 6, 0.41, 40, 3, '{{}}'),
    ('{_key(2)}', timestamp '2026-01-12', 'suppressed_contact_opt_out', false, false, 0.60, 1, null, 1, 0, '{{}}')
) as t(customer_key, week_start, alert_status, is_selected, is_held_out, risk_score, risk_rank, weekly_threshold,
       n_customers_at_risk, n_selected, top_signals);

create table marts.mart_alert_outcomes as
select * from (values
    ('contacts_in_window', 'Contacts in the window.', 90, 40, 35, 0.8, 0.9, -0.1, 0.2, -0.49, 0.29, 0.62, 'ok'),
    ('resolved_share_of_contacts', 'Share resolved.', 90, 20, 8, 0.7, 0.6, 0.1, 0.15, -0.19, 0.39, 0.5,
     'few_customers'),
    ('opted_out_of_contact', 'Opted out.', 90, 40, 35, 0.02, 0.0, 0.02, 0.02, -0.02, 0.06, 0.32, 'ok'),
    ('voluntary_churn_in_window', 'Churned.', 90, 1, 12, 0.0, 0.08, null, null, null, null, null,
     'too_few_alerted_customers'),
    ('mrr_change', 'Change in MRR.', 90, 40, 1, 3.5, -10.0, null, null, null, null, null,
     'too_few_held_out_customers')
) as t(outcome, description, outcome_window_days, n_customers_alerted, n_customers_held_out, mean_alerted,
       mean_held_out, estimate, std_error, ci_lower, ci_upper, p_value, status);

create table marts.mart_save_conversations as
select * from (values
    ('O1', '{_key(1)}', 'a1', timestamp '2026-01-05 10:10', 'empathy_close_loop', 'none', 0.0, false, false,
     'observed', true, true, true, 3, true, 'observed', false, 'observed', true, 'observed', true),
    ('O2', '{_key(2)}', 'a1', timestamp '2026-06-20 10:10', 'standard', 'credit', 25.0, true, true,
     'transcript_not_usable', null, null, null, null, null, 'window_open', null, 'window_open', null, 'not_yet_due',
     null)
) as t(offer_id, customer_key, agent_id, offered_at, save_script, offer_type, offer_amount, is_concession,
       is_accepted, closure_status, has_summarised_concern, has_confirmed_next_steps, has_closed_emotional_loop,
       closure_behaviors_count, is_saved, saved_status, has_callback, callback_status, is_renewed_at_next_renewal,
       renewal_status, is_recognition_worthy_save);

create table marts.mart_save_effects as
select * from (values
    ('effect', 'saved', 'closure_behaviors', null, null, 0.07, 0.017, 0.037, 0.103, 0.0001, 0.002, 0.10, 1435, 395,
     'ok'),
    ('effect', 'saved', 'save_script', 'empathy_close_loop', 'standard', null, null, null, null, null, null, 0.02,
     12, 3, 'too_few_offers'),
    ('cell', 'money_conceded_per_save', 'script_by_closure', 'standard | none', null, 158.6, 24.9, 109.9, 207.3,
     null, null, null, 253, 120, 'ok'),
    ('cell', 'saved', 'script_by_closure', 'standard | all_three', null, null, null, null, null, null, null, null,
     0, 0, 'empty_cell')
) as t(row_kind, outcome, comparison, group_value, reference_value, estimate, std_error, ci_lower, ci_upper, p_value,
       p_value_adjusted, naive_estimate, n_offers, n_agents, status);

create table marts.mart_save_team_scorecard as
select * from (values
    ('team_01', 56, 38, 10, 0.263, 0.150, 0.420, 1, 0.1, 0, 44, 1196.9, 77.0, 0.05, 0.14, 'ok'),
    ('team_02', 3, 0, 0, null, null, null, 0, null, 0, 1, 10.0, null, null, null, 'too_few_offers')
) as t(team, n_offers, n_offers_with_outcome, n_saves, save_rate, save_rate_ci_lower, save_rate_ci_upper,
       n_saves_without_concession, saves_without_concession_share, n_recognition_worthy_saves, n_concessions,
       money_conceded, money_conceded_per_save, full_closure_share, callback_rate, status);

create table marts.mart_empathy_economics as
select * from (values
    ('expected_revenue_per_customer', 'acknowledged_within_30s', 365, 1077.7, 17.4, 1043.6, 1111.8, 328.5, 99.8, 105.6,
     null, 331, 9, 'MRR held at the mean.', 'ok'),
    ('expected_revenue_per_customer', 'not_acknowledged_within_30s', 365, 1000.2, 11.9, 976.9, 1023.5, 304.9, 99.8,
     97.8, null, 915, 9, 'MRR held at the mean.', 'ok; 1 strata with one group only left out'),
    ('difference_per_customer', 'acknowledged_within_30s', 365, 77.5, 21.1, 36.2, 118.8, 23.6, 99.8, null, null,
     1246, 9, 'MRR held at the mean.', 'ok'),
    ('value_per_point_per_year', 'acknowledged_within_30s', 365, null, null, null, null, null, null, null, null,
     null, null, 'MRR held at the mean.', 'one_group_empty')
) as t(metric, exposure_group, horizon_days, estimate, std_error, ci_lower, ci_upper, rmst_days, mrr_assumed,
       group_mean_mrr, share_change, n_customers, n_strata, assumptions, status);

create table marts.mart_nps_drivers as
select * from (values
    ('nps', 'empathy_behavior', 'acknowledge_share', 'lmg', 0.036, 0.016, 0.015, 0.073, 0.32, 1, 0.113, 685, 426, 0.55,
     'ok'),
    ('nps', 'context', 'handle_time_seconds_mean', 'lmg', 0.077, 0.02, 0.04, 0.11, 0.68, 2, 0.113, 685, 426, 50134.8,
     'ok'),
    ('nps', 'context', 'had_tough_moment', 'lmg', 0.0, null, null, null, 0.0, null, 0.113, 685, 426, 0.0,
     'constant_driver'),
    ('is_promoter', 'empathy_behavior', 'acknowledge_share', 'relative_weights', null, null, null, null, null, null,
     null, 12, 3, 0.5, 'too_few_rows')
) as t(outcome, driver_kind, driver, method, estimate, std_error, ci_lower, ci_upper, share_of_r_squared, rank,
       r_squared, n_respondents, n_rows_dropped_missing, performance, status);

create table marts.mart_csat_drivers as
select * from (values
    ('csat', 'survey_item', 'felt_understood', 'lmg', 0.046, 0.015, 0.02, 0.079, 0.23, 1, 0.2, 913, 649, 4.57, 'ok'),
    ('csat', 'context', 'resolved_share', 'relative_weights', 0.011, 0.009, 0.002, 0.032, 0.057, 6, 0.2, 913, 649,
     0.69, 'ok'),
    ('is_csat_top2', 'empathy_behavior', 'close_loop_share', 'lmg', null, null, null, null, null, null, null, 913, 649,
     0.5, 'constant_outcome')
) as t(outcome, driver_kind, driver, method, estimate, std_error, ci_lower, ci_upper, share_of_r_squared, rank,
       r_squared, n_respondents, n_rows_dropped_missing, performance, status);

create table marts.mart_service_recovery as
select * from (values
    ('transition', 'all', 'empathetic_follow_up', 'detractor', null, null, 9, 8, 0.115, 0.529, null, null, null, null,
     null, null, null, null, 'ok'),
    ('transition', 'all', 'empathetic_follow_up', 'no_later_answer', null, null, 61, 59, 0.782, null, null, null, null,
     null, null, null, null, null, 'ok'),
    ('transition', 'nps_detractor', 'follow_up_not_observed', 'promoter', null, null, 0, 0, null, null, null, null,
     null, null, null, null, null, null, 'one_group_empty'),
    ('adjusted_effect', 'all', 'empathetic_follow_up', null, 'empathetic_vs_other_follow_up', 'promoter_next', 60, 51,
     null, null, -0.194, 0.071, -0.334, -0.055, 0.006, 0.045, null, null, 'ok'),
    ('adjusted_effect', 'nps_detractor', 'empathetic_follow_up', null, 'empathetic_vs_other_follow_up',
     'not_detractor_next', 26, 25, null, null, null, null, null, null, null, null, null, null, 'too_few_low_scores'),
    ('time_to_recovery', 'all', 'other_follow_up', null, null, 'recovered', 150, 144, null, null, 0.138, null, 0.086,
     0.218, null, null, 417.4, 180, 'ok'),
    ('time_to_recovery', 'all', 'empathetic_follow_up', null, null, 'recovered', 78, 72, null, null, 0.127, null, 0.061,
     0.253, null, null, null, 180, 'median_not_reached')
) as t(row_kind, low_score_kind, follow_up_group, next_nps_category, comparison, outcome, n_low_scores, n_customers,
       share_of_low_scores, share_of_later_answers, estimate, std_error, ci_lower, ci_upper, p_value, p_value_adjusted,
       median_days_to_recovery, horizon_days, status);

create table marts.mart_acknowledgment_contrasts as
select * from (values
    ('promoter_share_relative_change', 'overall', 'all', 0.38, 0.25, -0.035, 0.975, 0.078, 0.078, 0.224, 0.162, 341,
     286, 'ok'),
    ('promoter_share_relative_change', 'channel', 'voice', 0.99, 0.69, 0.011, 2.94, 0.047, 0.186, 0.198, 0.099, 145, 92,
     'ok'),
    ('promoter_share_relative_change', 'channel', 'unknown', null, null, null, null, null, null, null, null, 0, 0,
     'no_units'),
    ('handle_time_variance_ratio', 'overall', 'all', null, null, null, null, null, null, null, null, 3971, 9754,
     'not_pooled_across_channels'),
    ('handle_time_variance_ratio', 'channel', 'voice', 0.88, 0.032, 0.82, 0.947, 0.0008, 0.0024, 2309.3, 2622.6, 2194,
     3062, 'ok'),
    ('handle_time_variance_ratio', 'channel', 'email', null, null, null, null, null, null, null, 4578247000.0, 0, 3095,
     'one_arm_empty')
) as t(contrast, group_by, group_value, estimate, std_error, ci_lower, ci_upper, p_value, p_value_adjusted,
       value_exposed, value_unexposed, n_exposed, n_unexposed, status);

create table marts.mart_agent_scorecards as
select * from (values
    ('a1', 'tier1', timestamp '2026-01-01', 'empathetic_contact_rate', 'interactions', 40, 14, 40.0, 0.35, 0.33, 0.22,
     0.45, 0.24, 0.6, 0.3, 'team', 'ok', 42, 10, 12, 'ok'),
    ('a2', null, timestamp '2026-01-01', 'csat_top2_weighted_rate', 'weighted_respondents', 2, 1, 1.8, 0.55, null,
     null, null, null, null, 0.6, 'all_agents', 'missing_group', 3, 0, 2, 'too_few_agents'),
    ('a1', 'tier1', timestamp '2026-02-01', 'save_without_concession_rate', 'save_offers', 0, 0, 0.0, null, 0.2, 0.05,
     0.41, 0.07, 0.0, 0.2, 'all_agents', 'too_few_units', 30, 4, 5, 'no_observations'),
    ('a3', 'tier2', timestamp '2026-01-01', 'repeat_contact_rate', 'interactions', 12, 3, 12.0, 0.25, 0.28, 0.28, 0.28,
     0.28, 0.0, 0.28, 'all_agents', 'no_excess_variance', 15, 2, 3, 'fully_pooled')
) as t(agent_id, team, month_start, metric, unit_counted, n_observations, n_successes, effective_sample_size, raw_rate,
       estimate, ci_lower, ci_upper, lower_bound, shrinkage_weight, prior_mean, prior_source, prior_status,
       n_interactions, n_reviews, n_respondents, status);

create table marts.mart_agent_ramp_curves as
select * from (values
    ('new', 0, 'empathetic_contact_rate', 4, 60, 15, 0.25, 0.05, 0.152, 0.348, 'ok'),
    ('new', 1, 'empathetic_contact_rate', 2, 20, 7, 0.35, null, null, null, 'too_few_agents'),
    ('established', null, 'empathetic_contact_rate', 40, 3000, 1050, 0.35, 0.01, 0.3304, 0.3696, 'ok')
) as t(agent_group, weeks_since_hire, metric, n_agents, n_observations, n_successes, estimate, std_error, ci_lower,
       ci_upper, status);

create table marts.mart_agent_recognition as
select * from (values
    ('a1', 'tier1', timestamp '2025-08-01', 120, 30, 0.4, 0.5, 0.32, 0.46, 0.39, 0.53, 0.4, 0.08, 0.01, 0.8, 0.6, 0.72,
     0.2, 0.25, 0.23, 6, 0.5, 0.4, 0.42, 100, 0.05, 0.06, 0.058, 180.0, true, 1,
     'Empathetic on 50% of 120 contacts against 32% expected.', 'recognised'),
    ('a2', 'tier2', timestamp '2025-08-01', 60, 12, 0.3, 0.3, 0.33, 0.32, 0.25, 0.4, 0.26, -0.07, null, 0.5, 0.55, 0.54,
     0.3, 0.26, 0.27, 0, null, null, null, 50, 0.04, 0.06, 0.058, 180.0, false, null,
     'Empathetic on 30% of 60 contacts against 33% expected (no team-mates).', 'not_credibly_above_team'),
    ('a3', 'tier1', timestamp '2025-08-01', 45, 0, 0.2, 0.4, 0.33, 0.36, 0.28, 0.45, 0.29, -0.04, 0.03, null, null,
     null, 0.2, 0.26, 0.25, 0, null, null, null, 20, 0.0, 0.05, 0.05, 180.0, false, null,
     'Empathetic on 40% of 45 contacts against 33% expected.', 'too_few_respondents')
) as t(agent_id, team, window_starts_at, n_interactions, n_respondents, tough_moment_share, raw_rate, expected_rate,
       estimate, ci_lower, ci_upper, lower_bound, excess_lower_bound, team_excess, csat_top2_raw_rate,
       csat_top2_expected_rate, csat_top2_estimate, repeat_contact_raw_rate, repeat_contact_expected_rate,
       repeat_contact_estimate, n_nps_respondents, promoter_raw_rate, promoter_expected_rate, promoter_estimate,
       n_churn_observed, churn_90_days_raw_rate, churn_90_days_expected_rate, churn_90_days_estimate, prior_precision,
       is_recognised, recognition_rank, reason, status);

create table marts.mart_reviewer_calibration as
select * from (values
    ('r1', timestamp '2026-01-01', 40, 30, 9, 0.2, 0.1, 0.004, 0.396, 0.55, 0.08, 0.6, 38, null, null, false, false,
     null, 'ok'),
    ('r1', timestamp '2026-02-01', 36, 25, 8, 0.9, 0.12, 0.665, 1.135, 0.3, 0.09, 0.5, 30, 0.7, 0.156, true, true,
     'weighted kappa with peers 0.30 below 0.4; leniency moved +0.70 points against earlier months', 'ok'),
    ('r2', timestamp '2026-01-01', 12, 6, 3, -0.5, 0.3, -1.088, 0.088, null, null, 0.2, 10, null, null, false, false,
     null, 'too_few_items')
) as t(reviewer_id, month_start, n_reviews, n_items, n_interactions, leniency, leniency_std_error, leniency_ci_lower,
       leniency_ci_upper, kappa_vs_peers, kappa_vs_peers_std_error, kappa_vs_transcript, n_transcript_pairs, drift,
       drift_std_error, is_drifting, is_session_due, session_reason, status);

create table marts.mart_calibration_session_items as
select * from (values
    ('r1', timestamp '2026-02-01', 1, 'helpdesk:1', 'acknowledge', 5.0, 2.0, 3.0, 2),
    ('r1', timestamp '2026-02-01', 2, 'helpdesk:2', 'close_loop', 4.0, 2.0, 2.0, 1)
) as t(reviewer_id, month_start, item_rank, interaction_key, behavior_code, score, others_mean_score, deviation,
       n_other_reviewers);

create table marts.mart_coaching_moments as
select * from (values
    ('a1', 'tier1', 'missed_moment', 1, 'helpdesk:1', timestamp '2024-01-01 10:00:00', 'voice', 'escalation', 3,
     'name_emotion, offer_options', 'acknowledge:2, close_loop:9', 1, false, false, 3),
    ('a1', 'tier1', 'missed_moment', 2, 'chat:2', timestamp '2024-01-03 10:00:00', 'in_product', 'policy_exception', 4,
     'close_loop', null, null, true, false, 1),
    ('a1', 'tier1', 'bright_spot', 1, 'helpdesk:3', timestamp '2024-01-04 10:00:00', 'chat', 'delayed_shipment', 5,
     null, 'acknowledge:1', 5, false, false, 0)
) as t(agent_id, team, moment_kind, moment_rank, interaction_key, started_at, channel, tough_moment_category,
       behaviors_count, missing_behaviors, evidence_segments, csat, has_repeat_contact, is_churned_within_90_days,
       severity);

create table marts.mart_product_policy_signals as
select * from (values
    ('contact_reason', 'cancellation_request', 'voluntary_churn_90d', 45, 39, 26, 0.6667, 0.0322, 0.6345, 0.0756,
     0.4863, 0.7827, 1e-17, 2e-17, 194, 4091.0, true, 1, 'ok'),
    ('product', 'core', 'csat_top2', 50, 44, 30, 0.6818, 0.65, 0.0318, 0.07, -0.1054, 0.169, 0.65, 1.0, 300, 12000.5,
     false, null, 'ok'),
    ('tough_moment_category', 'escalation', 'csat_top2', 20, 17, 9, 0.5294, 0.6, null, null, null, null, null, null,
     80, 2100.0, false, null, 'too_few_observations')
) as t(dimension, segment_value, outcome, n_interactions, n_observations, n_successes, segment_share, rest_share,
       estimate, std_error, ci_lower, ci_upper, p_value, p_value_adjusted, n_customers_affected, mrr_affected,
       is_not_recovered_by_empathy, priority_rank, status);

create schema restricted;
create table restricted.restricted_open_text_answers as
select * from (values ('resp-1', '{_key(1)}', 'The agent was kind, thanks [EMAIL]'))
    as t(response_id, customer_key, answer_text_redacted);
"""


def make_db(path: Path, *extra_sql: str) -> Path:
    """A warehouse file with every mart holding good rows, then ``extra_sql`` applied."""
    con = duckdb.connect(str(path))
    try:
        con.execute(GOOD_SQL)
        for sql in extra_sql:
            con.execute(sql)
    finally:
        con.close()
    return path


def run_validate(tmp_path: Path, *extra_sql: str, specs: tuple[SuiteSpec, ...] = SUITES) -> tuple[int, dict]:
    """Build a db with ``extra_sql`` applied, validate it in-process; return exit code and summary."""
    db = make_db(tmp_path / "wh.duckdb", *extra_sql)
    out = tmp_path / "out"
    code = validate.run(db, out, specs)
    return code, json.loads((out / "results" / "summary.json").read_text())


def only(*suites: str) -> tuple[SuiteSpec, ...]:
    """The specs of the named suites (``schema.table``), so a test validates only what it checks."""
    specs = tuple(s for s in SUITES if s.name in suites)
    assert {s.name for s in specs} == set(suites), suites
    return specs


def failed(summary: dict, suite: str) -> list[tuple[str, str | None, str]]:
    """(expectation, column, severity) of every failed expectation of ``suite``."""
    entry = next(s for s in summary["suites"] if s["suite"] == suite)
    return [(f["expectation"], f["kwargs"].get("column"), f["severity"]) for f in entry["failed_expectations"]]


def test_good_data_passes_and_builds_data_docs(tmp_path: Path) -> None:
    code, summary = run_validate(tmp_path)
    out = tmp_path / "out"
    assert code == 0, summary
    assert summary["success"] is True
    assert {s["suite"] for s in summary["suites"]} == {spec.name for spec in SUITES}
    assert all(s["success"] and s["evaluated"] > 0 and s["failed"] == 0 for s in summary["suites"])
    assert (out / "data_docs" / "index.html").is_file()
    assert summary["data_docs"] == str(out / "data_docs" / "index.html")
    for spec in SUITES:
        result = json.loads((out / "results" / f"{spec.name}.json").read_text())
        assert result["success"] is True
        assert len(result["results"]) == len(spec.expectations)


@pytest.mark.parametrize(
    ("sql", "suite", "expected"),
    [
        (
            "update marts.fct_interactions set handle_time_seconds = -5 where interaction_key = 'helpdesk:1'",
            "marts.fct_interactions",
            ("expect_column_values_to_be_between", "handle_time_seconds", "error"),
        ),
        (
            "update audit.audit_row_reconciliation set is_balanced = false, accounted_rows = 0 "
            "where table_name = 'raw_table_3'",
            "audit.audit_row_reconciliation",
            ("expect_column_values_to_be_in_set", "is_balanced", "error"),
        ),
        (
            "update marts.dim_customers set customer_key = upper(customer_key) where plan = 'pro'",
            "marts.dim_customers",
            ("expect_column_values_to_match_regex", "customer_key", "error"),
        ),
        (
            "alter table marts.dim_customers add column customer_email varchar",
            "marts.dim_customers",
            ("expect_table_columns_to_not_match_regex", None, "error"),
        ),
        (
            "update marts.mart_did_group_time set p_value = 1.5 where period_index = 24306",
            "marts.mart_did_group_time",
            ("expect_column_values_to_be_between", "p_value", "error"),
        ),
        (
            "insert into marts.mart_did_event_study select * from marts.mart_did_event_study "
            "where event_time_months = 0",
            "marts.mart_did_event_study",
            ("expect_compound_columns_to_be_unique", None, "error"),
        ),
        (
            "update marts.mart_did_summary set ci_lower = ci_upper + 0.1 where aggregation = 'simple'",
            "marts.mart_did_summary",
            ("expect_column_pair_values_a_to_be_greater_than_b", None, "error"),
        ),
        (
            "update marts.mart_did_robustness set status = 'ok' where check_name = 'in_time_placebo'",
            "marts.mart_did_robustness",
            ("expect_column_values_to_be_in_set", "status", "error"),
        ),
        (
            "update marts.mart_synthetic_control_weights set weight = -0.2 where donor_team = 'team_e'",
            "marts.mart_synthetic_control_weights",
            ("expect_column_values_to_be_between", "weight", "error"),
        ),
        (
            "update marts.mart_iv_estimates set estimator = 'liml' where instrument_set = 'pol_a'",
            "marts.mart_iv_estimates",
            ("expect_column_values_to_be_in_set", "estimator", "error"),
        ),
        (
            "update marts.mart_iv_estimates set is_weak_instrument = false where instrument_set = 'policies' "
            "and estimator = '2sls'",
            "marts.mart_iv_estimates",
            ("expect_column_values_to_be_between", "first_stage_f", "error"),
        ),
        (
            "update marts.mart_churn_risk_model_evaluation set model = 'gbm' where model = 'usage_only'",
            "marts.mart_churn_risk_model_evaluation",
            ("expect_column_values_to_be_in_set", "model", "error"),
        ),
        (
            "update marts.mart_churn_risk_calibration set observed = 1.2 where model = 'full' and risk_decile = 10",
            "marts.mart_churn_risk_calibration",
            ("expect_column_values_to_be_between", "observed", "error"),
        ),
        (
            "update marts.mart_churn_risk_coefficients set status = 'converged' where model = 'full'",
            "marts.mart_churn_risk_coefficients",
            ("expect_column_values_to_match_regex", "status", "error"),
        ),
        (
            "update marts.mart_at_risk_alerts set is_selected = false where alert_status = 'held_out'",
            "marts.mart_at_risk_alerts",
            ("expect_column_values_to_be_in_set", "is_selected", "error"),
        ),
        (
            "update marts.mart_at_risk_alerts set weekly_threshold = 0.7 where week_start = timestamp '2026-01-05'",
            "marts.mart_at_risk_alerts",
            ("expect_column_pair_values_a_to_be_greater_than_b", None, "error"),
        ),
        (
            "update marts.mart_save_conversations set is_saved = false where saved_status = 'window_open'",
            "marts.mart_save_conversations",
            ("expect_column_values_to_be_null", "is_saved", "error"),
        ),
        (
            "update marts.mart_save_effects set estimate = 0.5 where status = 'too_few_offers'",
            "marts.mart_save_effects",
            ("expect_column_values_to_be_null", "estimate", "error"),
        ),
        (
            "update marts.mart_alert_outcomes set outcome = 'nps' where outcome = 'mrr_change'",
            "marts.mart_alert_outcomes",
            ("expect_column_values_to_be_in_set", "outcome", "error"),
        ),
        (
            "update marts.mart_nps_drivers set share_of_r_squared = 1.5 where rank = 1",
            "marts.mart_nps_drivers",
            ("expect_column_values_to_be_between", "share_of_r_squared", "error"),
        ),
        (
            "update marts.mart_nps_drivers set estimate = 0.02 where status = 'too_few_rows'",
            "marts.mart_nps_drivers",
            ("expect_column_values_to_be_null", "estimate", "error"),
        ),
        (
            "update marts.mart_csat_drivers set status = 'converged' where outcome = 'is_csat_top2'",
            "marts.mart_csat_drivers",
            ("expect_column_values_to_be_in_set", "status", "error"),
        ),
        (
            "update marts.mart_csat_drivers set performance = 9 where driver = 'felt_understood'",
            "marts.mart_csat_drivers",
            ("expect_column_values_to_be_between", "performance", "error"),
        ),
        (
            "update marts.mart_csat_drivers set driver_kind = 'context' where driver = 'felt_understood'",
            "marts.mart_csat_drivers",
            ("expect_column_values_to_be_in_set", "driver", "error"),
        ),
        (
            "update marts.mart_service_recovery set p_value_adjusted = 0.001 where row_kind = 'adjusted_effect' "
            "and status = 'ok'",
            "marts.mart_service_recovery",
            ("expect_column_pair_values_a_to_be_greater_than_b", None, "error"),
        ),
        (
            "update marts.mart_service_recovery set estimate = 1.4 where row_kind = 'time_to_recovery' "
            "and status = 'ok'",
            "marts.mart_service_recovery",
            ("expect_column_values_to_be_between", "estimate", "error"),
        ),
        (
            "update marts.mart_service_recovery set status = 'median_not_reached' where row_kind = 'adjusted_effect' "
            "and status = 'too_few_low_scores'",
            "marts.mart_service_recovery",
            ("expect_column_values_to_be_in_set", "status", "error"),
        ),
        (
            "update marts.mart_acknowledgment_contrasts set estimate = -0.3, ci_lower = -0.4 "
            "where contrast = 'handle_time_variance_ratio' and status = 'ok'",
            "marts.mart_acknowledgment_contrasts",
            ("expect_column_values_to_be_between", "estimate", "error"),
        ),
        (
            "update marts.mart_acknowledgment_contrasts set value_exposed = 1.2 "
            "where contrast = 'promoter_share_relative_change' and group_by = 'overall'",
            "marts.mart_acknowledgment_contrasts",
            ("expect_column_values_to_be_between", "value_exposed", "error"),
        ),
        (
            "update marts.mart_acknowledgment_contrasts set status = 'not_pooled_across_channels' "
            "where contrast = 'promoter_share_relative_change' and group_value = 'unknown'",
            "marts.mart_acknowledgment_contrasts",
            ("expect_column_values_to_be_in_set", "status", "error"),
        ),
        (
            "update marts.mart_agent_scorecards set estimate = 0.25 where status = 'fully_pooled'",
            "marts.mart_agent_scorecards",
            ("expect_column_pair_values_to_be_equal", None, "error"),
        ),
        (
            "update marts.mart_agent_scorecards set estimate = 0.4, ci_lower = 0.3, ci_upper = 0.5, "
            "lower_bound = 0.32, shrinkage_weight = 0.5 where status = 'too_few_agents'",
            "marts.mart_agent_scorecards",
            ("expect_column_values_to_be_null", "estimate", "error"),
        ),
        (
            "update marts.mart_agent_scorecards set n_reviews = 50 where status = 'ok'",
            "marts.mart_agent_scorecards",
            ("expect_column_pair_values_a_to_be_greater_than_b", None, "error"),
        ),
        (
            "insert into marts.mart_agent_ramp_curves select * from marts.mart_agent_ramp_curves "
            "where agent_group = 'established'",
            "marts.mart_agent_ramp_curves",
            ("expect_compound_columns_to_be_unique", None, "error"),
        ),
        (
            "update marts.mart_agent_ramp_curves set ci_upper = 1.2 where weeks_since_hire = 0",
            "marts.mart_agent_ramp_curves",
            ("expect_column_values_to_be_between", "ci_upper", "error"),
        ),
        (
            "update marts.mart_agent_recognition set team_excess = 0.1 where status = 'recognised'",
            "marts.mart_agent_recognition",
            ("expect_column_pair_values_a_to_be_greater_than_b", None, "error"),
        ),
        (
            "update marts.mart_agent_recognition set recognition_rank = 2 where agent_id = 'a2'",
            "marts.mart_agent_recognition",
            ("expect_column_values_to_be_null", "recognition_rank", "error"),
        ),
        (
            "update marts.mart_reviewer_calibration set is_session_due = false, session_reason = null "
            "where is_drifting",
            "marts.mart_reviewer_calibration",
            ("expect_column_values_to_be_in_set", "is_session_due", "error"),
        ),
        (
            "update marts.mart_reviewer_calibration set kappa_vs_peers = 0.1 where status = 'too_few_items'",
            "marts.mart_reviewer_calibration",
            ("expect_column_values_to_be_null", "kappa_vs_peers", "error"),
        ),
        (
            "update marts.mart_calibration_session_items set interaction_key = 'helpdesk:1', "
            "behavior_code = 'acknowledge' where item_rank = 2",
            "marts.mart_calibration_session_items",
            ("expect_compound_columns_to_be_unique", None, "error"),
        ),
        (
            "update marts.mart_coaching_moments set evidence_segments = 'acknowledge: I am so sorry about that' "
            "where moment_rank = 1 and moment_kind = 'missed_moment'",
            "marts.mart_coaching_moments",
            ("expect_column_values_to_match_regex", "evidence_segments", "error"),
        ),
        (
            "update marts.mart_coaching_moments set csat = 2, severity = 2 where moment_kind = 'bright_spot'",
            "marts.mart_coaching_moments",
            ("expect_column_values_to_be_in_set", "severity", "error"),
        ),
        (
            "update marts.mart_product_policy_signals set is_not_recovered_by_empathy = true, priority_rank = 2 "
            "where segment_value = 'core'",
            "marts.mart_product_policy_signals",
            ("expect_column_values_to_be_between", "p_value_adjusted", "error"),
        ),
        (
            "update marts.mart_product_policy_signals set estimate = 0.1 where status = 'too_few_observations'",
            "marts.mart_product_policy_signals",
            ("expect_column_values_to_be_null", "estimate", "error"),
        ),
    ],
    ids=["negative_handle_time", "unbalanced_reconciliation", "non_hex_customer_key", "email_column",
         "did_p_value_above_one", "did_event_study_duplicate_key", "did_summary_inverted_ci",
         "did_robustness_unknown_status", "synthetic_negative_weight", "iv_unknown_estimator",
         "iv_strong_flag_with_weak_f", "churn_risk_evaluation_unknown_model", "churn_risk_calibration_above_one",
         "churn_risk_coefficients_unknown_status", "alert_held_out_not_selected", "alert_selected_below_threshold",
         "save_counted_while_window_open", "save_effect_without_reason", "alert_outcomes_unknown_outcome",
         "nps_drivers_share_above_one", "nps_drivers_estimate_without_reason", "csat_drivers_unknown_status",
         "csat_drivers_survey_item_off_scale", "csat_drivers_kind_mismatch", "recovery_adjusted_p_below_raw",
         "recovery_share_recovered_above_one", "recovery_status_of_another_kind",
         "acknowledgment_negative_variance_ratio", "acknowledgment_promoter_share_above_one",
         "acknowledgment_promoter_row_not_pooled", "scorecard_pooled_estimate_off_prior",
         "scorecard_estimate_without_prior", "scorecard_more_reviews_than_contacts", "ramp_duplicate_established_row",
         "ramp_ci_above_one", "recognition_not_above_team", "recognition_rank_not_recognised",
         "calibration_drifting_without_session", "calibration_kappa_on_too_few_items", "session_item_twice",
         "moments_text_in_evidence", "moments_bright_spot_with_poor_csat", "signals_flag_not_significant",
         "signals_estimate_without_test"],
)
def test_bad_row_fails(tmp_path: Path, sql: str, suite: str, expected: tuple[str, str | None, str]) -> None:
    """Only the named suite is validated (the others' tables are untouched): one GX run per case, not all suites."""
    code, summary = run_validate(tmp_path, sql, specs=only(suite))
    assert code == 1
    assert summary["success"] is False
    assert [s["suite"] for s in summary["suites"]] == [suite]
    assert expected in failed(summary, suite)


def test_bad_row_details_in_summary(tmp_path: Path) -> None:
    """The unbalanced row also breaks delivered = accounted; counts and offending columns are reported."""
    code, summary = run_validate(
        tmp_path,
        "update audit.audit_row_reconciliation set is_balanced = false, accounted_rows = 0 "
        "where table_name = 'raw_table_3'",
        "alter table marts.dim_customers add column customer_email varchar",
        specs=only("audit.audit_row_reconciliation", "marts.dim_customers"),
    )
    assert code == 1
    recon = next(s for s in summary["suites"] if s["suite"] == "audit.audit_row_reconciliation")
    by_type = {f["expectation"]: f for f in recon["failed_expectations"]}
    assert by_type["expect_column_values_to_be_in_set"]["unexpected_count"] == 1
    assert by_type["expect_column_pair_values_to_be_equal"]["unexpected_count"] == 1
    customers = next(s for s in summary["suites"] if s["suite"] == "marts.dim_customers")
    assert customers["failed_expectations"][0]["observed_value"] == ["customer_email"]


@pytest.mark.parametrize(
    ("regex", "status", "matches"),
    [
        (expectations.CHURN_RISK_CALIBRATION_STATUS_REGEX, "ok", True),
        (expectations.CHURN_RISK_CALIBRATION_STATUS_REGEX, "beyond_follow_up; 12 unusable rows dropped", True),
        (expectations.CHURN_RISK_CALIBRATION_STATUS_REGEX, "ok; constant", False),
        (expectations.CHURN_RISK_CALIBRATION_STATUS_REGEX, "not_ok", False),
        (expectations.CHURN_RISK_COEFFICIENT_STATUS_REGEX, "ok", True),
        (expectations.CHURN_RISK_COEFFICIENT_STATUS_REGEX, "ok; constant in training, left out: x", True),
        (expectations.CHURN_RISK_COEFFICIENT_STATUS_REGEX, "fit_failed", True),
        (expectations.CHURN_RISK_COEFFICIENT_STATUS_REGEX, "okay", False),
        (expectations.CHURN_RISK_COEFFICIENT_STATUS_REGEX, "fit_failed; x", False),
    ],
)
def test_churn_risk_status_regexes(regex: str, status: str, matches: bool) -> None:
    assert bool(re.search(regex, status)) is matches


def test_alert_vocabularies_follow_outreach() -> None:
    """The alert suites' subsets name statuses and outcomes of empathy/outreach.py."""
    assert set(expectations.ALERT_SHARE_OUTCOMES) <= set(outreach.OUTCOMES)
    assert set(expectations.ALERT_SELECTED_STATUSES) <= set(outreach.STATUSES)
    assert set(expectations.ALERT_SUPPRESSED_STATUSES) | set(expectations.ALERT_SELECTED_STATUSES) == set(
        outreach.STATUSES)


def test_advocacy_vocabularies_follow_their_modules() -> None:
    """The advocacy suites' driver units and statuses cover their modules and the models' YAML."""
    assert set(expectations.CSAT_DRIVERS) == set(driver_analysis.DRIVER_KIND)
    assert set(expectations.DRIVER_SHARE_DRIVERS) | set(expectations.DRIVER_SECONDS_DRIVERS) | set(
        driver_analysis.SURVEY_ITEM_DRIVERS) == set(driver_analysis.DRIVER_KIND)
    statuses_doc = service_recovery.__doc__.split("Status values:")[1]
    assert all(f"``{status}``" in statuses_doc for status in expectations.SERVICE_RECOVERY_STATUSES)
    assert set().union(*expectations.SERVICE_RECOVERY_KIND_STATUSES.values()) == set(
        expectations.SERVICE_RECOVERY_STATUSES)
    assert expectations.ACKNOWLEDGMENT_NOT_POOLED in exposure_contrasts.STATUSES
    models = yaml.safe_load((REPO_ROOT / "models" / "marts" / "advocacy" / "_advocacy__models.yml").read_text())
    tables = ("mart_nps_drivers", "mart_csat_drivers", "mart_service_recovery", "mart_acknowledgment_contrasts")
    suite_statuses = {spec.table: set(next(e.kwargs["value_set"] for e in spec.expectations
                                          if e.type == "expect_column_values_to_be_in_set"
                                          and e.kwargs["column"] == "status" and "row_condition" not in e.kwargs))
                      for spec in SUITES if spec.table in tables}
    assert set(suite_statuses) == set(tables)
    documented = [model for model in models["models"] if model["name"] in tables]
    assert len(documented) == len(tables)
    for model in documented:
        column = next(c for c in model["columns"] if c["name"] == "status")
        accepted = next(t["accepted_values"]["arguments"]["values"] for t in column["data_tests"]
                        if isinstance(t, dict) and "accepted_values" in t)
        assert set(accepted) == suite_statuses[model["name"]], model["name"]


def test_coaching_vocabularies_follow_their_models() -> None:
    """The coaching suites' enumerations are the models' accepted values, and their metric lists are the SQL's."""
    models = yaml.safe_load((REPO_ROOT / "models" / "marts" / "coaching" / "_coaching__models.yml").read_text())
    checked = 0
    for model in models["models"]:
        spec = next(s for s in SUITES if s.table == model["name"])
        for column in model["columns"]:
            accepted = [t["accepted_values"]["arguments"]["values"] for t in column.get("data_tests", [])
                        if isinstance(t, dict) and "accepted_values" in t]
            if accepted:
                in_set = next(e.kwargs["value_set"] for e in spec.expectations
                              if e.type == "expect_column_values_to_be_in_set" and e.kwargs["column"] == column["name"]
                              and "row_condition" not in e.kwargs)
                assert set(in_set) == set(accepted[0]), (model["name"], column["name"])
                checked += 1
    assert checked >= 6
    models_dir = REPO_ROOT / "models"
    months = (models_dir / "intermediate" / "coaching" / "int_agent_months_counted.sql").read_text()
    assert all(f"('{metric}', '{unit}'," in months
               for unit, metrics in expectations.SCORECARD_METRICS_BY_UNIT.items() for metric in metrics)
    n_metrics = sum(len(metrics) for metrics in expectations.SCORECARD_METRICS_BY_UNIT.values())
    assert len(re.findall(r"\('\w+_rate', '\w+',", months)) == n_metrics
    ramp = (models_dir / "marts" / "coaching" / "mart_agent_ramp_curves.sql").read_text()
    assert all(f"'{metric}'" in ramp for metric in expectations.RAMP_METRICS)
    signals = (models_dir / "intermediate" / "coaching" / "int_segments_counted_for_signals.sql").read_text()
    assert f"{{%- set dimensions = {list(expectations.SIGNAL_DIMENSIONS)} -%}}" in signals


def _with_extra(table: str, *specs_: Callable[[], object]) -> tuple[SuiteSpec, ...]:
    """The suite of ``table`` alone, with extra expectations appended."""
    return tuple(
        replace(s, expectations=(*s.expectations, *(f() for f in specs_))) for s in SUITES if s.table == table
    )


def test_warning_failure_alone_passes(tmp_path: Path) -> None:
    specs = _with_extra(
        "dim_agents",
        lambda: expect("expect_table_row_count_to_be_between", min_value=100, severity="warning"),
    )
    code, summary = run_validate(tmp_path, specs=specs)
    assert code == 0
    assert summary["success"] is True
    agents = next(s for s in summary["suites"] if s["suite"] == "marts.dim_agents")
    assert agents["success"] is True and agents["failed"] == 0 and agents["warnings"] == 1
    assert agents["failed_expectations"][0]["severity"] == "warning"
    assert agents["failed_expectations"][0]["observed_value"] == 2


def test_warning_does_not_mask_an_error(tmp_path: Path) -> None:
    specs = _with_extra(
        "dim_agents",
        lambda: expect("expect_table_row_count_to_be_between", min_value=100, severity="warning"),
    )
    code, summary = run_validate(tmp_path, "update marts.dim_agents set team = null", specs=specs)
    assert code == 1
    assert set(failed(summary, "marts.dim_agents")) == {
        ("expect_table_row_count_to_be_between", None, "warning"),
        ("expect_column_values_to_not_be_null", "team", "error"),
    }


def test_missing_table_is_an_error_unless_optional(tmp_path: Path) -> None:
    specs = only("marts.dim_agents", "marts.dim_customers")
    code, summary = run_validate(tmp_path, "drop table marts.dim_agents", specs=specs)
    assert code == 1
    agents = next(s for s in summary["suites"] if s["suite"] == "marts.dim_agents")
    assert agents["success"] is False and "marts.dim_agents is missing" in agents["error"]

    optional = tuple(replace(s, optional=True) if s.table == "dim_agents" else s for s in specs)
    code = validate.run(tmp_path / "wh.duckdb", tmp_path / "out2", optional)
    assert code == 0


def test_missing_db_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate.main(["--db", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "out")]) == 2
    assert "database file not found" in capsys.readouterr().err


def test_cli_end_to_end(tmp_path: Path) -> None:
    """The module CLI, with the database from EMPATHY_DUCKDB_PATH; the db file stays untouched."""
    db = make_db(tmp_path / "wh.duckdb")
    before = db.read_bytes()
    out = tmp_path / "gx"
    env = {**os.environ, "EMPATHY_DUCKDB_PATH": str(db)}
    proc = subprocess.run(
        [sys.executable, "-m", "empathy.checks.validate", "--out", str(out)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Data Docs: {out / 'data_docs' / 'index.html'}" in proc.stdout
    assert "marts.fct_interactions" in proc.stdout
    assert db.read_bytes() == before


def test_missing_column_is_reported_not_raised(tmp_path: Path) -> None:
    code, summary = run_validate(tmp_path, "alter table marts.dim_agents drop column team",
                                 specs=only("marts.dim_agents"))
    assert code == 1
    agents = next(s for s in summary["suites"] if s["suite"] == "marts.dim_agents")
    by_type = {f["expectation"]: f for f in agents["failed_expectations"]}
    assert 'column "team"' in by_type["expect_column_values_to_not_be_null"]["exception"]
    assert by_type["expect_table_columns_to_match_set"]["details"] == {"mismatched": {"missing": ["team"]}}


def test_db_path_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(validate.DB_ENV_VAR, raising=False)
    assert validate.resolve_db_path(None) == Path("target/empathy.duckdb")
    monkeypatch.setenv(validate.DB_ENV_VAR, "/x/env.duckdb")
    assert validate.resolve_db_path(None) == Path("/x/env.duckdb")
    assert validate.resolve_db_path("/x/arg.duckdb") == Path("/x/arg.duckdb")
