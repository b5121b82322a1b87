"""Hostile and odd uploads: each is refused with a clear error (or accepted exactly), never
a 500, and the earlier run stays as it was."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.api.test_upload_rejections import (
    CLAIMS_HEADER,
    INVOICES_HEADER,
    assert_nothing_changed,
    error_of,
    multipart_body,
    only_detail,
    snapshot,
)
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload

MULTIPART = {"content-type": "multipart/form-data; boundary=XyZb0und"}


@pytest.fixture
def before(client: TestClient, seeded: dict) -> dict:
    """An earlier run (the seed example) and what the API shows of it."""
    return snapshot(client)


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("claims.csv", data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (gzip.compress(SEED_CLAIMS.encode() * 1000), "encoding"),  # a compressed CSV
        (_zip(SEED_CLAIMS.encode() * 1000), "binary"),  # a zip archive (a NUL in its header)
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "encoding"),  # an image
        ("claim_id,x".encode("utf-16"), "encoding"),  # UTF-16 text (its BOM is not UTF-8)
    ],
    ids=["gzip", "zip", "png", "utf16"],
)
def test_binary_files_are_refused_as_not_text(client, before, content, rule):
    detail = only_detail(error_of(upload(client, content, SEED_INVOICES)))
    assert detail["rule"] == rule
    assert detail["file"] == "claims"
    assert_nothing_changed(client, before)


def test_a_line_over_one_mib_is_a_structure_problem_on_its_line(client, before):
    long_line = "c2,p2,2023-01-02," + "9" * (2 * 1024 * 1024) + "\n"  # 2 MiB
    claims = CLAIMS_HEADER + "c1,p1,2023-01-01,10.00\n" + long_line
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail["rule"] == "csv_structure"
    assert detail["line"] == 3
    assert "longer than" in detail["message"]
    assert_nothing_changed(client, before)


def test_an_over_long_file_name_is_refused(client, before):
    response = upload(client, SEED_CLAIMS, SEED_INVOICES, claims_name="c" * 300 + ".csv")
    error = error_of(response, code="invalid_request")
    assert "longer than 255 characters" in error["message"]
    assert_nothing_changed(client, before)


def test_file_names_are_reduced_to_their_last_part(client):
    response = upload(client, SEED_CLAIMS, SEED_INVOICES, claims_name="../../etc/passwd")
    assert response.status_code == 201
    assert response.json()["run"]["claims"]["filename"] == "passwd"


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(tmp_path):
    settings = Settings(database_url=str(tmp_path / "s.duckdb"), max_upload_bytes=1000)
    with TestClient(create_app(settings)) as small:
        body = multipart_body([("claims", "c.csv", b"x")])
        headers = {**MULTIPART, "content-length": str(10**12)}  # a terabyte, announced

        def only_the_start():
            yield body[:10]
            raise AssertionError("the body was read past the declared length's refusal")

        response = small.post("/api/upload", content=only_the_start(), headers=headers)
        error_of(response, status=413, code="payload_too_large")
        assert small.get("/api/runs").json()["count"] == 0


def test_too_many_rows_are_refused_through_the_api(tmp_path):
    settings = Settings(database_url=str(tmp_path / "s.duckdb"), max_rows=3)
    with TestClient(create_app(settings)) as client:
        claims = CLAIMS_HEADER + "".join(f"c{n},p{n},2023-01-01,1.00\n" for n in range(4))
        detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
        assert detail["rule"] == "too_many_rows"
        assert "at most 3 rows" in detail["message"]
        assert client.get("/api/runs").json()["count"] == 0


def test_empty_invoice_id(client, before):
    invoices = INVOICES_HEADER + "i1,c1,50.00\n  ,c1,50.00\n"
    detail = only_detail(error_of(upload(client, SEED_CLAIMS, invoices)))
    assert (detail["rule"], detail["file"], detail["line"], detail["column"]) == (
        "required",
        "invoices",
        3,
        "invoice_id",
    )
    assert_nothing_changed(client, before)


def test_blank_lines_at_the_end_are_ignored(client):
    claims = SEED_CLAIMS + "\n\n\r\n"
    invoices = SEED_INVOICES + "\n\n"
    response = upload(client, claims, invoices)
    assert response.status_code == 201, response.text
    assert response.json()["run"]["counts"]["total_claims"] == 2
    assert response.json()["summary"]["underpaid"] == 1


def test_the_run_records_how_long_each_step_took(client):
    run = upload(client, SEED_CLAIMS, SEED_INVOICES).json()["run"]
    timings = run["timings"]
    assert set(timings) == {"receive_ms", "reconcile_ms", "total_ms"}
    assert timings["reconcile_ms"] > 0
    assert abs(timings["total_ms"] - timings["receive_ms"] - timings["reconcile_ms"]) < 0.15


def test_the_web_upload_form_keeps_the_row_limit_too(tmp_path):
    # Regression: the page's upload once read the body without the row limit the API had.
    settings = Settings(database_url=str(tmp_path / "s.duckdb"), max_rows=3)
    with TestClient(create_app(settings)) as client:
        claims = CLAIMS_HEADER + "".join(f"c{n},p{n},2023-01-01,1.00\n" for n in range(4))
        files = {"claims": ("c.csv", claims), "invoices": ("i.csv", SEED_INVOICES)}
        page = client.post("/upload", files=files, follow_redirects=False)
        assert page.status_code == 422
        assert "at most 3 rows" in page.text
        assert client.get("/api/runs").json()["count"] == 0
