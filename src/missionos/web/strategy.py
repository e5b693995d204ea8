"""The strategy pages (/strategy/...) and API (/api/v1/strategy/...). The home page (/) shows the top plan.

Every write (applying or editing a plan, a hand verdict, a manual value) takes `require("editor")`, goes
through the strategy service (which validates the whole document and records the audit entry in the same
transaction) and, from a page, comes from a form carrying `csrf_field()`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from missionos import strategy as service
from missionos.errors import FieldError, MissionOSError, NotFoundError
from missionos.strategy import (
    GoalView,
    MeasureRef,
    PlanView,
    direction_text,
    learning,
    litmus,
    loop,
    plan_json,
    replan,
    report_html,
    sparkline_svg,
    story,
    target_text,
)
from missionos.web.charts import line_chart
from missionos.web.deps import DB, DbSession, page, templates
from missionos.web.security import Principal, require

router = APIRouter()
Editor = Annotated[Principal, Depends(require("editor"))]

STATUS_BADGE = {
    "on track": "good",
    "at risk": "warn",
    "off track": "bad",
    "breached": "bad",
    "validated": "good",
    "invalidated": "bad",
    "invalid": "bad",
    "inconclusive": "warn",
}
templates.env.globals["status_badge"] = lambda status: STATUS_BADGE.get(status, "")


def _sparkline(goal: GoalView) -> Any:
    from markupsafe import Markup

    return Markup(sparkline_svg(goal))


templates.env.globals["sparkline"] = _sparkline
templates.env.globals["target_text"] = target_text
templates.env.globals["direction_text"] = direction_text


def _as_of(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldError("as_of", "a date like 2026-11-24") from None


def measure_page(ref: MeasureRef | None, plan: str, goal: str | None = None) -> str | None:
    """Where a measure's own figures live in the other contexts' pages (the drill-down's last step)."""
    if ref is None:
        return None
    context = ref.name.split(".", 1)[0]
    if ref.manual:
        return f"/strategy/plans/{plan}/goals/{goal}" if goal else None
    if context == "delivery" and ref.scope.kind == "service":
        return f"/delivery/services/{ref.scope.name}"
    if context in ("delivery", "flow", "compliance", "experiments"):
        return f"/{context}"
    return None


templates.env.globals["measure_page"] = measure_page


def anchor_for(view: PlanView, item: str) -> str:
    """The page anchor of the item a finding names (a goal, a strategy, a bet, or a strategy's part)."""
    if any(g.goal.id == item for g in view.goals):
        return f"goal-{item}"
    for s in view.strategies:
        if s.strategy.id == item:
            return f"strategy-{item}"
        if any(b.bet.id == item for b in s.bets):
            return f"bet-{item}"
        if item.startswith(f"{s.strategy.id}.") or any(a.action.id == item for a in s.actions):
            return f"strategy-{s.strategy.id}"
    return "findings-h"


templates.env.globals["anchor_for"] = anchor_for


def finding_fix(view: PlanView, finding: Any) -> dict[str, str]:
    """A finding as a sentence, with what to do about it and a link to where it is done."""
    text, where = litmus.fix_for(finding.rule)
    key = view.plan.key
    link = f"/strategy/plans/{key}/{'replan' if where == 'replan' else 'edit'}"
    if where == "goal" and any(g.goal.id == finding.item for g in view.goals):
        link = f"/strategy/plans/{key}/goals/{finding.item}"
    if where == "service":
        service_name = next(
            (
                b.bet.service
                for s in view.strategies
                for b in s.bets
                if b.bet.id == finding.item and b.bet.service
            ),
            None,
        )
        link = f"/delivery/services/{service_name}" if service_name else "/platform"
    message = finding.message[:1].upper() + finding.message[1:]
    return {"sentence": message.rstrip(".") + ".", "fix": text, "link": link}


templates.env.globals["finding_fix"] = finding_fix


def progress_chart(view: PlanView) -> dict[str, Any] | None:
    """Vega-Lite: each goal's share of the way from baseline to target, with a tick where the line says it
    should be by now."""
    rows = [
        {
            "goal": f"{g.goal.id}",
            "progress": round(100 * g.assessment.progress, 1),
            "expected": round(100 * (g.assessment.expected_progress or 0), 1),
            "status": g.assessment.status.value,
        }
        for g in view.goals
        if g.assessment.progress is not None
    ]
    if not rows:
        return None
    y = {"field": "goal", "type": "nominal", "sort": None, "title": None}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": "Progress from baseline to target (%), tick: where the plan line is today",
        "width": "container",
        "height": {"step": 26},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "y": y,
                    "x": {"field": "progress", "type": "quantitative", "title": "% of the way to target"},
                    "color": {
                        "field": "status",
                        "type": "nominal",
                        "scale": {
                            "domain": ["on track", "at risk", "off track"],
                            "range": ["#1a7f37", "#9a6700", "#c62828"],
                        },
                    },
                },
            },
            {
                "mark": {"type": "tick", "color": "#1b1f24", "thickness": 2},
                "encoding": {"y": y, "x": {"field": "expected", "type": "quantitative"}},
            },
        ],
    }


