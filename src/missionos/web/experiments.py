"""The experiments pages (/experiments, /experiments/flags), the JSON API (/api/v1/experiments, flags,
exposures, events), the GrowthBook SDK endpoint (/api/features/{client_key}) and OpenFeature's remote
evaluation protocol (/ofrep/v1)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from missionos import experiments as service
from missionos import safeload
from missionos import strategy as strategy_service
from missionos.accounts import audit
from missionos.errors import FieldError, InputError, NotFoundError
from missionos.experiments import ofrep, sticky
from missionos.store import Database
from missionos.web.charts import line_chart
from missionos.web.deps import DB, DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Viewer = Annotated[Principal, Depends(require("viewer"))]

STATUS_BADGE = {
    "validated": "good",
    "invalidated": "bad",
    "invalid": "bad",
    "inconclusive": "warn",
    "too early": "",
}


# --- pages -------------------------------------------------------------------------------------------------


@router.get("/experiments", include_in_schema=False)
def index(request: Request, db: DB) -> Any:
    today = strategy_service.today()
    rows = [
        {
            **row,
            "badge": STATUS_BADGE.get(row["analysis"].verdict.status, ""),
            "plot": Markup(row["plot"]),  # every text in it is escaped by the renderer
        }
        for row in service.experiments_overview(db, today, _bets_by_experiment)
    ]
    return page(request, "experiments/index.html", "experiments", rows=rows, today=today)


def _bets_by_experiment(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The bets of the stored plans' current versions that name an experiment (by its key, as the strategy
    context's `find_bet` does), with their strategy and decision date."""
    found: dict[str, list[dict[str, Any]]] = {}
    for summary in strategy_service.list_plans(session):
        plan = strategy_service.get_plan(session, summary.key).plan
        for bet in plan.bets:
            if not bet.flag:
                continue
            strategy = plan.strategy(bet.strategy)
            found.setdefault(bet.flag, []).append(
                {
                    "plan": plan.key,
                    "plan_title": plan.title,
                    "bet": bet.id,
                    "strategy": bet.strategy,
                    "statement": strategy.statement if strategy else "",
                    "decide_by": bet.decide_by,
                }
            )
    return found


@router.get("/experiments/flags", include_in_schema=False)
def flags_page(request: Request, session: DbSession, who: Viewer) -> Any:
    flags = service.visible(session, who, service.list_flags(session))
    return page(request, "experiments/flags.html", "experiments", flags=flags)


@router.get("/experiments/flags/{key}", include_in_schema=False)
def flag_page(request: Request, key: str, session: DbSession, who: Viewer) -> Any:
    service.require_flag(session, who, key, "viewer")
    flag = service.get_flag(session, key)
    history = service.flag_history(session, key)
    entries = audit.entries(session, kind="flag", key=key, limit=50)
    return page(
        request,
        "experiments/flag.html",
        "experiments",
        flag=flag,
        history=history,
        audit_entries=entries,
        definition=json.dumps(flag.definition, indent=2),
        error=request.query_params.get("error"),
    )


@router.post("/experiments/flags/{key}/rollout", include_in_schema=False)
def flag_rollout_form(
    key: str,
    session: DbSession,
    who: Annotated[Principal, Depends(require("editor"))],
    percent: Annotated[float, Form()],
) -> Any:
    if not 0 <= percent <= 100:
        raise FieldError("percent", "a percentage between 0 and 100")
    service.require_flag(session, who, key, "editor")
    service.set_rollout(session, key, percent / 100, actor=who.name)
    return RedirectResponse(f"/experiments/flags/{key}", status_code=303)


@router.post("/experiments/flags/{key}/definition", include_in_schema=False)
def flag_definition_form(
    key: str,
    session: DbSession,
    who: Annotated[Principal, Depends(require("editor"))],
    definition: Annotated[str, Form()],
) -> Any:
    try:
        parsed = safeload.loads_json(definition, source="definition")
    except json.JSONDecodeError as exc:
        raise InputError(
            f"expected a JSON feature definition ({exc.msg})", source="definition", line=exc.lineno
        ) from None
    service.require_flag(session, who, key, "editor")
    current = service.get_flag(session, key)
    if not isinstance(parsed, dict):
        raise FieldError("definition", "a JSON object with defaultValue and rules")
    doc = service.validate_flag(
        {"key": key, "service": current.service, "description": current.description, **parsed}, "definition"
    )
    service.save_flag(session, doc, actor=who.name, comment="edited on the web")
    return RedirectResponse(f"/experiments/flags/{key}", status_code=303)


