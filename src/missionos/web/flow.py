"""The flow pages (/flow) and API (/api/v1/flow)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from missionos import flow as service
from missionos import times
from missionos.errors import FieldError
from missionos.flow import DAY, StreamFigures, glance, percentile, vsm
from missionos.measures import Window
from missionos.web.deps import DbSession, page
from missionos.web.security import Principal, require

router = APIRouter()
Viewer = Annotated[Principal, Depends(require("viewer"))]
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def _window(since: str | None, until: str | None, days: int = 90) -> Window:
    """The page's window: ISO dates (until exclusive); default the last `days` days."""

    def parse(text: str, name: str) -> dt.datetime:
        try:
            moment = times.read_iso(text)
        except ValueError:
            raise FieldError(name, "an ISO 8601 date such as 2026-01-31") from None
        return times.as_utc(moment)

    end = parse(until, "until") if until else None
    start = parse(since, "since") if since else None
    return times.window(start, end, default_days=days, field="since", expected="a date before until")


def _cfd_caption(view: service.StreamView) -> str:
    """The cumulative-flow chart in plain words: which state grows, and how many items got done."""
    changes = view.cfd_changes()
    done = view.cfd_done()
    if not changes:
        return "No item moved in this window."
    status, first, last = changes[0]
    if last > first:
        text = (
            f"Work piles up in “{status}”: {first} item{'' if first == 1 else 's'} there on the first day, "
            f"{last} on the last. "
            "A band that widens is a queue growing; "
        )
    else:
        text = "No state's band widens: work is not piling up anywhere; "
    return text + f"the done band grew by {done} items over the window."


def _constraint_sentence(figures: StreamFigures) -> str:
    if not figures.constraint:
        return "No item was done in this window, so there is no constraint to name."
    step, share = figures.constraint[0]
    found = next(s for s in figures.steps if s.name == step)
    return (
        f"The constraint is {step}: it takes {share * 100:.0f}% of the time items spend in the steps. "
        f"A typical item waits {vsm.duration(found.wait_before_hours)} before it and is worked on for "
        f"{vsm.duration(found.process_time_hours)} in it."
    )


@router.get("/flow", include_in_schema=False)
def index(request: Request, session: DbSession, who: Viewer) -> Any:
    window = _window(None, None)
    rows = []
    for stream in service.visible_streams(session, who):
        figures, weeks = service.stream_glance(session, stream.name, window)
        rows.append(
            {
                "stream": stream,
                "figures": figures,
                "sentence": _constraint_sentence(figures),
                "strip": Markup(glance.time_strip(figures)),  # every text in it is escaped by the renderer
                "weeks": Markup(glance.weekly_bars(stream.name, weeks)),
            }
        )
    return page(request, "flow/index.html", "flow", rows=rows, window=window, percent=vsm.percent)


@router.get("/flow/streams/{name}", include_in_schema=False)
def stream_page(
    request: Request,
    name: str,
    session: DbSession,
    who: Viewer,
    since: str | None = None,
    until: str | None = None,
) -> Any:
    service.require_stream(session, who, name)
    window = _window(since, until)
    view = service.stream_view(session, name, window)
    figures = view.figures
    svg = Markup(vsm.render(figures))  # every text in it is escaped by the renderer
    return page(
        request,
        "flow/stream.html",
        "flow",
        view=view,
        figures=figures,
        window=window,
        svg=svg,
        sentence=_constraint_sentence(figures),
        cfd_caption=_cfd_caption(view),
        charts=_charts(view),
        duration=vsm.duration,
        percent=vsm.percent,
        since=window.since.date().isoformat(),
        until=window.until.date().isoformat(),
    )


