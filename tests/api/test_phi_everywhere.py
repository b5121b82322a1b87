"""A distinctive patient_id goes through every route of a real server, successes and
failures alike, and appears in no line of its log and in no audit record.

The server is the README's command (uvicorn with its access log on) with authentication
configured, so the unauthenticated paths are exercised as well.
"""

from __future__ import annotations

import re
import sys

import httpx2

from claims_recon.access import token_hash
from tests.conftest import csv_text
from tests.servers import start_server

SECRET = "PHI-Z8K2-PATIENT"
TOKEN = "crt_test-token-for-phi-sweep"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UVICORN_WITH_ACCESS_LOG = (sys.executable, "-m", "uvicorn", "app.main:app", "--log-level", "debug")

CLAIMS = csv_text(
    f"""
    claim_id,patient_id,date_of_service,charges_amount
    c1,{SECRET},2023-01-01,100.00
    c2,{SECRET},2023-01-02,200.00
    """
)
INVOICES = csv_text(
    f"""
    invoice_id,claim_id,transaction_value
    i1,c1,100.00
    i2,{SECRET},5.00
    """
)
BAD_CLAIMS = csv_text(
    f"""
    claim_id,patient_id,date_of_service,charges_amount
    c1,{SECRET},2023-02-30,{SECRET}
    {SECRET},{SECRET},2023-01-01
    """
)


def _get_paths(schema: dict) -> list[str]:
    """Every GET route of the API, filled in with the run, a claim and the patient."""
    paths = []
    for template, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        names = {p["name"] for p in operations["get"].get("parameters", [])}
        path = template.replace("{run_id}", "1").replace("{claim_id}", "c1")
        query = f"?patient_id={SECRET}" if "patient_id" in names else ""
        paths.append(path + query)
        if "{claim_id}" in template:
            paths.append(template.replace("{run_id}", "1").replace("{claim_id}", SECRET))
    return paths


PAGES = [
    "/",
    "/runs",
    "/runs/1",
    f"/runs/1/claims?patient_id={SECRET}&sort=-variance",
    "/runs/1/claims/c1",
    f"/runs/1/claims/{SECRET}",
    "/runs/1/orphans",
    "/audit",
]


def test_patient_id_reaches_no_log_line_and_no_audit_record(tmp_path):
    process, base = start_server(
        str(tmp_path / "store.duckdb"),
        tmp_path,
        command=UVICORN_WITH_ACCESS_LOG,
        CLAIMS_RECON_API_TOKENS=f"sweep:{token_hash(TOKEN)}",
        CLAIMS_RECON_MAX_UPLOAD_BYTES="20000",
        CLAIMS_RECON_LOG_LEVEL="DEBUG",
    )
    log_path = next(tmp_path.glob("server-*.log"))
    statuses: set[int] = set()
    try:
        with httpx2.Client(base_url=base, headers=AUTH, timeout=30) as client:

            def send(method: str, url: str, **kwargs) -> httpx2.Response:
                response = client.request(method, url, **kwargs)
                statuses.add(response.status_code)
                return response

            files = {"claims": ("c.csv", CLAIMS), "invoices": ("i.csv", INVOICES)}
            assert send("POST", "/api/upload", files=files).status_code == 201
            bad = {"claims": ("c.csv", BAD_CLAIMS), "invoices": ("i.csv", INVOICES)}
            rejected = send("POST", "/api/upload", files=bad)
            assert rejected.status_code == 422
            assert SECRET in rejected.text  # the uploader is shown their own values
            huge = {"claims": ("c.csv", CLAIMS + f"c9,{SECRET},2023-01-01,1.00\n" * 1000)}
            assert send("POST", "/api/upload", files=huge).status_code == 413
            not_form = send("POST", "/api/upload", content=CLAIMS.encode())
            assert not_form.status_code == 415
            form = {"tolerance_amount": SECRET}
            assert send("POST", "/api/upload", files=files, data=form).status_code == 422

            api_paths = _get_paths(send("GET", "/openapi.json").json())
            assert len(api_paths) >= 15
            for path in [*api_paths, *PAGES]:
                send("GET", path)
                httpx2.get(base + path, timeout=30)  # no credentials: refused
            for query in (f"sort={SECRET}", f"status={SECRET}", f"date_from={SECRET}"):
                send("GET", f"/api/runs/1/reconciliation?{query}")
            send("GET", f"/api/runs/{SECRET}/reconciliation")
            send("GET", "/api/runs/99/summary")
            send("PUT", f"/api/runs/1?patient_id={SECRET}")
            assert send("DELETE", "/api/runs/1").status_code == 204
            audit = send("GET", "/api/audit", params={"limit": 1000})
    finally:
        process.terminate()
        process.wait(timeout=30)

    assert {200, 201, 204, 404, 405, 413, 415, 422} <= statuses
    assert audit.json()["total"] >= len(api_paths)
    assert SECRET not in audit.text
    log = log_path.read_text()
    # The log really is the server's: access lines for both the API and the pages.
    assert re.search(r'"GET /api/runs/1/summary HTTP/1\.1" 200', log)
    assert re.search(r'"GET /api/runs/1/summary HTTP/1\.1" 401', log)  # no credentials
    assert re.search(r'"GET /runs HTTP/1\.1" 303', log)  # a page sends them to sign in
    assert SECRET not in log
