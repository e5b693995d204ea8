"""What a template rendered now knows of its request: the CSRF token and the principal.

The security middleware binds both for the whole request (`bind`); a page rendered in a worker thread binds
them again from the request (`rendering_for`). The template globals `csrf_token` and `current_principal`
read them, so `csrf_field()` and the account menu work in any template.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

from fastapi import Request

from missionos.accounts import Principal

_csrf: ContextVar[str] = ContextVar("missionos_csrf_token", default="")
_principal: ContextVar[Principal | None] = ContextVar("missionos_principal", default=None)

Binding = tuple[Token[str], Token[Principal | None]]


class CsrfToken:
    """The template global `csrf_token`: renders the current request's token (`{{ csrf_token }}` or
    `{{ csrf_token() }}`), so `csrf_field()` works in any template, imported with context or not."""

    def __call__(self) -> str:
        return _csrf.get()

    def __str__(self) -> str:
        return _csrf.get()

    def __html__(self) -> str:
        return _csrf.get()


def template_principal() -> Principal | None:
    """The principal of the request being rendered (a template global)."""
    return _principal.get()


def bind(csrf_token: str, principal: Principal | None) -> Binding:
    """Bind a CSRF token and a principal for templates rendered now; returns what `done_rendering` takes."""
    return _csrf.set(csrf_token), _principal.set(principal)


def rendering_for(request: Request) -> Binding:
    """Bind the request's CSRF token and principal for templates rendered now (in whatever thread);
    returns the tokens to pass to `done_rendering`."""
    state: dict[str, Any] = request.scope.get("state", {})
    return bind(str(state.get("csrf_token", "")), state.get("principal"))


def done_rendering(reset: Binding) -> None:
    _csrf.reset(reset[0])
    _principal.reset(reset[1])
