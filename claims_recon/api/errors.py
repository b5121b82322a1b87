"""One error envelope for every failure:

{"error": {"code": ..., "message": ..., "total": N, "details": [problem, ...]}}
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from claims_recon.api.deps import PARAMETER_HINTS
from claims_recon.api.json import ExactJSONResponse
from claims_recon.domain.problems import Problem
from claims_recon.errors import ReconError


def envelope(
    code: str, message: str, details: list[dict[str, Any]] | None = None, total: int | None = None
) -> dict[str, Any]:
    details = details or []
    return {
        "error": {
            "code": code,
            "message": message,
            "total": len(details) if total is None else total,
            "details": details,
        }
    }


def _recon_error(_: Request, exc: ReconError) -> ExactJSONResponse:
    body = envelope(exc.code, exc.message, [p.as_dict() for p in exc.details], exc.total)
    return ExactJSONResponse(body, status_code=exc.status_code)


def validation_problems(exc: RequestValidationError) -> list[Problem]:
    """One problem per invalid parameter, with a hint a person can act on (API and pages)."""
    problems = []
    for err in exc.errors():
        names = [str(part) for part in err.get("loc", ()) if not isinstance(part, int)]
        name = names[-1] if names and names[-1] not in ("query", "path", "body") else None
        value = err.get("input")
        shown = None if value is None or isinstance(value, dict) else str(value)[:120]
        if err.get("type") == "string_pattern_mismatch" and name in PARAMETER_HINTS:
            rule = f"{shown!r} is not accepted; {PARAMETER_HINTS[name]}"
        else:
            rule = str(err.get("msg", "invalid"))
        problems.append(
            Problem(rule="invalid_parameter", message=f"{name}: {rule}", column=name, value=shown)
        )
    return problems


def _validation_error(_: Request, exc: RequestValidationError) -> ExactJSONResponse:
    details = [p.as_dict() for p in validation_problems(exc)]
    message = "invalid request parameters: " + "; ".join(d["message"] for d in details)
    return ExactJSONResponse(envelope("invalid_request", message, details), status_code=422)


def _http_error(request: Request, exc: StarletteHTTPException) -> ExactJSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = str(exc.detail) if exc.detail else "error"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 404:
        message = "no such page or endpoint"
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        # Several routes may share a path (GET and DELETE /api/runs/{id}): list them all.
        headers["Allow"] = ", ".join(sorted(allowed))
    return ExactJSONResponse(
        envelope(codes.get(exc.status_code, "http_error"), message),
        status_code=exc.status_code,
        headers=headers or None,
    )


def _allowed_methods(request: Request) -> set[str]:
    """Methods the OpenAPI schema documents for this path (the routes' own public record)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods |= {m.upper() for m in operations}
    return methods


def _disconnect(_: Request, exc: ClientDisconnect) -> ExactJSONResponse:
    return ExactJSONResponse(envelope("client_disconnected", "the client went away"), 400)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ReconError, _recon_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ClientDisconnect, _disconnect)  # type: ignore[arg-type]