@router.get("/experiments/{key}", include_in_schema=False)
def experiment_page(request: Request, key: str, db: DB, who: Viewer) -> Any:
    with db.session() as session:
        service.require_experiment(session, who, key, "viewer")
    today = strategy_service.today()
    analysis, days = service.experiment_figures(db, key, today)
    exposure_chart = line_chart(
        days, x="day", y="units", color="variation", title="New units exposed per day"
    )
    intervals = [_interval_chart(m) for m in analysis.metrics if m.comparisons]
    flag = None
    if analysis.experiment.flag_key:
        with db.session() as session:
            try:
                flag = service.get_flag(session, analysis.experiment.flag_key)
            except NotFoundError:
                flag = None
    return page(
        request,
        "experiments/experiment.html",
        "experiments",
        a=analysis,
        flag=flag,
        exposure_chart=exposure_chart,
        intervals=intervals,
        badge=STATUS_BADGE.get(analysis.verdict.status, ""),
    )


def _interval_chart(metric: service.MetricResult) -> dict[str, Any]:
    """A Vega-Lite interval (forest) plot of each variation's relative lift with its interval, and zero."""
    rows = [
        {
            "variation": c.variation,
            "lift": c.relative.effect,
            "lo": c.relative.ci[0],
            "hi": c.relative.ci[1],
        }
        for c in metric.comparisons
    ]
    return {
        "id": f"ci-{metric.metric.key}",
        "label": f"Relative lift of {metric.metric.name} with its interval",
        "spec": {
            "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "title": f"{metric.metric.name}: relative lift",
            "width": "container",
            "height": 30 + 30 * len(rows),
            "data": {"values": rows},
            "layer": [
                {
                    "mark": {"type": "rule", "strokeWidth": 3},
                    "encoding": {
                        "y": {"field": "variation", "type": "nominal", "title": None},
                        "x": {
                            "field": "lo",
                            "type": "quantitative",
                            "axis": {"format": "+%"},
                            "title": "lift",
                        },
                        "x2": {"field": "hi"},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 80},
                    "encoding": {
                        "y": {"field": "variation", "type": "nominal"},
                        "x": {"field": "lift", "type": "quantitative"},
                        "tooltip": [
                            {"field": "lift", "format": "+.2%"},
                            {"field": "lo", "format": "+.2%"},
                            {"field": "hi", "format": "+.2%"},
                        ],
                    },
                },
                {"mark": {"type": "rule", "strokeDash": [4, 4]}, "encoding": {"x": {"datum": 0}}},
            ],
        },
    }


# --- JSON API ----------------------------------------------------------------------------------------------


@router.get("/api/v1/experiments", tags=["experiments"])
def api_experiments(session: DbSession, who: Viewer) -> list[dict[str, Any]]:
    """Every experiment's design (of the caller's teams)."""
    return [e.as_dict() for e in service.visible(session, who, service.list_experiments(session))]


