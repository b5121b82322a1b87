"""Access control for every route except /health, /static and the login page.

With tokens configured, the API takes ``Authorization: Bearer <token>`` and the web pages a
signed session cookie (HttpOnly, SameSite=Strict, idle timeout, renewed on each request);
a request authenticated by cookie that changes anything must carry the session's CSRF
token in ``X-CSRF-Token``. Without tokens, only clients on this machine are served unless
the operator explicitly opts out.
"""

from __future__ import annotations

import logging
import secrets
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claims_recon.access import SESSION_COOKIE, Sessions, identify, parse_tokens
from claims_recon.api.errors import envelope
from claims_recon.api.json import ExactJSONResponse
from claims_recon.config import Settings

log = logging.getLogger("claims_recon.access")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_PATHS = ("/health", "/static/", "/docs/assets/", "/login", "/favicon.ico")
# /logout is not open: it needs the session (and its CSRF token) it ends.


def is_open(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in _OPEN_PATHS)


def wants_json(path: str) -> bool:
    return path.startswith("/api/") or path == "/api" or path.startswith("/openapi")


class Access:
    """Who may sign in and how sessions are signed; shared by the middleware and /login."""

    def __init__(self, settings: Settings) -> None:
        self.credentials = parse_tokens(settings.api_tokens)
        secret = (
            settings.session_secret.get_secret_value()
            if settings.session_secret
            else secrets.token_urlsafe(32)
        )
        self.sessions = Sessions(secret, settings.session_idle_minutes * 60)
        self.allow_remote = settings.allow_remote_without_auth

    @property
    def enabled(self) -> bool:
        return bool(self.credentials)


class AccessControl:
    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.credentials = access.credentials
        self.sessions = access.sessions
        self.allow_remote = access.allow_remote
        if not self.credentials:
            log.warning(
                "authentication is off (no CLAIMS_RECON_API_TOKENS): %s",
                "serving every client (CLAIMS_RECON_ALLOW_REMOTE_WITHOUT_AUTH=true)"
                if self.allow_remote
                else "serving clients on this machine only",
            )

    @property
    def enabled(self) -> bool:
        return bool(self.credentials)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not is_same_site(Headers(scope=scope)):
            await self._deny(scope, receive, send, 403, "cross_site",
                             "changes are only accepted from this site's own pages")  # fmt: skip
            return
        if is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        if not self.enabled:
            host = (scope.get("client") or ("", 0))[0]
            if host not in LOOPBACK_HOSTS and not self.allow_remote:
                await self._deny(scope, receive, send, 403, "remote_refused",
                                 "authentication is not configured, so only this machine is "
                                 "served; set CLAIMS_RECON_API_TOKENS")  # fmt: skip
                return
            state["actor"] = "local"
            await self.app(scope, receive, send)
            return

        headers = Headers(scope=scope)
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            actor = identify(authorization[7:].strip(), self.credentials)
            if actor is None:
                await self._deny(scope, receive, send, 401, "unauthorized", "invalid token")
                return
            state["actor"] = actor
            await self.app(scope, receive, send)
            return

        session = self._session(headers)
        if session is None:
            await self._deny(scope, receive, send, 401, "unauthorized", "sign in first")
            return
        actor, session_id = session
        if scope["method"] not in SAFE_METHODS and not self.sessions.csrf_ok(
            session_id, _csrf_presented(scope, headers)
        ):
            await self._deny(scope, receive, send, 403, "csrf", "missing or wrong CSRF token")
            return
        state["actor"] = actor
        state["csrf_token"] = self.sessions.csrf_token(session_id)
        renewed = self.sessions.issue(actor, session_id)

        async def renewing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # A response that sets the session itself (signing out clears it) wins:
                # renewing it there would keep the session alive.
                own = [v for v in headers.getlist("set-cookie") if v.startswith(SESSION_COOKIE)]
                if not own:
                    headers.append(
                        "set-cookie", session_cookie(renewed, self.sessions.idle_seconds, scope)
                    )
            await send(message)

        await self.app(scope, receive, renewing_send)

    def _session(self, headers: Headers) -> tuple[str, str] | None:
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is simply no session
            return None
        morsel = cookie.get(SESSION_COOKIE)
        return self.sessions.read(morsel.value) if morsel else None

    async def _deny(
        self, scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str
    ) -> None:
        path = scope["path"]
        if status == 401 and not wants_json(path):
            target = path + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
            response: Any = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        else:
            response = ExactJSONResponse(envelope(code, message), status_code=status)
            if status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="claims-recon"'
        await response(scope, receive, send)


def is_same_site(headers: Headers) -> bool:
    """A browser says where a request comes from; a page on another site may not change
    anything here (even without sign-in, when there is no CSRF token). Tools such as curl
    send neither header."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = headers.get("origin")
    return origin is None or urlsplit(origin).netloc == headers.get("host")


def _csrf_presented(scope: Scope, headers: Headers) -> str | None:
    """Scripts send the header; a plain HTML form (no script) puts it in its action URL."""
    if token := headers.get("x-csrf-token"):
        return token
    if wants_json(scope["path"]):
        return None
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("csrf_token")
    return values[0] if values else None


def session_cookie(value: str, max_age: int, scope: Scope) -> str:
    secure = "; Secure" if scope.get("scheme") == "https" else ""
    return f"{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
