"""Who is asking, and may they? The one pattern every write endpoint and page action follows.

    @router.post("/api/v1/flags")
    def apply_flag(..., who: Annotated[Principal, Depends(require("editor"))]) -> ...:
        ...
        audit.record(session, actor=who.name, action="update", kind="flag", key=key, before=..., after=...)

`require(role, team=...)` checks the role (viewer < editor < admin), per team where the object has one; when
the team is only known inside the handler, call `authorize(who, "editor", team)` there.

`SecurityMiddleware` wraps the whole application. For every request it:
- refuses bodies over the size limit (413);
- establishes the principal: an API token (`Authorization: Bearer mos_...`), a signed session cookie, or the
  identity a trusted reverse proxy asserts in a header. With no sign-in configured (no user, no token, no
  proxy header), the server only listens on loopback and the local user is an admin;
- refuses forged cross-site writes: a form post from a browser must carry the CSRF token that `csrf_field()`
  renders, and a cross-origin `Origin` is refused outright;
- adds the Content-Security-Policy (no inline script) and the other usual security headers.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import anyio
from fastapi import HTTPException, Request
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from missionos import safeload
from missionos.accounts import ANONYMOUS, LOCAL, ROLES, Principal, sessions, settings, tokens, users
from missionos.errors import InputError
from missionos.store import Database
from missionos.web.deps import templates
from missionos.web.rendering import bind, done_rendering

__all__ = [
    "ANONYMOUS",
    "LOCAL",
    "ROLES",
    "Principal",
    "SecurityConfig",
    "SecurityMiddleware",
    "authorize",
    "client_address",
    "current_principal",
    "require",
]

SESSION_COOKIE = "missionos_session"
CSRF_COOKIE = "missionos_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
# Reachable without signing in: assets, liveness, the API description, sign-in itself, and the webhooks
# (which carry their own signatures).
PUBLIC_PREFIXES = ("/static/", "/assets/", "/hooks/")
PUBLIC_PATHS = frozenset({"/api/v1/health", "/api/v1/openapi.json", "/accounts/sign-in", "/favicon.ico"})

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # no inline script, no eval: charts use Vega's expression interpreter
        # Vega and some pages set style attributes; inline style cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)


def _networks(text: str | Iterable[str] | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    if not text:
        return ()
    parts = text.split(",") if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in parts if p.strip())


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port, lower-cased (`[::1]:8000` -> `::1`)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def default_allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host names served by default: the bound address and `localhost` (plus the loopback addresses when
    bound to loopback), and any given with `--allowed-host`."""
    names = {host_name(bind_host), "localhost"}
    if is_loopback(bind_host):
        names |= LOOPBACK_NAMES
    names |= {host_name(h) for h in extra if h.strip()}
    return frozenset(names)


def _hosts(text: str | None) -> frozenset[str] | None:
    if not text:
        return None
    return frozenset(host_name(h) for h in text.split(",") if h.strip())


