"""Request ids on every response and in the logs; JSON log lines on request."""

from __future__ import annotations

import json
import logging

import pytest

from claims_recon.api.observability import RequestIdFilter, configure_logging, request_id


def test_every_response_carries_a_request_id(client):
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/health").headers["x-request-id"]
    assert len(first) == 32 and first != second
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    # Anything else is replaced, so log lines cannot be forged through the header.
    forged = client.get("/health", headers={"X-Request-ID": "x\n{evil}"}).headers["x-request-id"]
    assert forged != "x\n{evil}" and len(forged) == 32


def test_log_records_name_the_request(client, caplog, monkeypatch):
    caplog.set_level(logging.ERROR, logger="claims_recon")
    caplog.handler.addFilter(RequestIdFilter())

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(client.app.state.store, "latest_run_id", broken)
    response = client.get("/api/summary", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert [r.request_id for r in caplog.records if "RuntimeError" in r.getMessage()] == ["req-42"]


@pytest.fixture
def restore_logging():
    logger = logging.getLogger("claims_recon")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_json_log_lines(restore_logging, capsys):
    configure_logging("json", "INFO")
    token = request_id.set("req-7")
    try:
        logging.getLogger("claims_recon.test").info("hello %s", "world")
    finally:
        request_id.reset(token)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-7"
    assert line["level"] == "INFO" and line["logger"] == "claims_recon.test"
