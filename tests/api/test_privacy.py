"""Patient data never reaches logs: not through access logs, errors or rejections."""

from __future__ import annotations

import logging

import pytest

from claims_recon.api.app import create_app
from claims_recon.api.privacy import RedactAccessLog, redact_path
from claims_recon.config import Settings
from tests.conftest import csv_text, upload

SECRET = "PHI-7Q3X9-SECRET"
_CLIENT_SIDE = ("httpx", "httpcore")  # the test's own HTTP client logs its requests


def _server_log(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(_CLIENT_SIDE))


CLAIMS = csv_text(
    f"""
    claim_id,patient_id,date_of_service,charges_amount
    c1,{SECRET},2023-01-01,100.00
    c2,{SECRET},2023-01-02,200.00
    """
)
INVOICES = csv_text(
    """
    invoice_id,claim_id,transaction_value
    i1,c1,100.00
    """
)
BAD_CLAIMS = csv_text(
    f"""
    claim_id,patient_id,date_of_service,charges_amount
    c1,{SECRET},2023-02-30,{SECRET}
    """
)


def test_patient_id_appears_in_no_log_line(client, caplog):
    caplog.set_level(logging.DEBUG)
    assert upload(client, CLAIMS, INVOICES).status_code == 201
    assert upload(client, BAD_CLAIMS, INVOICES).status_code == 422
    for url in (
        f"/api/reconciliation?patient_id={SECRET}",
        "/api/summary",
        "/api/runs/1/claims/c1",
        f"/api/runs/1/claims/{SECRET}",
        f"/api/reconciliation/export?format=csv&patient_id={SECRET}",
        f"/api/reconciliation?sort={SECRET}",
        f"/api/reconciliation?status={SECRET}",
    ):
        client.get(url)
    assert SECRET not in _server_log(caplog)


def test_unexpected_errors_answer_500_and_log_only_the_type(client, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"boom {SECRET}")

    monkeypatch.setattr(client.app.state.store, "latest_run_id", broken)
    response = client.get("/api/summary")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert SECRET not in response.text
    logged = _server_log(caplog)
    assert "RuntimeError" in logged
    assert SECRET not in logged


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/api/reconciliation?patient_id=007", "/api/reconciliation?…"),
        ("/api/runs/3/claims/C0001", "/api/runs/3/claims/…"),
        ("/api/runs/3/claims/C0001?x=1", "/api/runs/3/claims/…?…"),
        ("/api/runs/3/claims/A/7/x", "/api/runs/3/claims/…"),
        ("/health", "/health"),
        ("/api/runs/PHI-9/summary", "/api/runs/…/summary"),  # not a route's own word
        ("/static/js/upload.js", "/static/js/upload.js"),
        ("/nothing/here", "/…/…"),
    ],
)
def test_access_log_paths_are_redacted(path, shown):
    create_app(Settings(database_url=":memory:"))  # the app teaches the log its routes' words
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200), None,
    )  # fmt: skip
    assert RedactAccessLog().filter(record)
    assert record.args[2] == shown
    assert redact_path(path) == shown
