"""The strategy context's public service: apply and version plans, read live evidence, close the loop.

Plans are read from YAML (`missionos.strategy.plan`), checked by the litmus check (`litmus`), and bound to the
other contexts' figures only through the measures registry (`missionos.measures`): `query` for goals and
dashboards, `delivery.production_deployments` for the path to production, and `verdict_for` for bets.

This module is the context's façade; each subject has its own module:
- `plans`: stored plans, their versions and the cascade;
- `apply`: applying a plan as a new version (validated, audited, citing the verdicts it rests on);
- `diff`: what changed between two plan documents, in plan terms;
- `manual`: manual series and hand verdicts;
- `evaluate`: live evaluation, the one-page plan, and the litmus check of a plan file.
"""

from __future__ import annotations

from missionos.strategy.apply import Applied as Applied
from missionos.strategy.apply import apply_plan as apply_plan
from missionos.strategy.diff import diff_documents as diff_documents
from missionos.strategy.evaluation import EPOCH as EPOCH
from missionos.strategy.evaluation import HISTORY_DAYS as HISTORY_DAYS
from missionos.strategy.evaluation import PRODUCTION_DEPLOYMENTS as PRODUCTION_DEPLOYMENTS
from missionos.strategy.evaluation import STAT_DAYS as STAT_DAYS
from missionos.strategy.evaluation import ActionView as ActionView
from missionos.strategy.evaluation import BetVerdict as BetVerdict
from missionos.strategy.evaluation import BetView as BetView
from missionos.strategy.evaluation import CheckResult as CheckResult
from missionos.strategy.evaluation import DashboardView as DashboardView
from missionos.strategy.evaluation import GoalView as GoalView
from missionos.strategy.evaluation import LiveSeries as LiveSeries
from missionos.strategy.evaluation import PlanView as PlanView
from missionos.strategy.evaluation import Rollup as Rollup
from missionos.strategy.evaluation import StrategyView as StrategyView
from missionos.strategy.evaluation import bet_verdict as bet_verdict
from missionos.strategy.evaluation import check_text as check_text
from missionos.strategy.evaluation import drop_period_in_progress as drop_period_in_progress
from missionos.strategy.evaluation import evaluate as evaluate
from missionos.strategy.evaluation import evaluate_cached as evaluate_cached
from missionos.strategy.evaluation import evaluate_plan as evaluate_plan
from missionos.strategy.evaluation import measure_direction as measure_direction
from missionos.strategy.evaluation import production_deployments as production_deployments
from missionos.strategy.evaluation import read_measure as read_measure
from missionos.strategy.evaluation import today as today
from missionos.strategy.manual import VERDICT_STATUSES as VERDICT_STATUSES
from missionos.strategy.manual import find_bet as find_bet
from missionos.strategy.manual import manual_series_names as manual_series_names
from missionos.strategy.manual import manual_values as manual_values
from missionos.strategy.manual import record_value as record_value
from missionos.strategy.manual import record_verdict as record_verdict
from missionos.strategy.plans import PlanSummary as PlanSummary
from missionos.strategy.plans import StoredPlan as StoredPlan
from missionos.strategy.plans import VersionInfo as VersionInfo
from missionos.strategy.plans import diff_versions as diff_versions
from missionos.strategy.plans import get_plan as get_plan
from missionos.strategy.plans import history as history
from missionos.strategy.plans import home_plan as home_plan
from missionos.strategy.plans import list_plans as list_plans
from missionos.strategy.plans import plan_yaml as plan_yaml
from missionos.strategy.plans import validate_parent as validate_parent
from missionos.strategy.status import GoalStatus as GoalStatus

__all__ = [
    "VERDICT_STATUSES",
    "Applied",
    "BetView",
    "CheckResult",
    "DashboardView",
    "GoalStatus",
    "GoalView",
    "LiveSeries",
    "PlanSummary",
    "PlanView",
    "StoredPlan",
    "StrategyView",
    "VersionInfo",
    "apply_plan",
    "check_text",
    "diff_documents",
    "diff_versions",
    "evaluate",
    "evaluate_plan",
    "get_plan",
    "history",
    "home_plan",
    "list_plans",
    "manual_values",
    "plan_yaml",
    "record_value",
    "record_verdict",
    "validate_parent",
]
