"""One error envelope for every failure:

{"error": {"code": ..., "message": ..., "total": N, "details": [problem, ...]}}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

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


def _validation_error(_: Request, exc: RequestValidationError) -> ExactJSONResponse:
    details = []
    for err in exc.errors():
        location = [str(part) for part in err.get("loc", ())]
        name = location[-1] if location else None
        value = err.get("input")
        details.append(
            Problem(
                rule="invalid_parameter",
                message=f"{name}: {err.get('msg', 'invalid')}",
                column=name,
                value=None if value is None or isinstance(value, dict) else str(value)[:120],
            ).as_dict()
        )
    message = "invalid request parameters: " + "; ".join(d["message"] for d in details)
    return ExactJSONResponse(envelope("invalid_request", message, details), status_code=422)


def _http_error(_: Request, exc: StarletteHTTPException) -> ExactJSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = str(exc.detail) if exc.detail else "error"
    if exc.status_code == 404:
        message = "no such page or endpoint"
    return ExactJSONResponse(
        envelope(codes.get(exc.status_code, "http_error"), message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _disconnect(_: Request, exc: ClientDisconnect) -> ExactJSONResponse:
    return ExactJSONResponse(envelope("client_disconnected", "the client went away"), 400)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ReconError, _recon_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ClientDisconnect, _disconnect)  # type: ignore[arg-type]