@router.get("/api/v1/experiments/sticky-buckets", tags=["experiments"])
def api_sticky_buckets(
    session: DbSession,
    who: Annotated[Principal, Depends(require("viewer"))],
    attribute: str | None = None,
    value: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Stored sticky-bucket documents (GrowthBook's shape, with `updatedAt`), optionally of one attribute
    and/or one value: which variation each user is kept in."""
    del who
    return [
        d.as_dict() for d in sticky.list_documents(session, attribute=attribute, value=value, limit=limit)
    ]


@router.get("/api/v1/experiments/{key}", tags=["experiments"])
def api_experiment(
    key: str,
    db: DB,
    who: Viewer,
    prior_mean: Annotated[float | None, Query(allow_inf_nan=False)] = None,
    prior_variance: Annotated[float | None, Query(gt=0, allow_inf_nan=False)] = None,
) -> dict[str, Any]:
    """An experiment's analysis: exposures, SRM, metrics, verdict and power (as `analyze --format json`).
    With `prior_variance` (and optionally `prior_mean`), a Bayesian analysis uses that proper Gaussian prior
    on the relative lift."""
    if prior_mean is not None and prior_variance is None:
        raise FieldError("prior_variance", "a positive variance with prior_mean, e.g. 0.09")
    with db.session() as session:
        service.require_experiment(session, who, key, "viewer")
    prior = (prior_mean or 0.0, prior_variance) if prior_variance is not None else None
    return service.analyze(db, key, prior=prior).as_dict()


@router.get("/api/v1/flags", tags=["experiments"])
def api_flags(session: DbSession, who: Viewer) -> list[dict[str, Any]]:
    """Every flag (of the caller's teams) with its current definition and version."""
    return [f.as_dict() for f in service.visible(session, who, service.list_flags(session))]


@router.get("/api/v1/flags/{key}/history", tags=["experiments"])
def api_flag_history(key: str, session: DbSession, who: Viewer) -> list[dict[str, Any]]:
    """Every version of a flag, newest first."""
    service.require_flag(session, who, key, "viewer")
    return [v.as_dict() for v in service.flag_history(session, key)]


@router.put("/api/v1/flags/{key}", tags=["experiments"])
def api_put_flag(
    key: str,
    session: DbSession,
    who: Annotated[Principal, Depends(require("editor"))],
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    """Create or update a flag from a GrowthBook feature definition (`defaultValue`, `rules`)."""
    doc = service.validate_flag({**body, "key": key}, "body")
    service.require_flag(session, who, key, "editor", new_service=doc.get("service"))
    change = service.save_flag(session, doc, actor=who.name, comment=str(body.get("comment") or ""))
    return {"key": change.key, "action": change.action, "version": change.version}


@router.post("/api/v1/exposures", tags=["experiments"])
def api_exposures(
    session: DbSession,
    who: Annotated[Principal, Depends(require("editor"))],
    body: Annotated[list[dict[str, Any]], Body()],
) -> dict[str, int]:
    """A batch of exposures `{experiment, unit_id, variation, timestamp}`: all stored, or none."""
    for key in sorted({str(r.get("experiment")) for r in body if isinstance(r.get("experiment"), str)}):
        service.require_experiment(session, who, key, "editor")
    return service.import_exposures(session, [(i, r) for i, r in enumerate(body)], source="body")


@router.post("/api/v1/events", tags=["experiments"])
def api_events(
    session: DbSession,
    who: Annotated[Principal, Depends(require("editor"))],
    body: Annotated[list[dict[str, Any]], Body()],
) -> dict[str, int]:
    """A batch of metric events `{unit_id, event, value?, timestamp, id?}`: all stored, or none."""
    del who
    return service.import_events(session, [(i, r) for i, r in enumerate(body)], source="body")


@router.get("/api/features/{client_key}", tags=["sdk"])
def sdk_features(client_key: str, session: DbSession) -> JSONResponse:
    """The GrowthBook SDK payload for `client_key` (encrypted when the key has an encryption key)."""
    return JSONResponse(service.sdk_payload(session, client_key), headers={"Cache-Control": "max-age=30"})


# --- OpenFeature Remote Evaluation Protocol ----------------------------------------------------------------


OFREP_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"context": {"type": "object", "additionalProperties": True}},
            },
            "example": {"context": {"targetingKey": "user-1", "country": "US"}},
        }
    },
}


@router.post("/ofrep/v1/evaluate/flags/{key}", tags=["ofrep"], openapi_extra={"requestBody": OFREP_BODY})
async def ofrep_single(key: str, request: Request, db: DB) -> JSONResponse:
    """Evaluate one flag for `{"context": {...}}` (OFREP). A body that is not JSON is a 400 with `errorCode`
    `PARSE_ERROR`; an unreadable context a 400 with `INVALID_CONTEXT`; a flag that splits users by a
    `targetingKey` the context lacks a 400 with `TARGETING_KEY_MISSING`."""
    try:
        body = ofrep.parse_body(await request.body())
    except ofrep.ParseError as exc:
        return JSONResponse(ofrep.parse_error(exc.details, key), status_code=400)
    # The evaluation reads and writes the database: off the event loop.
    return await run_in_threadpool(_ofrep_single, db, key, body)


def _ofrep_single(db: Database, key: str, body: Any) -> JSONResponse:
    with db.session() as session:
        try:
            context = ofrep.context_of(body)
            result = service.ofrep_flag(session, key, context)
        except FieldError as exc:
            return JSONResponse(ofrep.invalid_context(exc, key), status_code=400)
    status = 404 if result.get("errorCode") == "FLAG_NOT_FOUND" else 400 if "errorCode" in result else 200
    return JSONResponse(result, status_code=status)


@router.post("/ofrep/v1/evaluate/flags", tags=["ofrep"], openapi_extra={"requestBody": OFREP_BODY})
async def ofrep_bulk(request: Request, db: DB) -> Response:
    """Evaluate every flag for `{"context": {...}}` (OFREP bulk); answers 304 when If-None-Match matches,
    400 with `errorCode` `PARSE_ERROR` when the body is not JSON and `INVALID_CONTEXT` when the context cannot
    be read. A flag that cannot be evaluated for this user is an error item in `flags`, never a failed
    answer."""
    try:
        body = ofrep.parse_body(await request.body())
    except ofrep.ParseError as exc:
        return JSONResponse(ofrep.parse_error(exc.details), status_code=400)
    return await run_in_threadpool(_ofrep_bulk, db, body, request.headers.get("if-none-match"))


def _ofrep_bulk(db: Database, body: Any, if_none_match: str | None) -> Response:
    with db.session() as session:
        try:
            context = ofrep.context_of(body)
            flags, etag = service.ofrep_flags(session, context, if_none_match)
        except FieldError as exc:
            return JSONResponse(ofrep.invalid_context(exc), status_code=400)
    if flags is None:
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse({"flags": flags}, headers={"ETag": etag})
