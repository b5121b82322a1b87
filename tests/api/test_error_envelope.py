"""Every failure has one shape: {"error": {"code", "message", "total", "details": [...]}}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload

PROBLEM_KEYS = {"rule", "message", "file", "filename", "line", "column", "value"}
BAD_CLAIMS = (
    "claim_id,patient_id,date_of_service,charges_amount\nc1,p1,2023-02-30,1.234\nc1,,01/02/2023,x\n"
)


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, dict[str, str]]:
    body = bytearray()
    for name, filename, content in parts:
        body += b"--B0UND\r\n"
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"Content-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    body += b"--B0UND--\r\n"
    return bytes(body), {"content-type": "multipart/form-data; boundary=B0UND"}


def _no_files(client: TestClient) -> Any:
    body, headers = _multipart([("tolerance_amount", None, b"1")])
    return client.post("/api/upload", content=body, headers=headers)


def _truncated_multipart(client: TestClient) -> Any:
    body, headers = _multipart([("claims", "c.csv", SEED_CLAIMS.encode())])
    return client.post("/api/upload", content=body[:-20], headers=headers)


# (name, expected status, expected code or None, request)
CASES: list[tuple[str, int, str | None, Callable[[TestClient], Any]]] = [
    ("unknown-route", 404, "not_found", lambda c: c.get("/api/nope")),
    ("unknown-route-root", 404, "not_found", lambda c: c.get("/does/not/exist")),
    ("wrong-method-runs", 405, "method_not_allowed", lambda c: c.put("/api/runs")),
    ("wrong-method-upload", 405, "method_not_allowed", lambda c: c.get("/api/upload")),
    ("wrong-method-summary", 405, "method_not_allowed", lambda c: c.post("/api/summary")),
    ("wrong-method-delete-all", 405, "method_not_allowed", lambda c: c.delete("/api/runs")),
    ("unknown-run", 404, "not_found", lambda c: c.get("/api/runs/999")),
    ("unknown-run-results", 404, "not_found", lambda c: c.get("/api/runs/999/reconciliation")),
    ("unknown-run-summary", 404, "not_found", lambda c: c.get("/api/runs/999/summary")),
    ("unknown-run-orphans", 404, "not_found", lambda c: c.get("/api/runs/999/orphans")),
    ("unknown-run-claim", 404, "not_found", lambda c: c.get("/api/runs/999/claims/c1")),
    ("unknown-claim", 404, "not_found", lambda c: c.get("/api/runs/1/claims/nope")),
    ("unknown-run-delete", 404, "not_found", lambda c: c.delete("/api/runs/999")),
    (
        "unknown-run-export",
        404,
        "not_found",
        lambda c: c.get("/api/runs/999/reconciliation/export?format=xlsx"),
    ),
    ("run-id-not-int", 422, "invalid_request", lambda c: c.get("/api/runs/abc")),
    ("run-id-huge", 422, "invalid_request", lambda c: c.get("/api/runs/" + "9" * 40)),
    ("bad-status", 422, "invalid_request", lambda c: c.get("/api/reconciliation?status=X")),
    ("bad-date", 422, "invalid_request", lambda c: c.get("/api/reconciliation?date_to=2023-1")),
    ("bad-limit", 422, "invalid_request", lambda c: c.get("/api/reconciliation?limit=5000")),
    ("zero-limit", 422, "invalid_request", lambda c: c.get("/api/runs?limit=0")),
    ("negative-skip", 422, "invalid_request", lambda c: c.get("/api/orphans?skip=-3")),
    ("bad-sort", 422, "invalid_request", lambda c: c.get("/api/reconciliation?sort=-x")),
    ("bad-bool", 422, "invalid_request", lambda c: c.get("/api/reconciliation?has_refunds=2x")),
    (
        "bad-variance",
        422,
        "invalid_request",
        lambda c: c.get("/api/runs/1/reconciliation?variance_min=1e999"),
    ),
    (
        "bad-format",
        422,
        "invalid_request",
        lambda c: c.get("/api/reconciliation/export?format=pdf"),
    ),
    (
        "long-claim-id",
        422,
        "invalid_request",
        lambda c: c.get("/api/runs/1/claims/" + "x" * 200),
    ),
    (
        "rejected-upload",
        422,
        "rejected_upload",
        lambda c: upload(c, BAD_CLAIMS, SEED_INVOICES),
    ),
    (
        "rejected-upload-encoding",
        422,
        "rejected_upload",
        lambda c: upload(c, "claim_id\n\u00e9".encode("latin-1"), SEED_INVOICES),
    ),
    ("empty-upload-file", 422, "rejected_upload", lambda c: upload(c, b"", b"")),
    (
        "bad-tolerance",
        422,
        "invalid_request",
        lambda c: upload(c, SEED_CLAIMS, SEED_INVOICES, tolerance_percent="x"),
    ),
    (
        "unexpected-field",
        422,
        "invalid_request",
        lambda c: upload(c, SEED_CLAIMS, SEED_INVOICES, extra="1"),
    ),
    ("no-files", 422, "invalid_request", _no_files),
    ("truncated-multipart", 422, "invalid_request", _truncated_multipart),
    (
        "not-multipart",
        415,
        "unsupported_media_type",
        lambda c: c.post("/api/upload", json={"claims": "x"}),
    ),
    ("no-body", 415, "unsupported_media_type", lambda c: c.post("/api/upload")),
    (
        "too-large",
        413,
        "payload_too_large",
        lambda c: upload(c, SEED_CLAIMS + "c9,p9,2023-01-09,9.00\n" * 200, SEED_INVOICES),
    ),
]


@pytest.fixture
def small_client(tmp_path) -> Any:
    """A store with one run (the seed example) and a 4,000-byte upload limit."""
    settings = Settings(
        database_url=str(tmp_path / "envelope" / "claims_recon.duckdb"),
        upload_dir=tmp_path / "envelope" / "uploads",
        max_upload_bytes=4000,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
        yield client


@pytest.mark.parametrize(
    ("status", "code", "send"),
    [pytest.param(status, code, send, id=name) for name, status, code, send in CASES],
)
def test_every_error_has_the_envelope(small_client, status, code, send):
    response = send(small_client)
    assert response.status_code != 500, response.text
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "total", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["total"], int)
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert isinstance(detail, dict)
        assert set(detail) == PROBLEM_KEYS
        assert isinstance(detail["rule"], str) and detail["rule"]
        assert isinstance(detail["message"], str) and detail["message"]
        assert detail["line"] is None or isinstance(detail["line"], int)
    assert error["total"] >= len(error["details"])
    # Nothing that failed created a run.
    assert small_client.get("/api/runs").json()["count"] == 1


def test_rejected_upload_lists_every_problem(small_client):
    error = upload(small_client, BAD_CLAIMS, SEED_INVOICES).json()["error"]
    assert error["total"] == len(error["details"]) == 6
    lines = [d["line"] for d in error["details"]]
    assert lines == sorted(lines)
    assert sorted((d["line"], d["rule"], d["column"]) for d in error["details"]) == [
        (2, "amount", "charges_amount"),
        (2, "date", "date_of_service"),
        (3, "amount", "charges_amount"),
        (3, "date", "date_of_service"),
        (3, "duplicate", "claim_id"),
        (3, "required", "patient_id"),
    ]


def test_405_says_which_methods_are_allowed(small_client):
    response = small_client.put("/api/runs")
    assert response.status_code == 405
    assert "GET" in response.headers.get("allow", "")