def plan_context(view: PlanView, session: Any, db: Any = None) -> dict[str, Any]:
    loop_state = loop.assess_cached(db, view) if db is not None else None
    return {
        "view": view,
        "plans": service.list_plans(session),
        "progress_chart": progress_chart(view),
        "loop_state": loop_state,
        "story": story.tell_cached(db, view, loop_state) if db is not None else [],
    }


def relied_on(request: Request, kind: str, name: str) -> list[loop.Reliance]:
    """For an evidence page (experiment, service, stream, system): the bets and goals that rely on it."""
    return loop.relying_on_cached(request.app.state.db, kind, name)


templates.env.globals["relied_on"] = relied_on


# --- pages ------------------------------------------------------------------------------------------------


@router.get("/strategy", include_in_schema=False)
def index(request: Request, session: DbSession) -> Any:
    return page(
        request,
        "strategy/index.html",
        "plan",
        plans=service.list_plans(session),
        series=service.manual_series_names(session),
    )


@router.get("/strategy/plans/{key}", include_in_schema=False)
def plan_page(
    request: Request, key: str, db: DB, as_of: str | None = None, version: int | None = None
) -> Any:
    view = service.evaluate_cached(db, key, as_of=_as_of(as_of), version=version)
    with db.session() as session:
        context = plan_context(view, session, db)
    return page(request, "strategy/plan.html", "plan", **context)


@router.get("/strategy/plans/{key}/goals/{goal_id}", include_in_schema=False)
def goal_page(request: Request, key: str, goal_id: str, db: DB, as_of: str | None = None) -> Any:
    view = service.evaluate(db, key, as_of=_as_of(as_of))
    goal = next((g for g in view.goals if g.goal.id == goal_id), None)
    if goal is None:
        raise NotFoundError(f"goal in plan {key}", goal_id)
    rows = [
        {"at": str(d), "value": v, "series": "measured"}
        for d, v in (goal.series.points if goal.series else ())
    ]
    g = goal.goal
    if g.is_guardrail and rows:
        rows += [
            {"at": rows[0]["at"], "value": g.target_value, "series": "limit"},
            {"at": str(g.target_by or rows[-1]["at"]), "value": g.target_value, "series": "limit"},
        ]
    elif g.baseline_value is not None and g.baseline_at is not None and g.target_by is not None:
        rows += [
            {"at": str(g.baseline_at), "value": g.baseline_value, "series": "plan line"},
            {"at": str(g.target_by), "value": g.target_value, "series": "plan line"},
        ]
    chart = line_chart(rows, x="at", y="value", color="series", title=f"{g.id}: {g.statement}", height=260)
    return page(
        request,
        "strategy/goal.html",
        "plan",
        view=view,
        goal=goal,
        goal_chart=chart if rows else None,
        drill=measure_page(g.measure, key, g.id),
    )


@router.get("/strategy/plans/{key}/history", include_in_schema=False)
def history_page(request: Request, key: str, session: DbSession) -> Any:
    return page(
        request,
        "strategy/history.html",
        "plan",
        key=key,
        versions=list(reversed(service.history(session, key))),
        history_line=loop.history_line,
    )


