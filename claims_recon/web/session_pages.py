"""Signing in to the web pages with an API token, and signing out.

The token is checked like a Bearer token; the browser then holds a signed session cookie
(HttpOnly, SameSite=Strict, idle timeout) instead of the token itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from claims_recon.access import identify
from claims_recon.api.access import Access, session_cookie
from claims_recon.web.templating import render

router = APIRouter(include_in_schema=False)


def _access(request: Request) -> Access:
    return request.app.state.access


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an open redirect to another host.
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(
    request: Request, target: Annotated[str | None, Query(alias="next", max_length=2048)] = None
) -> Response:
    access = _access(request)
    if not access.enabled:
        return RedirectResponse(_safe_next(target), status_code=303)
    return _form(request, access, _safe_next(target), failed=False)


@router.post("/login")
def sign_in(
    request: Request,
    token: Annotated[str, Form(max_length=512)],
    next_path: Annotated[str, Form(alias="next", max_length=2048)] = "/",
) -> Response:
    access = _access(request)
    target = _safe_next(next_path)
    if not access.enabled:
        return RedirectResponse(target, status_code=303)
    actor = identify(token.strip(), access.credentials)
    store = request.app.state.store
    if actor is None:
        store.record_event("unknown", "sign_in_failed")
        return _form(request, access, target, failed=True, status_code=401)
    store.record_event(actor, "sign_in")
    response = RedirectResponse(target, status_code=303)
    response.headers.append(
        "set-cookie",
        session_cookie(access.sessions.issue(actor), access.sessions.idle_seconds, request.scope),
    )
    return response


@router.post("/logout")
def sign_out(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.headers.append("set-cookie", session_cookie("", 0, request.scope))
    return response


def _form(
    request: Request, access: Access, target: str, *, failed: bool, status_code: int = 200
) -> Response:
    context = {
        "next": target,
        "failed": failed,
        "idle_minutes": access.sessions.idle_seconds // 60,
    }
    return render(request, "login.html", context, status_code=status_code)
