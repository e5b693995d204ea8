"""Request-scoped helpers shared by every router: the database, templates and chart specs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from missionos import __version__
from missionos.links import is_safe_link
from missionos.store import Database
from missionos.web.rendering import CsrfToken, done_rendering, rendering_for, template_principal

HERE = Path(__file__).resolve().parent
# Autoescaping is on for every template, whatever its extension; JSON in attributes goes through `tojson`.
templates = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
)
templates.env.globals["version"] = __version__
# `csrf_field()` renders `csrf_token`; both read the request being rendered (see `page`).
templates.env.globals["csrf_token"] = CsrfToken()
templates.env.globals["current_principal"] = template_principal
# `{% if url is safe_link %}<a href=...>`: only http(s) and links within the site become links.
templates.env.tests["safe_link"] = is_safe_link

NAV = (
    ("plan", "Plan", "/"),
    ("delivery", "Delivery", "/delivery"),
    ("flow", "Flow", "/flow"),
    ("experiments", "Experiments", "/experiments"),
    ("compliance", "Compliance", "/compliance"),
    ("friction", "Friction", "/friction"),
    ("maps", "Maps", "/maps"),
    ("platform", "Platform", "/platform"),
    ("org", "Organization", "/org"),
)
templates.env.globals["nav"] = NAV


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    """A session committed when the request handler returns, rolled back whole if it raises.

    It is used with `scope="function"`, so the commit happens before the answer is sent: a client that
    reads right after an acknowledged write, or a browser following a redirect, sees what it wrote."""
    with db.session() as session:
        yield session


DB = Annotated[Database, Depends(get_db)]
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def page(request: Request, template: str, section: str, **context: Any) -> Any:
    """Render `template` inside the base layout with `section` highlighted in the navigation bar.

    The request's CSRF token and principal are bound while it renders, so `csrf_field()` and the account
    menu work in every template."""
    reset = rendering_for(request)
    try:
        return templates.TemplateResponse(request, template, {"section": section, **context})
    finally:
        done_rendering(reset)
