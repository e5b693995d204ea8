"""The `strategy` bounded context (see DESIGN.md).

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.strategy import learning as learning
    from missionos.strategy import litmus as litmus
    from missionos.strategy import loop as loop
    from missionos.strategy import replan as replan
    from missionos.strategy import story as story
    from missionos.strategy.apply import Applied as Applied
    from missionos.strategy.apply import apply_plan as apply_plan
    from missionos.strategy.evaluation import GoalView as GoalView
    from missionos.strategy.evaluation import PlanView as PlanView
    from missionos.strategy.evaluation import check_text as check_text
    from missionos.strategy.evaluation import evaluate as evaluate
    from missionos.strategy.evaluation import evaluate_cached as evaluate_cached
    from missionos.strategy.evaluation import today as today
    from missionos.strategy.loop import assess_plan as assess_plan
    from missionos.strategy.loop import history_line as history_line
    from missionos.strategy.manual import manual_series_names as manual_series_names
    from missionos.strategy.manual import record_value as record_value
    from missionos.strategy.manual import record_verdict as record_verdict
    from missionos.strategy.plan import Goal as Goal
    from missionos.strategy.plan import MeasureRef as MeasureRef
    from missionos.strategy.plans import diff_versions as diff_versions
    from missionos.strategy.plans import get_plan as get_plan
    from missionos.strategy.plans import history as history
    from missionos.strategy.plans import home_plan as home_plan
    from missionos.strategy.plans import list_plans as list_plans
    from missionos.strategy.plans import plan_yaml as plan_yaml
    from missionos.strategy.render import direction_text as direction_text
    from missionos.strategy.render import plan_json as plan_json
    from missionos.strategy.render import report_html as report_html
    from missionos.strategy.render import sparkline_svg as sparkline_svg
    from missionos.strategy.render import target_text as target_text

__all__ = [
    "Applied",
    "Goal",
    "GoalView",
    "MeasureRef",
    "PlanView",
    "apply_plan",
    "assess_plan",
    "check_text",
    "diff_versions",
    "direction_text",
    "evaluate",
    "evaluate_cached",
    "get_plan",
    "history",
    "history_line",
    "home_plan",
    "learning",
    "list_plans",
    "litmus",
    "loop",
    "manual_series_names",
    "plan_json",
    "plan_yaml",
    "record_value",
    "record_verdict",
    "replan",
    "report_html",
    "sparkline_svg",
    "story",
    "target_text",
    "today",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "Applied": "apply",
    "Goal": "plan",
    "GoalView": "evaluation",
    "MeasureRef": "plan",
    "PlanView": "evaluation",
    "apply_plan": "apply",
    "assess_plan": "loop",
    "check_text": "evaluation",
    "diff_versions": "plans",
    "direction_text": "render",
    "evaluate": "evaluation",
    "evaluate_cached": "evaluation",
    "get_plan": "plans",
    "history": "plans",
    "history_line": "loop",
    "home_plan": "plans",
    "list_plans": "plans",
    "manual_series_names": "manual",
    "plan_json": "render",
    "plan_yaml": "plans",
    "record_value": "manual",
    "record_verdict": "manual",
    "report_html": "render",
    "sparkline_svg": "render",
    "target_text": "render",
    "today": "evaluation",
}
_SUBMODULES: frozenset[str] = frozenset(["learning", "litmus", "loop", "replan", "story"])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
