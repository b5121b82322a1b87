"""Request ids and log output: plain text by default, JSON lines on request.

Every request gets an id (a valid incoming ``X-Request-ID`` is kept, else a new one), sent
back in the response and attached to every log record made while serving it, uvicorn's
access log included. What the records say is already free of patient data (see privacy).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_OWN_LOGGER = "claims_recon"
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def _formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(log_format: str, level: str) -> None:
    """Our own logger gets a handler; with JSON, the server's handlers are switched too."""
    formatter = _formatter(log_format)
    own = logging.getLogger(_OWN_LOGGER)
    own.setLevel(level.upper())
    for handler in list(own.handlers):
        own.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    own.addHandler(handler)
    for name in _SERVER_LOGGERS:
        for server_handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RequestIdFilter) for f in server_handler.filters):
                server_handler.addFilter(RequestIdFilter())
            if log_format == "json":
                server_handler.setFormatter(formatter)
