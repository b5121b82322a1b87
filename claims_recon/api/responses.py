"""OpenAPI documentation of the error envelope."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from claims_recon.domain.models import ProblemPublic


class ErrorBody(BaseModel):
    code: str
    message: str
    total: int
    details: list[ProblemPublic]


class ErrorEnvelope(BaseModel):
    error: ErrorBody


_EXAMPLE = {
    "error": {
        "code": "rejected_upload",
        "message": "the upload was rejected: 1 problem in claims.csv; nothing was stored",
        "total": 1,
        "details": [
            {
                "rule": "amount",
                "message": '"12,x" is not an amount; use e.g. 1200.50, -75.00 or 1,200.50',
                "file": "claims",
                "filename": "claims.csv",
                "line": 17,
                "column": "charges_amount",
                "value": "12,x",
            }
        ],
    }
}

ERRORS: dict[int | str, dict[str, Any]] = {
    # Answered by access control before any route, so every operation can answer them.
    401: {
        "model": ErrorEnvelope,
        "description": "Tokens are configured and the request has no valid token or session.",
        "headers": {
            "WWW-Authenticate": {
                "description": 'Always `Bearer realm="claims-recon"`.',
                "schema": {"type": "string"},
            }
        },
    },
    403: {
        "model": ErrorEnvelope,
        "description": "A change from another site, a missing CSRF token, or a client on "
        "another machine while authentication is off.",
    },
    404: {"model": ErrorEnvelope, "description": "Unknown run or claim."},
    413: {"model": ErrorEnvelope, "description": "The upload is larger than the limit."},
    415: {"model": ErrorEnvelope, "description": "Not multipart/form-data."},
    422: {
        "model": ErrorEnvelope,
        "description": "Rejected file content or invalid parameters.",
        "content": {"application/json": {"example": _EXAMPLE}},
    },
}