def _replan_form(
    request: Request,
    db: Any,
    key: str,
    *,
    errors: list[str],
    op: str = "",
    values: dict[str, str] | None = None,
) -> Any:
    with db.session() as session:
        stored = service.get_plan(session, key)
    response = page(
        request,
        "strategy/replan.html",
        "plan",
        plan=stored.plan,
        version=stored.version,
        errors=errors,
        op=op,
        values=values or {},
    )
    if errors:
        response.status_code = 422
    return response


@router.get("/strategy/plans/{key}/replan", include_in_schema=False)
def replan_page(request: Request, key: str, db: DB) -> Any:
    return _replan_form(request, db, key, errors=[])


@router.post("/strategy/plans/{key}/replan", include_in_schema=False)
async def replan_submit(request: Request, key: str, db: DB, who: Editor) -> Any:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    op, reason = values.pop("op", ""), values.pop("reason", "")
    try:
        applied = await run_in_threadpool(
            lambda: replan.replan(db, key, op, values, actor=who.name, reason=reason, by=who)
        )
    except MissionOSError as exc:  # shown beside the form, nothing stored
        return _replan_form(
            request, db, key, errors=str(exc).splitlines(), op=op, values={**values, "reason": reason}
        )
    target = f"/strategy/plans/{key}?saved={applied.version if applied.changed else 'unchanged'}"
    return RedirectResponse(target, status_code=303)


@router.get("/strategy/learning", include_in_schema=False)
def learning_page(request: Request, db: DB, plan: str | None = None, as_of: str | None = None) -> Any:
    found = learning.learning(db, plan=plan or None, as_of=_as_of(as_of))
    return page(request, "strategy/learning.html", "plan", learning=found, plan=plan)


@router.get("/strategy/plans/{key}/diff", include_in_schema=False)
def diff_page(
    request: Request,
    key: str,
    session: DbSession,
    old: Annotated[int, Query(alias="from")],
    new: Annotated[int, Query(alias="to")],
) -> Any:
    lines = service.diff_versions(session, key, old, new)
    return page(request, "strategy/diff.html", "plan", key=key, old=old, new=new, lines=lines)


@router.get("/strategy/plans/{key}/report", include_in_schema=False)
def report_page(key: str, db: DB, as_of: str | None = None) -> Response:
    view = service.evaluate(db, key, as_of=_as_of(as_of))
    return HTMLResponse(
        report_html(view),
        headers={"Content-Disposition": f'inline; filename="{key}-{view.as_of}.html"'},
    )


def _edit_form(
    request: Request, *, key: str | None, source: str, errors: list[str], status: int = 200, reason: str = ""
) -> Any:
    response = page(
        request, "strategy/edit.html", "plan", key=key, source=source, errors=errors, reason=reason
    )
    response.status_code = status
    return response


@router.get("/strategy/new", include_in_schema=False)
def new_plan_form(request: Request) -> Any:
    return _edit_form(request, key=None, source=NEW_PLAN, errors=[])


@router.get("/strategy/plans/{key}/edit", include_in_schema=False)
def edit_form(request: Request, key: str, session: DbSession) -> Any:
    return _edit_form(request, key=key, source=service.plan_yaml(session, key), errors=[])


def _save(request: Request, db: Any, who: Principal, key: str | None, source: str, reason: str = "") -> Any:
    try:
        applied = service.apply_plan(
            db, source, source="plan", actor=who.name, expect_key=key, reason=reason, by=who
        )
    except MissionOSError as exc:  # shown beside the text the user wrote, nothing stored
        return _edit_form(
            request, key=key, source=source, errors=str(exc).splitlines(), status=422, reason=reason
        )
    target = f"/strategy/plans/{applied.key}?saved={applied.version if applied.changed else 'unchanged'}"
    return RedirectResponse(target, status_code=303)