def _charts(view: service.StreamView) -> dict[str, dict[str, Any]]:
    days = [d.date().isoformat() for d in view.cfd_days]
    order = list(view.cfd)
    cfd_rows = [
        {"day": day, "status": status, "items": counts[k], "order": order.index(status)}
        for status, counts in view.cfd.items()
        for k, day in enumerate(days)
    ]
    cfd = {
        "$schema": SCHEMA,
        "title": "Cumulative flow (items in each status at the end of each day)",
        "width": "container",
        "height": 260,
        "data": {"values": cfd_rows},
        "mark": {"type": "area", "tooltip": True},
        "encoding": {
            "x": {"field": "day", "type": "temporal", "title": None},
            "y": {"field": "items", "type": "quantitative", "stack": "zero", "title": "items"},
            "color": {"field": "status", "type": "nominal", "sort": order, "scale": {"scheme": "tableau20"}},
            "order": {"field": "order", "type": "quantitative", "sort": "descending"},
        },
    }
    times = [(f.flow_time or 0.0) / DAY for f in view.done]
    p50, p85 = percentile(times, 50), percentile(times, 85)
    scatter_rows = [
        {
            "done": dt.datetime.fromtimestamp(f.done or 0.0, dt.UTC).isoformat(),
            "days": round((f.flow_time or 0.0) / DAY, 2),
            "item": f.item.id,
            "type": f.item.type,
            "url": f"/flow/items/{f.item.source}/{f.item.id}",
        }
        for f in view.done
    ]
    rules = [{"label": "median", "days": p50}, {"label": "85th percentile", "days": p85}] if times else []
    scatter = {
        "$schema": SCHEMA,
        "title": "Flow time of each item done (with median and 85th percentile)",
        "width": "container",
        "height": 260,
        "layer": [
            {
                "data": {"values": scatter_rows},
                "mark": {"type": "point", "filled": True, "tooltip": True},
                "encoding": {
                    "x": {"field": "done", "type": "temporal", "title": "done"},
                    "y": {"field": "days", "type": "quantitative", "title": "flow time (days)"},
                    "color": {"field": "type", "type": "nominal"},
                    "href": {"field": "url"},
                    "tooltip": [{"field": "item"}, {"field": "days"}, {"field": "type"}],
                },
            },
            {
                "data": {"values": rules},
                "mark": {"type": "rule", "strokeDash": [6, 4]},
                "encoding": {"y": {"field": "days", "type": "quantitative"}, "tooltip": [{"field": "label"}]},
            },
        ],
    }
    aging_rows = [
        {
            "item": a.item,
            "age": round(a.age_days, 2),
            "status": a.status or "",
            "over": "past the 85th percentile" if a.over_p85 else "within",
        }
        for a in view.figures.aging_wip
    ]
    aging = {
        "$schema": SCHEMA,
        "title": "Aging work in progress (days since start)",
        "width": "container",
        "height": {"step": 14},
        "data": {"values": aging_rows},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "y": {"field": "item", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "age", "type": "quantitative", "title": "age (days)"},
            "color": {
                "field": "over",
                "type": "nominal",
                "scale": {"domain": ["within", "past the 85th percentile"], "range": ["#1f5fa8", "#c62828"]},
                "title": None,
            },
            "tooltip": [{"field": "item"}, {"field": "status"}, {"field": "age"}],
        },
    }
    dist_rows = [
        {"week": w.week.date().isoformat(), "type": t, "items": n}
        for w in view.weeks
        for t, n in w.by_type.items()
        if n
    ]
    distribution = {
        "$schema": SCHEMA,
        "title": "Flow distribution: items done each week by type",
        "width": "container",
        "height": 220,
        "data": {"values": dist_rows},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "week", "type": "temporal", "timeUnit": "yearmonthdate", "title": "week"},
            "y": {"field": "items", "type": "quantitative", "stack": "zero"},
            "color": {"field": "type", "type": "nominal", "sort": ["feature", "defect", "risk", "debt"]},
        },
    }
    trend_rows = []
    for w in view.weeks:
        day = w.week.date().isoformat()
        trend_rows.append(
            {"week": day, "measure": "flow time median (days)", "value": w.flow_time_median_days}
        )
        trend_rows.append({"week": day, "measure": "velocity (items/week)", "value": w.items_done})
        trend_rows.append({"week": day, "measure": "load (mean items)", "value": w.load_mean})
        eff = None if w.flow_efficiency is None else round(w.flow_efficiency * 100, 1)
        trend_rows.append({"week": day, "measure": "flow efficiency (%)", "value": eff})
    trends = {
        "$schema": SCHEMA,
        "title": "Flow trends by week",
        "data": {"values": trend_rows},
        "facet": {"row": {"field": "measure", "type": "nominal", "title": None}},
        "resolve": {"scale": {"y": "independent"}},
        "spec": {
            "width": 480,
            "height": 80,
            "mark": {"type": "line", "point": True, "tooltip": True},
            "encoding": {
                "x": {"field": "week", "type": "temporal", "title": None},
                "y": {"field": "value", "type": "quantitative", "title": None},
            },
        },
    }
    return {"cfd": cfd, "scatter": scatter, "aging": aging, "distribution": distribution, "trends": trends}


@router.get("/flow/streams/{name}/vsm.svg", include_in_schema=False)
def stream_svg(
    name: str, session: DbSession, who: Viewer, since: str | None = None, until: str | None = None
) -> Response:
    service.require_stream(session, who, name)
    figures = service.stream_metrics(session, name, _window(since, until))
    return Response(vsm.render(figures), media_type="image/svg+xml")


@router.get("/flow/streams/{name}/items", include_in_schema=False)
def items_page(
    request: Request, name: str, session: DbSession, who: Viewer, state: str = "all", step: str | None = None
) -> Any:
    service.require_stream(session, who, name)
    if state not in ("all", "done", "wip"):
        raise FieldError("state", "all, done or wip")
    stream = service.get_stream(session, name)
    rows = service.stream_items(session, name, state=state, step=step)
    return page(request, "flow/items.html", "flow", stream=stream, rows=rows, state=state, step=step)


@router.get("/flow/items/{source}/{key}", include_in_schema=False)
def item_page(request: Request, source: str, key: str, session: DbSession) -> Any:
    detail = service.item_detail(session, source, key)
    return page(request, "flow/item.html", "flow", detail=detail, day=DAY, hour=3600.0, moment=_moment)


def _moment(ts: float | None) -> str:
    return "—" if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@router.get("/api/v1/flow/streams", tags=["flow"])
def api_streams(session: DbSession, who: Viewer) -> list[dict[str, Any]]:
    """Every value stream (of the caller's teams) with its steps and done statuses."""
    return [s.as_dict() for s in service.visible_streams(session, who)]


@router.get("/api/v1/flow/streams/{name}/metrics", tags=["flow"])
def api_metrics(
    name: str, session: DbSession, who: Viewer, since: str | None = None, until: str | None = None
) -> dict[str, Any]:
    """The stream's flow metrics and value-stream-map figures (the `flow metrics --format json` document)."""
    service.require_stream(session, who, name)
    return service.stream_metrics(session, name, _window(since, until)).as_dict()