@dataclass(frozen=True)
class SecurityConfig:
    """How the server authenticates. Read from the environment so every worker process agrees:
    `MISSIONOS_AUTH_PROXY_HEADER`, `MISSIONOS_TRUSTED_PROXIES` (comma-separated addresses or networks),
    `MISSIONOS_MAX_REQUEST_BYTES`, `MISSIONOS_SIGN_IN_LIMIT` (attempts per minute per address),
    `MISSIONOS_BIND_HOST` (the address served on) and `MISSIONOS_ALLOWED_HOSTS` (comma-separated Host names;
    `missionos serve` always sets it). Behind a trusted proxy, the client's address is read from
    X-Forwarded-For, and X-Forwarded-Proto says whether the client used HTTPS."""

    proxy_header: str | None = None
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(default=())
    max_request_bytes: int = 25 * 1024 * 1024
    sign_in_limit: int = 10
    token_create_limit: int = 20
    proxy_default_role: str = "viewer"
    # The address `missionos serve` listens on: revoking the last credential is refused unless it is loopback.
    bind_host: str = "127.0.0.1"
    # Host header values (without port) that are served; any other gets 400 (DNS rebinding). None: any.
    allowed_hosts: frozenset[str] | None = None

    @classmethod
    def from_env(cls) -> SecurityConfig:
        header = os.environ.get("MISSIONOS_AUTH_PROXY_HEADER") or None
        return cls(
            proxy_header=header.lower() if header else None,
            trusted_proxies=_networks(os.environ.get("MISSIONOS_TRUSTED_PROXIES")),
            max_request_bytes=int(os.environ.get("MISSIONOS_MAX_REQUEST_BYTES", 25 * 1024 * 1024)),
            sign_in_limit=int(os.environ.get("MISSIONOS_SIGN_IN_LIMIT", 10)),
            token_create_limit=int(os.environ.get("MISSIONOS_TOKEN_CREATE_LIMIT", 20)),
            proxy_default_role=os.environ.get("MISSIONOS_AUTH_PROXY_ROLE", "viewer"),
            bind_host=os.environ.get("MISSIONOS_BIND_HOST", "127.0.0.1"),
            allowed_hosts=_hosts(os.environ.get("MISSIONOS_ALLOWED_HOSTS")),
        )

    @property
    def on_loopback(self) -> bool:
        """Whether the server listens on loopback only (then only someone on the host can reach it)."""
        return is_loopback(self.bind_host)

    def host_allowed(self, host_header: str | None) -> bool:
        """Whether a request's Host header names this server (always, when no allowed hosts are set)."""
        if self.allowed_hosts is None:
            return True
        return host_name(host_header or "") in self.allowed_hosts

    def trusts(self, address: str | None) -> bool:
        if not address or not self.trusted_proxies:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted_proxies)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The address a request comes from, as rate limits count it: the direct peer, or, when
        the peer is a trusted proxy, the nearest address in X-Forwarded-For that is not a trusted proxy
        (walking from the right, since a client can put anything at the left of the header)."""
        address = peer or "unknown"
        if not forwarded_for or not self.trusts(peer):
            return address
        for hop in reversed(forwarded_for.split(",")):
            hop = hop.strip()
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return address  # a malformed entry: trust nothing further left
            address = hop
            if not self.trusts(hop):
                return hop
        return address


class BodyTooLarge(Exception):
    pass


@dataclass
class _Resolved:
    principal: Principal
    key: bytes
    token_attempt: bool = False
    bad_token_wait: int | None = None


class SecurityMiddleware:
    """Size limit, authentication, CSRF and security headers for every HTTP request."""

    def __init__(self, app: ASGIApp, *, db: Database, config: SecurityConfig) -> None:
        self.app = app
        self.db = db
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path: str = scope["path"]
        method: str = scope["method"]
        https = scope.get("scheme") == "https"
        peer = (scope.get("client") or (None,))[0]
        if self.config.trusts(peer) and headers.get("x-forwarded-proto") == "https":
            https = True
        new_csrf_cookie: str | None = None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                raw += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if https:
                    raw.append((b"strict-transport-security", b"max-age=31536000"))
                if new_csrf_cookie:
                    secure = "; Secure" if https else ""
                    cookie = f"{CSRF_COOKIE}={new_csrf_cookie}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    raw.append((b"set-cookie", cookie.encode()))
                message["headers"] = raw
            await send(message)

        # 0. DNS rebinding: a page on another name that resolves here must not be served as this server.
        if not self.config.host_allowed(headers.get("host")):
            await self._refuse(
                scope,
                send_with_headers,
                400,
                "Bad request",
                f"the Host {headers.get('host', '')!r} is not one this server answers to; add it with "
                "`missionos serve --allowed-host NAME`",
            )
            return

        # 1. Size limit: by the declared length at once, and by counting what actually arrives.
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.config.max_request_bytes:
            await self._refuse(scope, send_with_headers, 413, "Request too large", self._too_large())
            return
        body: bytes | None = None
        if method in UNSAFE:
            try:
                body = await self._read_body(receive)
            except BodyTooLarge:
                await self._refuse(scope, send_with_headers, 413, "Request too large", self._too_large())
                return

        # 1b. JSON nested too deeply would crash the parser (a recursion error) wherever it is read.
        ctype = headers.get("content-type", "").lower()
        if body and (not ctype or "json" in ctype):
            try:
                safeload.check_json_depth(body, source="request body")
            except InputError as exc:
                await self._refuse(scope, send_with_headers, 422, "Invalid input", str(exc))
                return

        # 2. Who is asking (the database work runs in a thread, off the event loop).
        public = path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
        if path.startswith("/hooks/") or path.startswith(("/static/", "/assets/")):
            await self.app(
                scope, self._replay(body, receive) if body is not None else receive, send_with_headers
            )
            return
        bearer = _bearer(headers.get("authorization"))
        cookies = _cookies(headers.get("cookie"))
        client = self.config.client_address(peer, headers.get("x-forwarded-for"))
        resolved = await anyio.to_thread.run_sync(
            self._resolve, bearer, cookies.get(SESSION_COOKIE), headers, peer, client
        )
        if resolved.bad_token_wait is not None:
            await self._refuse(
                scope,
                send_with_headers,
                429,
                "Too many requests",
                f"too many bad tokens from this address; retry in {resolved.bad_token_wait} s",
                retry_after=resolved.bad_token_wait,
            )
            return
        who = resolved.principal
        if bearer is not None and who is ANONYMOUS:
            await self._refuse(
                scope,
                send_with_headers,
                401,
                "Unauthorized",
                "the API token is unknown, malformed or revoked",
            )
            return
        if who is ANONYMOUS and not public:
            if method == "GET" and "text/html" in headers.get("accept", ""):
                target = path + ("?" + scope["query_string"].decode() if scope.get("query_string") else "")
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 303,
                        "headers": [(b"location", f"/accounts/sign-in?next={quote(target)}".encode())],
                    }
                )
                await send_with_headers({"type": "http.response.body", "body": b""})
                return
            await self._refuse(scope, send_with_headers, 401, "Unauthorized", "sign in or send an API token")
            return

        # 3. CSRF: bind the token to the session cookie when signed in, else to a per-browser cookie.
        binding = cookies.get(SESSION_COOKIE) if who.via == "session" else cookies.get(CSRF_COOKIE)
        if not binding:
            binding = new_csrf_cookie = secrets.token_urlsafe(24)
        token = sessions.csrf_token(resolved.key, binding)
        if method in UNSAFE and who.via != "token":
            problem = await self._csrf_problem(scope, headers, body or b"", resolved.key, binding, who)
            if problem:
                await self._refuse(scope, send_with_headers, 403, "Forbidden", problem)
                return

        scope.setdefault("state", {})
        scope["state"]["client_address"] = client
        scope["state"]["https"] = https
        scope["state"]["principal"] = who
        scope["state"]["csrf_token"] = token
        rendering = bind(token, who)
        try:
            await self.app(
                scope, self._replay(body, receive) if body is not None else receive, send_with_headers
            )
        finally:
            done_rendering(rendering)

    def _too_large(self) -> str:
        return f"the request body is over the limit of {self.config.max_request_bytes} bytes"

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.config.max_request_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    def _resolve(
        self,
        bearer: str | None,
        session_cookie: str | None,
        headers: Headers,
        peer: str | None,
        client: str,
    ) -> _Resolved:
        with self.db.session() as session:
            key = settings.secret_key(session)
            if bearer is not None:
                found = tokens.authenticate(session, bearer)
                if found is not None:
                    return _Resolved(found, key, token_attempt=True)
            if bearer is None and self.config.proxy_header and self.config.trusts(peer):
                asserted = (headers.get(self.config.proxy_header) or "").strip()
                if asserted:
                    user = users.find_user(session, asserted)
                    if user is not None and not user.disabled:
                        return _Resolved(users.principal_for(user, via="proxy"), key)
                    if user is None:
                        return _Resolved(
                            Principal(asserted, self.config.proxy_default_role, None, "proxy"), key
                        )
            if bearer is None and session_cookie:
                found = sessions.resolve(session, session_cookie)
                if found is not None:
                    return _Resolved(found, key)
            if bearer is not None:
                from datetime import timedelta

                from missionos.accounts import throttle

                wait = throttle.attempt(
                    session,
                    f"bad-token:{client}",
                    limit=self.config.sign_in_limit * 3,
                    per=timedelta(minutes=1),
                )
                return _Resolved(ANONYMOUS, key, bad_token_wait=wait)
            if self.config.proxy_header or users.sign_in_configured(session):
                return _Resolved(ANONYMOUS, key)
            return _Resolved(LOCAL, key)

    async def _csrf_problem(
        self, scope: Scope, headers: Headers, body: bytes, key: bytes, binding: str, who: Principal
    ) -> str | None:
        origin = headers.get("origin")
        host = headers.get("host", "")
        if origin and origin != "null" and urlsplit(origin).netloc != host:
            return f"cross-origin request from {origin} refused"
        if headers.get("sec-fetch-site") == "cross-site":
            return "cross-site request refused"
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        # Only a browser can be tricked into a forged request, and only form-like bodies cross sites without
        # a CORS preflight. A browser announces itself (Origin, Sec-Fetch-Site) or carries a session cookie.
        from_browser = bool(origin or headers.get("sec-fetch-site") or who.via == "session")
        if not from_browser or (content_type and content_type not in FORM_TYPES):
            return None
        presented = headers.get(CSRF_HEADER) or await _form_field(scope, body, CSRF_FIELD)
        if presented and sessions.csrf_valid(key, binding, presented):
            return None
        return "the form's CSRF token is missing or stale; reload the page and try again"

    @staticmethod
    async def _refuse(
        scope: Scope, send: Callable[[Message], Any], status: int, title: str, detail: str, **extra: Any
    ) -> None:
        import json

        headers = Headers(scope=scope)
        wants_html = "text/html" in headers.get("accept", "") and not scope["path"].startswith(
            ("/api/", "/hooks/")
        )
        if wants_html:
            payload = (
                templates.get_template("error.html")
                .render(section="", status=status, title=title, detail=detail)
                .encode()
            )
            content_type = b"text/html; charset=utf-8"
        else:
            payload = json.dumps(
                {"type": "about:blank", "title": title, "status": status, "detail": detail}
            ).encode()
            content_type = b"application/problem+json"
        raw = [(b"content-type", content_type), (b"content-length", str(len(payload)).encode())]
        if status == 401:
            raw.append((b"www-authenticate", b'Bearer realm="missionos"'))
        if "retry_after" in extra:
            raw.append((b"retry-after", str(extra["retry_after"]).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": payload})


async def _form_field(scope: Scope, body: bytes, name: str) -> str | None:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = StarletteRequest(scope, receive)
    try:
        form = await request.form()
    except (StarletteHTTPException, ValueError, MultiPartException):  # an unparseable form carries no token
        return None
    try:
        value = form.get(name)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else ""


def _cookies(header: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name and name not in out:
            out[name] = value
    return out


def client_address(request: Request) -> str:
    """The address of the client behind any trusted proxies (see `SecurityConfig.client_address`)."""
    found = getattr(request.state, "client_address", None)
    if isinstance(found, str):
        return found
    return request.client.host if request.client else "unknown"


def request_is_https(request: Request) -> bool:
    """Whether the client reached us over HTTPS: the connection itself, or X-Forwarded-Proto from a trusted
    proxy (from any other peer the header is ignored)."""
    found = getattr(request.state, "https", None)
    return found if isinstance(found, bool) else request.url.scheme == "https"


def current_principal(request: Request) -> Principal:
    """The principal of this request (the local admin when no sign-in is configured and no middleware ran)."""
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else LOCAL


def authorize(who: Principal, role: str, team: str | None = None) -> Principal:
    """Raise 401/403 unless `who` holds `role` for `team` (for a team known only inside a handler)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if who.via == "anonymous":
        raise HTTPException(status_code=401, detail="sign in or send an API token")
    if not who.may(role, team):
        where = f" for team {team}" if team else ""
        raise HTTPException(status_code=403, detail=f"{who.name} lacks the {role} role{where}")
    return who


def require(role: str, team: str | None = None) -> Callable[[Request], Principal]:
    """A FastAPI dependency that answers 401/403 unless the caller holds `role` (for `team`)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def dependency(request: Request) -> Principal:
        return authorize(current_principal(request), role, team)

    dependency.required_role = role  # type: ignore[attr-defined]
    dependency.required_team = team  # type: ignore[attr-defined]
    return dependency
