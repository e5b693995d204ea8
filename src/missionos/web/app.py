"""The FastAPI application: pages, the JSON API under /api/v1, and problem-details errors."""

from __future__ import annotations

import gc
import importlib
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from missionos import __version__, measures
from missionos.contexts import routers
from missionos.errors import MissionOSError
from missionos.ingest import Processor
from missionos.store import Database, open_database
from missionos.web import api, pages
from missionos.web.deps import HERE, templates
from missionos.web.rendering import done_rendering, rendering_for
from missionos.web.security import SecurityConfig, SecurityMiddleware

# Each context's router modules (`missionos.contexts`); a context's pages live under /<context> and its API
# under /api/v1/<context>.
CONTEXT_ROUTERS = routers()
PROBLEM = "application/problem+json"
_TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    429: "Too many requests",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(
        ("/api/", "/hooks/", "/ofrep/")
    ) or "text/html" not in request.headers.get("accept", "")


def _problem(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    if _wants_json(request):
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
        return JSONResponse(body, status_code=status, media_type=PROBLEM)
    reset = rendering_for(request)
    try:
        html = templates.get_template("error.html").render(
            request=request, section="", status=status, title=title, detail=detail
        )
    finally:
        done_rendering(reset)
    return HTMLResponse(html, status_code=status)


WARM_UP_WAIT = 10.0


def create_app(db: Database | None = None, security: SecurityConfig | None = None) -> FastAPI:
    """The web application over `db` (default: the configured database, upgraded).

    It keeps no state of its own between requests (sessions are signed cookies, rate limits and secrets live
    in the database), so any number of worker processes or hosts can serve one PostgreSQL database.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "freeze_gc", False):
            # What start-up loaded (modules, templates, the app) lives as long as the worker. Moved out of the
            # collector's sight, full collections no longer walk it: a page computed afresh on a big
            # organization had its p95 halved (`make bench BENCH=pages`).
            gc.collect()
            gc.freeze()
        if getattr(app.state, "warm_up", False):
            # The home page's plan is computed as the worker starts, so the first person to open a page after
            # a start waits neither for every measure nor for this computation running beside their request.
            # Past WARM_UP_WAIT seconds (a very large organization) the worker answers while it finishes; a
            # request for the home page then waits for it rather than repeating it.
            warming = threading.Thread(
                target=pages.warm_up, args=(app.state.db,), name="warm-up", daemon=True
            )
            warming.start()
            warming.join(WARM_UP_WAIT)
        if os.environ.get("MISSIONOS_HOOKS_PROCESSOR", "worker") == "external":
            yield  # `missionos hooks process --follow` processes the deliveries in its own process
            return
        processor = Processor(app.state.db)
        app.state.hooks_processor = processor
        processor.start()
        processor.wake.set()  # deliveries left by a worker that died are picked up at start
        try:
            yield
        finally:
            processor.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Mission OS",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        # The API reference is server-rendered (/api/v1/docs): Swagger UI needs a CDN and inline script.
        docs_url=None,
        redoc_url=None,
    )
    app.state.db = db or open_database()
    app.state.security = security or SecurityConfig.from_env()
    app.add_middleware(SecurityMiddleware, db=app.state.db, config=app.state.security)
    measures.load_publishers()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    for module in CONTEXT_ROUTERS:
        try:
            app.include_router(importlib.import_module(module).router)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise

    @app.exception_handler(MissionOSError)
    async def mission_error(request: Request, exc: MissionOSError) -> Response:
        body = exc.problem()
        return _problem(
            request,
            exc.status,
            body.pop("title"),
            body.pop("detail"),
            **{k: v for k, v in body.items() if k not in ("status",)},
        )

    @app.exception_handler(OverflowError)
    async def number_out_of_range(request: Request, exc: OverflowError) -> Response:
        # A number in the path or query too large for the database or a date (ids, versions, days).
        return _problem(request, 422, "Invalid request", f"a number in the request is out of range ({exc})")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "expected": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['expected']}" for e in errors)
        return _problem(request, 422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        extra_headers = getattr(exc, "headers", None) or {}
        response = _problem(
            request, exc.status_code, _TITLES.get(exc.status_code, str(exc.detail)), str(exc.detail)
        )
        response.headers.update(extra_headers)
        if exc.status_code == 401:
            response.headers.setdefault("www-authenticate", 'Bearer realm="missionos"')
        return response

    return app


def create_server_app() -> FastAPI:
    """The app as each `missionos serve` worker runs it: `create_app()`, with start-up's objects frozen out of
    the garbage collector's full collections and the home page's figures computed as it starts (not in tests,
    where many apps come and go in one process)."""
    app = create_app()
    app.state.freeze_gc = True
    app.state.warm_up = True
    return app
