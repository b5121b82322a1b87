"""Keeping patient data out of logs.

Query strings can carry PHI (``?patient_id=…``) and so can claim IDs in paths; the access
log of whatever server runs the app (uvicorn's, by default) only ever sees them redacted.
Unexpected exceptions are answered here with the 500 envelope and logged by type only,
because their messages may quote uploaded values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claims_recon.api.errors import envelope
from claims_recon.api.json import ExactJSONResponse

log = logging.getLogger("claims_recon.api")

_CLAIM_IN_PATH = re.compile(r"(/claims/).+")  # claim IDs may contain "/"
# The literal words of the app's own routes and static files. Any other path segment
# (anything a client typed where a run number belongs, say) is logged as "…".
_KNOWN_SEGMENTS: set[str] = set()


def learn_path_words(paths: Iterable[str]) -> None:
    """Record the literal segments of route templates such as ``/api/runs/{run_id}``."""
    for path in paths:
        _KNOWN_SEGMENTS.update(s for s in path.split("/") if s and not s.startswith("{"))


def redact_path(full_path: str) -> str:
    path, _, query = full_path.partition("?")
    path = _CLAIM_IN_PATH.sub(r"\1…", path)
    path = "/".join(
        s if not s or s == "…" or s.isdigit() or s in _KNOWN_SEGMENTS else "…"
        for s in path.split("/")
    )
    return f"{path}?…" if query else path


class RedactAccessLog(logging.Filter):
    """Rewrites uvicorn access-log records: (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact_path(args[2]), args[3], args[4])
        return True


def install_log_redaction() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactAccessLog) for f in access.filters):
        access.addFilter(RedactAccessLog())


class ContainErrors:
    """Outermost guard: an unexpected exception becomes the 500 envelope, never a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "unexpected %s on %s %s",
                type(exc).__name__,
                scope.get("method"),
                redact_path(scope.get("path", "")),
            )
            if started:
                return  # a streamed response was cut short; the client sees it end early
            response = ExactJSONResponse(
                envelope(
                    "internal_error", "something went wrong on the server; nothing was changed"
                ),
                status_code=500,
            )
            await response(scope, receive, send)
