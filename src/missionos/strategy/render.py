"""Renderings of the one-page plan: its JSON form, goal sparklines (server-side SVG) and the HTML report."""

from __future__ import annotations

import datetime as dt
from html import escape
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from missionos.strategy.plan import Goal, MeasureRef
from missionos.strategy.service import GoalView, PlanSummary, PlanView
from missionos.strategy.status import expected_on_line


def _measure_json(ref: MeasureRef | None) -> dict[str, Any] | None:
    if ref is None:
        return None
    if ref.manual:
        return {"manual": ref.scope.name, "stat": ref.stat}
    return {"name": ref.name, "scope": ref.scope.as_dict(), "stat": ref.stat}


def target_text(goal: Goal) -> str:
    """A goal's target in words: `guardrail: limit 0.05 until 2027-09-30`, `move to 3 by 2027-09-30`."""
    if goal.is_guardrail:
        return f"guardrail: limit {goal.target_value:g}" + (
            f" until {goal.target_by}" if goal.target_by else ""
        )
    return f"move to {goal.target_value:g} by {goal.target_by or '(no target date)'}"


def direction_text(direction: str | None) -> str:
    return f"{direction} is better" if direction else "direction unknown"


def _summary(p: PlanSummary) -> dict[str, Any]:
    return {"plan": p.key, "title": p.title, "strategy": p.parent_strategy, "version": p.version}


def plan_json(view: PlanView) -> dict[str, Any]:
    """The one-page plan as JSON: the shape of `strategy show --format json` and of the API."""
    p = view.plan
    goals = []
    for g in view.goals:
        newest = g.series.newest if g.series else None
        goals.append(
            {
                "id": g.goal.id,
                "statement": g.goal.statement,
                "measure": _measure_json(g.goal.measure),
                "unit": g.series.unit if g.series else None,
                "baseline": None
                if g.goal.baseline_value is None
                else {"value": g.goal.baseline_value, "at": str(g.goal.baseline_at)},
                "target": {
                    "value": g.goal.target_value,
                    "by": str(g.goal.target_by) if g.goal.target_by else None,
                },
                "kind": g.assessment.kind,
                "direction": g.assessment.direction,
                "value": g.assessment.value,
                "at": str(newest[0]) if newest else None,
                "expected": g.assessment.expected,
                "progress": g.assessment.progress,
                "status": g.assessment.status.value,
                "reason": g.assessment.reason,
                "trend": None
                if g.assessment.trend is None
                else {
                    "per_week": g.assessment.trend.per_week,
                    "since": str(g.assessment.trend.since),
                    "points": g.assessment.trend.points,
                },
                "crosses": str(g.assessment.crosses) if g.assessment.crosses else None,
                "problem": g.series.problem if g.series else "no measure",
                "points": [[str(d), v] for d, v in (g.series.points if g.series else ())],
            }
        )
    strategies = []
    for s in view.strategies:
        strategies.append(
            {
                "id": s.strategy.id,
                "statement": s.strategy.statement,
                "serves": list(s.strategy.serves),
                "replan": s.replan,
                "assumptions": [{"id": a.id, "statement": a.statement} for a in s.strategy.assumptions],
                "bets": [
                    {
                        "id": b.bet.id,
                        "tests": b.bet.tests,
                        "hypothesis": b.bet.hypothesis,
                        "service": b.bet.service,
                        "experiment": {"flag": b.bet.flag}
                        if b.bet.flag
                        else ({"deployment": b.bet.deployment} if b.bet.deployment else None),
                        "decide_by": str(b.bet.decide_by) if b.bet.decide_by else None,
                        "status": b.status,
                        "evidence_url": b.evidence_url,
                        "verdict_source": b.verdict_source,
                    }
                    for b in s.bets
                ],
                "dashboard": [
                    {
                        "measure": _measure_json(d.item.measure),
                        "target": d.item.target,
                        "value": d.series.value(),
                        "at": str(d.series.newest[0]) if d.series.newest else None,
                    }
                    for d in s.dashboard
                ],
                "actions": [
                    {
                        "id": a.action.id,
                        "what": a.action.what,
                        "owner": a.action.owner,
                        "due": str(a.action.due) if a.action.due else None,
                        "done": a.action.done,
                    }
                    for a in s.actions
                ],
                "children": [_summary(c) for c in s.children],
                "rollups": [r.as_dict() for r in s.rollups],
            }
        )
    return {
        "plan": p.key,
        "title": p.title,
        "version": view.version,
        "as_of": str(view.as_of),
        "objective": p.objective,
        "owner": p.owner,
        "horizon": str(p.horizon) if p.horizon else None,
        "parent": None
        if p.parent_plan is None
        else {"plan": p.parent_plan, "strategy": p.parent_strategy, "statement": view.parent_statement},
        "children": [_summary(c) for c in view.children],
        "goals": goals,
        "strategies": strategies,
        "findings": [f.as_dict() for f in view.findings],
        "replan": view.replan,
    }


STATUS_COLOURS = {
    "on track": "#1a7f37",
    "at risk": "#9a6700",
    "off track": "#cf222e",
    "breached": "#cf222e",
    "no data": "#6e7781",
    "no baseline": "#6e7781",
}


def sparkline_svg(goal: GoalView, *, width: int = 180, height: int = 40) -> str:
    """A small SVG of the goal's values, with the dashed line from baseline to target over the same days."""
    points = list(goal.series.points) if goal.series else []
    colour = STATUS_COLOURS.get(goal.assessment.status.value, "#57606a")
    label = f"Sparkline of {goal.goal.id}: {len(points)} values, {goal.assessment.status.value}"
    if not points:
        return (
            f'<svg class="sparkline" role="img" aria-label="{escape(label)}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">'
            f'<text x="4" y="{height / 2 + 4}" font-size="11" fill="#6e7781">'
            "no data</text></svg>"
        )
    first, last = points[0][0], points[-1][0]
    g = goal.goal
    line: list[tuple[dt.date, float]] = []
    if g.is_guardrail:
        line = [(first, g.target_value), (last, g.target_value)]
    elif g.baseline_value is not None and g.baseline_at is not None and g.target_by is not None:
        line = [
            (d, expected_on_line(g.baseline_value, g.baseline_at, g.target_value, g.target_by, d))
            for d in (first, last)
        ]
    values = [v for _, v in points] + [v for _, v in line]
    low, high = min(values), max(values)
    span_v = (high - low) or 1.0
    span_d = (last - first).days or 1
    pad = 3

    def xy(day: dt.date, value: float) -> str:
        x = pad + (width - 2 * pad) * (day - first).days / span_d
        y = pad + (height - 2 * pad) * (1 - (value - low) / span_v)
        return f"{x:.1f},{y:.1f}"

    path = " ".join(xy(d, v) for d, v in points)
    parts = [
        f'<svg class="sparkline" role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    if line:
        parts.append(
            f'<polyline points="{" ".join(xy(d, v) for d, v in line)}" fill="none" stroke="#8c959f" '
            'stroke-width="1" stroke-dasharray="3 2"/>'
        )
    parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
    cx, cy = xy(*points[-1]).split(",")
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals["sparkline"] = lambda goal: Markup(sparkline_svg(goal))
    env.globals["colours"] = STATUS_COLOURS
    env.globals["target_text"] = target_text
    env.globals["direction_text"] = direction_text
    return env


def report_html(view: PlanView) -> str:
    """The self-contained one-page report (inline CSS and SVG, no external asset; landscape)."""
    text = resources.files("missionos.strategy").joinpath("report.html.j2").read_text("utf-8")
    return _env().from_string(text).render(view=view, plan=view.plan)