@router.post("/strategy/new", include_in_schema=False)
def new_plan(
    request: Request,
    db: DB,
    who: Editor,
    source: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    del csrf_token
    return _save(request, db, who, None, source)


@router.post("/strategy/plans/{key}/edit", include_in_schema=False)
def edit_plan(
    request: Request,
    key: str,
    db: DB,
    who: Editor,
    source: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    del csrf_token
    return _save(request, db, who, key, source, reason)


@router.post("/strategy/plans/{key}/bets/{bet_id}/verdict", include_in_schema=False)
def verdict_form(
    key: str,
    bet_id: str,
    db: DB,
    who: Editor,
    status: Annotated[str, Form()],
    evidence: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    del csrf_token
    service.record_verdict(db, f"{key}/{bet_id}", status, evidence=evidence, actor=who.name)
    return RedirectResponse(f"/strategy/plans/{key}#bet-{bet_id}", status_code=303)


@router.post("/strategy/series/{series}", include_in_schema=False)
def record_form(
    series: str,
    db: DB,
    who: Editor,
    value: Annotated[float, Form()],
    back: Annotated[str, Form()] = "/strategy",
    csrf_token: Annotated[str, Form()] = "",
) -> Any:
    del csrf_token
    service.record_value(db, series, value, dt.datetime.now(dt.UTC), actor=who.name)
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/strategy", 303)


NEW_PLAN = """\
plan: my-plan
title: My plan
objective: One qualitative sentence that says what changes for the people served.
owner: Who answers for it
goals:
  - id: G1
    statement: What is measured, and the number to reach
    measure: {name: delivery.deployment_frequency, scope: {org: null}}
    baseline: {value: 1, at: 2026-01-01}
    target: {value: 5, by: 2026-12-31}
strategies:
  - id: S1
    statement: The choice that serves G1
    serves: [G1]
"""


# --- API --------------------------------------------------------------------------------------------------


@router.get("/api/v1/strategy/plans", tags=["strategy"])
def api_plans(session: DbSession) -> list[dict[str, Any]]:
    """Every stored plan, parents before children, with its place in the cascade and current version."""
    return [
        {
            "plan": p.key,
            "title": p.title,
            "parent": None
            if p.parent_plan is None
            else {"plan": p.parent_plan, "strategy": p.parent_strategy},
            "version": p.version,
            "updated_at": p.updated_at.isoformat(),
        }
        for p in service.list_plans(session)
    ]


@router.get("/api/v1/strategy/plans/{key}", tags=["strategy"])
def api_plan(key: str, db: DB, as_of: str | None = None, version: int | None = None) -> dict[str, Any]:
    """The one-page plan with live goal values and statuses, bet verdicts and findings."""
    return plan_json(service.evaluate(db, key, as_of=_as_of(as_of), version=version))


@router.get("/api/v1/strategy/plans/{key}/versions", tags=["strategy"])
def api_versions(key: str, session: DbSession) -> list[dict[str, Any]]:
    """Every saved version of a plan with what changed since the one before, why (its rationale), and the
    verdicts it cites."""
    return [
        {
            "version": v.version,
            "saved_at": v.saved_at.isoformat(),
            "actor": v.actor,
            "digest": v.digest,
            "changes": list(v.changes),
            "rationale": v.rationale,
            "cites": list(v.evidence),
            "summary": loop.history_line(v.version, v.rationale, v.evidence, v.changes),
        }
        for v in service.history(session, key)
    ]


@router.get("/api/v1/strategy/plans/{key}/loop", tags=["strategy"])
def api_loop(key: str, db: DB, as_of: str | None = None) -> dict[str, Any]:
    """What the verdicts ask of the plan (scale, stop, re-plan, full allocation) and where plan and
    experiment disagree: {"plan", "actions": [prompt], "mismatches": [prompt]}."""
    return loop.assess_plan(db, key, as_of=_as_of(as_of)).as_dict()


class ReplanIn(BaseModel):
    op: str
    reason: str = ""
    fields: dict[str, str] = {}


@router.post("/api/v1/strategy/plans/{key}/replan", tags=["strategy"])
def api_replan(key: str, db: DB, who: Editor, body: ReplanIn) -> dict[str, Any]:
    """Re-plan without YAML: `op` add-bet (fields strategy, id, tests, hypothesis, service, flag or
    deployment, rollout in %, metric, direction, minimum_effect, decide_by), retire-strategy (strategy) or
    change-target (goal, value, by). Stored as a new version of the YAML, with `reason`."""
    applied = replan.replan(db, key, body.op, body.fields, actor=who.name, reason=body.reason, by=who)
    return {
        "plan": applied.key,
        "version": applied.version,
        "changed": applied.changed,
        "changes": list(applied.changes),
        "cites": list(applied.evidence),
    }


@router.get("/api/v1/strategy/learning", tags=["strategy"])
def api_learning(db: DB, plan: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """Learning speed: days from each bet's start to its verdict and the share decided by the decision date,
    per team plan and per strategy (metrics.md §4)."""
    return learning.learning(db, plan=plan, as_of=_as_of(as_of)).as_dict()


@router.get("/api/v1/strategy/relied-on/{kind}/{name}", tags=["strategy"])
def api_relied_on(kind: str, name: str, db: DB) -> list[dict[str, Any]]:
    """The bets and goals that rely on an experiment, service, stream or system."""
    if kind not in loop.EVIDENCE_KINDS:
        raise FieldError("kind", f"one of {', '.join(loop.EVIDENCE_KINDS)}")
    return [r.as_dict() for r in loop.relying_on(db, kind, name)]


@router.get("/api/v1/strategy/plans/{key}/diff", tags=["strategy"])
def api_diff(
    key: str,
    session: DbSession,
    old: Annotated[int, Query(alias="from")],
    new: Annotated[int, Query(alias="to")],
) -> dict[str, Any]:
    """What changed between two versions, in plan terms."""
    return {"plan": key, "from": old, "to": new, "changes": service.diff_versions(session, key, old, new)}


YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string", "description": "The plan file (YAML)."}}
        },
    }
}


async def _yaml_text(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FieldError("body", "UTF-8 YAML text") from None


@router.post("/api/v1/strategy/check", tags=["strategy"], openapi_extra=YAML_BODY)
async def api_check(request: Request, db: DB, as_of: str | None = None) -> dict[str, Any]:
    """The litmus check of a plan file: {"plan", "findings": [{"rule", "item", "message"}], "replan"}."""
    text = await _yaml_text(request)
    result = await run_in_threadpool(service.check_text, db, text, source="plan", as_of=_as_of(as_of))
    return result.as_dict()


@router.post("/api/v1/strategy/plans", tags=["strategy"], openapi_extra=YAML_BODY)
async def api_apply(request: Request, db: DB, who: Editor, reason: str = "") -> dict[str, Any]:
    """Apply a plan file: a new version when it changed, nothing when it did not. `reason` says why; the new
    version cites the verdicts learned since the last one."""
    text = await _yaml_text(request)
    applied = await run_in_threadpool(
        lambda: service.apply_plan(db, text, source="plan", actor=who.name, reason=reason, by=who)
    )
    return {
        "plan": applied.key,
        "version": applied.version,
        "changed": applied.changed,
        "changes": list(applied.changes),
        "cites": list(applied.evidence),
    }


class ManualValueIn(BaseModel):
    value: float
    at: dt.datetime | None = None


@router.post("/api/v1/strategy/series/{series}", tags=["strategy"])
def api_record(series: str, db: DB, who: Editor, body: ManualValueIn) -> dict[str, Any]:
    """Record a value of a manual series (time with an offset; default now)."""
    at = body.at or dt.datetime.now(dt.UTC)
    changed = service.record_value(db, series, body.value, at, actor=who.name)
    return {
        "series": series,
        "value": body.value,
        "at": at.astimezone(dt.UTC).isoformat(),
        "changed": changed,
    }


class VerdictIn(BaseModel):
    bet: str
    status: str
    evidence: str = ""


@router.post("/api/v1/strategy/verdicts", tags=["strategy"])
def api_verdict(db: DB, who: Editor, body: VerdictIn) -> dict[str, Any]:
    """Record a bet's verdict by hand (PLAN/BET, a bet id or an experiment key)."""
    plan_key, bet_id = service.record_verdict(
        db, body.bet, body.status, evidence=body.evidence, actor=who.name
    )
    return {"plan": plan_key, "bet": bet_id, "status": body.status}
