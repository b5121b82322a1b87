"""Rejected uploads: every problem is listed with file, line, column, value and rule, and
nothing is stored. Accepted variants (header spelling, CRLF, money syntax) are exact."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from claims_recon.api.app import create_app
from claims_recon.config import Settings
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, csv_text, upload

CLAIMS_HEADER = "claim_id,patient_id,date_of_service,charges_amount\n"
INVOICES_HEADER = "invoice_id,claim_id,transaction_value\n"
PROBLEM_KEYS = {"rule", "message", "file", "filename", "line", "column", "value"}


# -- helpers ------------------------------------------------------------------------


def snapshot(client: TestClient) -> dict[str, Any]:
    """What a user sees of the stored runs, to compare before and after a rejection."""
    return {
        "runs": client.get("/api/runs").json(),
        "run_1": client.get("/api/runs/1").json(),
        "results": client.get("/api/reconciliation").json(),
        "summary": client.get("/api/summary").json(),
        "run_1_results": client.get("/api/runs/1/reconciliation").json(),
    }


def error_of(response: Any, status: int = 422, code: str | None = "rejected_upload") -> dict:
    """The error body of a failed response, checked for the envelope's exact shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "total", "details"}
    if code is not None:
        assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert set(detail) == PROBLEM_KEYS
    assert error["total"] >= len(error["details"])
    return error


def only_detail(error: dict) -> dict:
    assert error["total"] == 1, error
    assert len(error["details"]) == 1, error
    return error["details"][0]


def multipart_body(parts: list[tuple[str, str | None, bytes]], boundary: str = "XyZb0und") -> bytes:
    """A hand-built multipart/form-data body: (field name, filename or None, content)."""
    out = bytearray()
    for name, filename, content in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: text/csv\r\n"
        out += b"\r\n" + content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


@pytest.fixture
def before(client: TestClient, seeded: dict[str, Any]) -> dict[str, Any]:
    """An earlier run (the seed example) and what the API shows of it."""
    state = snapshot(client)
    assert state["runs"]["count"] == 1
    assert state["results"]["total"] == 2
    return state


def assert_nothing_changed(client: TestClient, before: dict[str, Any]) -> None:
    after = snapshot(client)
    assert after["runs"]["count"] == 1
    assert [run["run_id"] for run in after["runs"]["data"]] == [1]
    assert after == before


# -- one problem at a time ----------------------------------------------------------


def test_missing_required_column(client, before):
    claims = csv_text(
        """
        claim_id,patient_id,charges_amount
        c1,p1,100.00
        """
    )
    error = error_of(upload(client, claims, SEED_INVOICES))
    detail = only_detail(error)
    assert detail["rule"] == "missing_column"
    assert detail["file"] == "claims"
    assert detail["filename"] == "claims.csv"
    assert detail["line"] == 1
    assert detail["column"] == "date_of_service"
    assert "date_of_service" in detail["message"]
    assert_nothing_changed(client, before)


def test_missing_column_in_invoices_is_reported_for_invoices(client, before):
    invoices = csv_text(
        """
        invoice_id,claim,transaction_value
        i1,c1,50.00
        """
    )
    detail = only_detail(error_of(upload(client, SEED_CLAIMS, invoices, invoices_name="pay.csv")))
    assert detail["rule"] == "missing_column"
    assert detail["file"] == "invoices"
    assert detail["filename"] == "pay.csv"
    assert detail["line"] == 1
    assert detail["column"] == "claim_id"
    assert_nothing_changed(client, before)


def test_empty_file(client, before):
    detail = only_detail(error_of(upload(client, b"", SEED_INVOICES)))
    assert detail["rule"] == "empty_file"
    assert detail["file"] == "claims"
    assert detail["filename"] == "claims.csv"
    assert_nothing_changed(client, before)


def test_header_only(client, before):
    detail = only_detail(error_of(upload(client, SEED_CLAIMS, INVOICES_HEADER)))
    assert detail["rule"] == "no_rows"
    assert detail["file"] == "invoices"
    assert detail["filename"] == "invoices.csv"
    assert detail["line"] == 1
    assert_nothing_changed(client, before)


def test_latin1_bytes_are_an_encoding_problem_on_the_right_line(client, before):
    claims = (CLAIMS_HEADER + "c1,p1,2023-01-01,10.00\nc2,Jos\u00e9,2023-01-02,20.00\n").encode(
        "latin-1"
    )
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail["rule"] == "encoding"
    assert detail["file"] == "claims"
    assert detail["line"] == 3
    assert "UTF-8" in detail["message"]
    assert_nothing_changed(client, before)


def test_nul_bytes_are_binary(client, before):
    invoices = INVOICES_HEADER.encode() + b"i1,c1,5\x00\x01\x02\xff\n"
    detail = only_detail(error_of(upload(client, SEED_CLAIMS, invoices)))
    assert detail["rule"] == "binary"
    assert detail["file"] == "invoices"
    assert detail["line"] == 2
    assert_nothing_changed(client, before)


def test_impossible_date(client, before):
    claims = CLAIMS_HEADER + "c1,p1,2023-01-01,10.00\nc2,p2,2023-02-30,20.00\n"
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail == {
        "rule": "date",
        "message": detail["message"],
        "file": "claims",
        "filename": "claims.csv",
        "line": 3,
        "column": "date_of_service",
        "value": "2023-02-30",
    }
    assert "2023-02-30" in detail["message"]
    assert_nothing_changed(client, before)


def test_non_iso_date(client, before):
    claims = CLAIMS_HEADER + "c1,p1,01/02/2023,10.00\n"
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail["rule"] == "date"
    assert detail["line"] == 2
    assert detail["column"] == "date_of_service"
    assert detail["value"] == "01/02/2023"
    assert "YYYY-MM-DD" in detail["message"]
    assert_nothing_changed(client, before)


def test_bad_amount(client, before):
    claims = CLAIMS_HEADER + 'c1,p1,2023-01-01,"12,x"\n'
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail["rule"] == "amount"
    assert detail["file"] == "claims"
    assert detail["line"] == 2
    assert detail["column"] == "charges_amount"
    assert detail["value"] == "12,x"
    assert_nothing_changed(client, before)


def test_amount_with_three_decimals_is_not_rounded(client, before):
    invoices = INVOICES_HEADER + "i1,c1,50.00\ni2,c1,1.234\n"
    detail = only_detail(error_of(upload(client, SEED_CLAIMS, invoices)))
    assert detail["rule"] == "amount"
    assert detail["file"] == "invoices"
    assert detail["line"] == 3
    assert detail["column"] == "transaction_value"
    assert detail["value"] == "1.234"
    assert "more than two decimal places" in detail["message"]
    assert_nothing_changed(client, before)


def test_empty_claim_id(client, before):
    claims = CLAIMS_HEADER + "c1,p1,2023-01-01,10.00\n,p2,2023-01-02,20.00\n"
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail["rule"] == "required"
    assert detail["file"] == "claims"
    assert detail["line"] == 3
    assert detail["column"] == "claim_id"
    assert_nothing_changed(client, before)


def test_duplicate_claim_id(client, before):
    claims = CLAIMS_HEADER + (
        "c1,p1,2023-01-01,10.00\nc2,p2,2023-01-02,20.00\nc3,p3,2023-01-03,30.00\n"
        "c2,p4,2023-01-04,40.00\n"
    )
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail["rule"] == "duplicate"
    assert detail["file"] == "claims"
    assert detail["line"] == 5
    assert detail["column"] == "claim_id"
    assert detail["value"] == "c2"
    assert "line 3" in detail["message"]
    assert_nothing_changed(client, before)


def test_duplicate_claim_id_after_trimming(client, before):
    claims = CLAIMS_HEADER + "c1,p1,2023-01-01,10.00\n c1 ,p2,2023-01-02,20.00\n"
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert detail["rule"] == "duplicate"
    assert detail["line"] == 3
    assert "line 2" in detail["message"]
    assert_nothing_changed(client, before)


def test_ids_holding_a_quote_or_a_line_break_are_rejected(client, before):
    # Only a quoted field can hold either, so these files take the full ID check.
    claims = CLAIMS_HEADER + 'c1,p1,2023-01-01,10.00\n"c""2",p2,2023-01-02,20.00\n'
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert (detail["rule"], detail["line"], detail["column"]) == ("id_chars", 3, "claim_id")
    assert detail["value"] == 'c"2'
    assert detail["message"] == "claim_id 'c\"2' contains a double quote or a line break"
    invoices = INVOICES_HEADER + 'i1,c1,50.00\n"i\r\n2",c1,50.00\ni3,c2,150.00\n'
    detail = only_detail(error_of(upload(client, SEED_CLAIMS, invoices)))
    assert (detail["rule"], detail["line"], detail["column"]) == ("id_chars", 3, "invoice_id")
    assert detail["value"] == "i\n2"
    assert_nothing_changed(client, before)


def test_quoted_ids_without_quotes_inside_are_accepted(client):
    claims = CLAIMS_HEADER + '"c1","p1",2023-01-01,"10.00"\n'
    invoices = INVOICES_HEADER + '"i1","c1","10.00"\n'
    assert upload(client, claims, invoices).status_code == 201
    [row] = client.get("/api/reconciliation").json()["data"]
    assert (row["claim_id"], row["patient_id"], row["status"]) == ("c1", "p1", "BALANCED")


def test_unicode_spaces_at_the_ends_are_trimmed_and_kept_inside(client):
    # U+00A0 (no-break space) and U+2003 (em space) are trimmed like ' '; the file is not
    # ASCII, so it takes the full trim. A tab is not a space and stays.
    claims = (
        CLAIMS_HEADER + "\u00a0c1\u2003,p\u00a01 ,2023-01-01,10.00\n c2 ,\tp2,2023-01-02,20.00\n"
    )
    invoices = INVOICES_HEADER + "i1,c1\u00a0,10.00\ni2,\u2003c2,5.00\n"
    assert upload(client, claims, invoices).status_code == 201, "upload failed"
    rows = client.get("/api/reconciliation").json()["data"]
    assert [(r["claim_id"], r["patient_id"], r["status"]) for r in rows] == [
        ("c1", "p\u00a01", "BALANCED"),
        ("c2", "\tp2", "UNDERPAID"),
    ]


def test_duplicate_invoice_id(client, before):
    invoices = INVOICES_HEADER + "i1,c1,50.00\ni2,c1,50.00\ni1,c2,150.00\n"
    detail = only_detail(error_of(upload(client, SEED_CLAIMS, invoices)))
    assert detail["rule"] == "duplicate"
    assert detail["file"] == "invoices"
    assert detail["filename"] == "invoices.csv"
    assert detail["line"] == 4
    assert detail["column"] == "invoice_id"
    assert detail["value"] == "i1"
    assert "line 2" in detail["message"]
    assert_nothing_changed(client, before)


def test_rows_with_too_few_and_too_many_fields(client, before):
    claims = CLAIMS_HEADER + (
        "c1,p1,2023-01-01,10.00\nc2,p2,2023-01-02\nc3,p3,2023-01-03,30.00\n"
        "c4,p4,2023-01-04,40.00,extra\n"
    )
    error = error_of(upload(client, claims, SEED_INVOICES))
    assert error["total"] == 2
    assert [(d["rule"], d["file"], d["line"]) for d in error["details"]] == [
        ("csv_structure", "claims", 3),
        ("csv_structure", "claims", 5),
    ]
    assert "fewer fields" in error["details"][0]["message"]
    assert "more fields" in error["details"][1]["message"]
    assert_nothing_changed(client, before)


def test_unterminated_quote(client, before):
    invoices = INVOICES_HEADER + 'i1,c1,50.00\ni2,"c1,50.00\ni3,c2,150.00\n'
    error = error_of(upload(client, SEED_CLAIMS, invoices))
    assert error["total"] >= 1
    first = error["details"][0]
    assert first["rule"] == "csv_structure"
    assert first["file"] == "invoices"
    assert first["line"] == 3
    assert_nothing_changed(client, before)


# -- many problems ------------------------------------------------------------------


def test_problems_in_both_files_are_all_listed_by_file_then_line(client, before):
    claims = CLAIMS_HEADER + (
        "c1,p1,2023-01-01,10.00\n"
        "c2,p2,2023-13-01,20.00\n"  # line 3: date
        "c3,p3,2023-01-03,abc\n"  # line 4: amount
        "c4,,2023-01-04,40.00\n"  # line 5: required patient_id
    )
    invoices = INVOICES_HEADER + (
        "i1,c1,1.001\n"  # line 2: amount
        "i2,c2,5.00\n"
        "i2,c3,6.00\n"  # line 4: duplicate
    )
    error = error_of(upload(client, claims, invoices))
    assert error["total"] == 5
    assert len(error["details"]) == 5
    assert [(d["file"], d["line"], d["rule"], d["column"]) for d in error["details"]] == [
        ("claims", 3, "date", "date_of_service"),
        ("claims", 4, "amount", "charges_amount"),
        ("claims", 5, "required", "patient_id"),
        ("invoices", 2, "amount", "transaction_value"),
        ("invoices", 4, "duplicate", "invoice_id"),
    ]
    assert "claims.csv" in error["message"] and "invoices.csv" in error["message"]
    assert_nothing_changed(client, before)


def test_more_than_100_problems_are_capped_but_counted(client, before):
    rows = "".join(f"c{n},p{n},2023-01-01,bad{n}\n" for n in range(150))
    invoices = INVOICES_HEADER + "".join(f"i{n},c{n},x{n}\n" for n in range(30))
    error = error_of(upload(client, CLAIMS_HEADER + rows, invoices))
    assert error["total"] == 180
    assert len(error["details"]) == 100
    assert [d["line"] for d in error["details"]] == list(range(2, 102))
    assert {d["rule"] for d in error["details"]} == {"amount"}
    assert error["details"][0]["value"] == "bad0"
    assert error["details"][99]["value"] == "bad99"
    assert "180" in error["message"]
    assert_nothing_changed(client, before)


def test_lines_are_physical_after_blank_lines_and_multiline_quoted_fields(client, before):
    claims = (
        "claim_id,patient_id,date_of_service,charges_amount,notes\n"  # 1
        "\n"  # 2
        'c1,p1,2023-01-01,10.00,"first line\n'  # 3
        'second line"\n'  # 4
        "\n"  # 5
        "c2,p2,2023-01-02,20.00,ok\n"  # 6
        "c3,p3,2023-01-03,12.345,bad\n"  # 7
    )
    error = error_of(upload(client, claims, SEED_INVOICES))
    detail = only_detail(error)
    assert detail["rule"] == "amount"
    assert detail["line"] == 7
    assert detail["value"] == "12.345"
    assert_nothing_changed(client, before)


def test_structure_problem_lines_are_physical_after_multiline_field(client, before):
    claims = (
        "claim_id,patient_id,date_of_service,charges_amount,notes\n"  # 1
        'c1,p1,2023-01-01,10.00,"a\n'  # 2
        'b"\n'  # 3
        "\n"  # 4
        "c2,p2,2023-01-02\n"  # 5: too few fields
    )
    error = error_of(upload(client, claims, SEED_INVOICES))
    assert [(d["rule"], d["line"]) for d in error["details"]] == [("csv_structure", 5)]
    assert_nothing_changed(client, before)


def test_crlf_bad_row_is_reported_on_its_line(client, before):
    claims = CLAIMS_HEADER.replace("\n", "\r\n") + (
        "c1,p1,2023-01-01,10.00\r\nc2,p2,2023-02-30,20.00\r\n"
    )
    detail = only_detail(error_of(upload(client, claims, SEED_INVOICES)))
    assert (detail["rule"], detail["line"], detail["value"]) == ("date", 3, "2023-02-30")
    assert_nothing_changed(client, before)


# -- accepted variants --------------------------------------------------------------


def test_crlf_line_endings_work(client):
    claims = SEED_CLAIMS.replace("\n", "\r\n")
    invoices = SEED_INVOICES.replace("\n", "\r\n")
    response = upload(client, claims, invoices)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["run"]["claims"]["rows"] == 2
    assert body["run"]["invoices"]["rows"] == 3
    assert body["run"]["claims"]["size_bytes"] == len(claims.encode())
    rows = client.get("/api/reconciliation").json()["data"]
    assert [(r["claim_id"], r["status"], r["variance"]) for r in rows] == [
        ("c1", "BALANCED", 0.0),
        ("c2", "UNDERPAID", -50.0),
    ]


def test_header_case_spaces_bom_and_order_are_accepted(client):
    claims = (
        "\ufeff Charges_Amount , DATE_OF_SERVICE,Patient_Id,  CLAIM_ID\n"
        "100.00,2023-01-01,p1,c1\n"
        "200.00,2023-01-02,p2,c2\n"
    )
    invoices = "Transaction_Value,Claim_ID,INVOICE_ID\n50.00,c1,i1\n50.00,c1,i2\n150.00,c2,i3\n"
    response = upload(client, claims, invoices)
    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == []
    rows = client.get("/api/reconciliation").json()["data"]
    assert rows == [
        {
            "claim_id": "c1",
            "patient_id": "p1",
            "date_of_service": "2023-01-01",
            "charges_amount": 100.0,
            "invoice_count": 2,
            "invoice_total": 100.0,
            "variance": 0.0,
            "status": "BALANCED",
            "has_refunds": False,
        },
        {
            "claim_id": "c2",
            "patient_id": "p2",
            "date_of_service": "2023-01-02",
            "charges_amount": 200.0,
            "invoice_count": 1,
            "invoice_total": 150.0,
            "variance": -50.0,
            "status": "UNDERPAID",
            "has_refunds": False,
        },
    ]


def test_extra_column_is_accepted_and_reported_as_a_warning(client):
    claims = csv_text(
        """
        claim_id,patient_id,date_of_service,charges_amount,Notes
        c1,p1,2023-01-01,100.00,anything
        c2,p2,2023-01-02,200.00,
        """
    )
    response = upload(client, claims, SEED_INVOICES)
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body["warnings"]) == 1
    warning = body["warnings"][0]
    assert set(warning) == PROBLEM_KEYS
    assert warning["rule"] == "ignored_column"
    assert warning["file"] == "claims"
    assert warning["filename"] == "claims.csv"
    assert warning["line"] == 1
    assert warning["column"] == "notes"
    assert body["run"]["warnings"] == body["warnings"]
    assert client.get(f"/api/runs/{body['run_id']}").json()["warnings"] == body["warnings"]
    assert body["summary"]["total_claims"] == 2


def test_money_syntax_leading_zeros_trimmed_ids_and_negative_invoices(client):
    claims = (
        CLAIMS_HEADER + '  c1  , 007 ,2023-01-01,"$1,200.50"\n'
        "c2,0042,2023-01-02,(50.00)\n"
        "c3,p3,2023-01-03,-$5.00\n"
    )
    invoices = INVOICES_HEADER + (
        ' i1 , c1 ,"1,200.50"\ni2,c2,-50.00\ni3,c3,-$5.00\ni4,c3,(0.50)\ni5,c3,0.50\n'
    )
    response = upload(client, claims, invoices)
    assert response.status_code == 201, response.text
    raw = client.get("/api/reconciliation").text
    assert '"patient_id":"007"' in raw
    assert '"charges_amount":1200.50' in raw
    assert '"charges_amount":-50.00' in raw
    assert '"charges_amount":-5.00' in raw
    rows = client.get("/api/reconciliation").json()["data"]
    assert [
        (
            r["claim_id"],
            r["patient_id"],
            r["charges_amount"],
            r["invoice_count"],
            r["invoice_total"],
            r["variance"],
            r["status"],
            r["has_refunds"],
        )
        for r in rows
    ] == [
        ("c1", "007", 1200.50, 1, 1200.50, 0.0, "BALANCED", False),
        ("c2", "0042", -50.0, 1, -50.0, 0.0, "BALANCED", True),
        ("c3", "p3", -5.0, 3, -5.0, 0.0, "BALANCED", True),
    ]
    detail = client.get("/api/runs/1/claims/c3").json()
    assert [(i["invoice_id"], i["claim_id"]) for i in detail["invoices"]] == [
        ("i3", "c3"),
        ("i4", "c3"),
        ("i5", "c3"),
    ]
    assert [i["transaction_value"] for i in detail["invoices"]] == [-5.0, -0.5, 0.5]
    assert client.get("/api/runs/1/claims/c1").json()["invoices"][0]["invoice_id"] == "i1"
    assert client.get("/api/summary").json()["orphan_invoices"] == 0


# -- requests that are not a usable upload ------------------------------------------


def test_first_upload_with_only_one_file_is_rejected(client):
    error = error_of(upload(client, SEED_CLAIMS), code=None)
    assert "invoices" in error["message"]
    assert client.get("/api/runs").json() == {"data": [], "count": 0}
    error = error_of(upload(client, invoices=SEED_INVOICES), code=None)
    assert "claims" in error["message"]
    assert client.get("/api/runs").json() == {"data": [], "count": 0}


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([], id="no-parts"),
        pytest.param([("tolerance_amount", None, b"1.00")], id="only-a-field"),
    ],
)
def test_upload_with_no_files_is_rejected(client, before, parts):
    response = client.post(
        "/api/upload/",
        content=multipart_body(parts),
        headers={"content-type": "multipart/form-data; boundary=XyZb0und"},
    )
    error = error_of(response, code=None)
    assert error["code"] == "invalid_request"
    assert_nothing_changed(client, before)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b'{"claims": "c"}', "application/json", id="json"),
        pytest.param(b"claims=c1&invoices=i1", "application/x-www-form-urlencoded", id="form"),
        pytest.param(SEED_CLAIMS.encode(), "text/csv", id="csv"),
        pytest.param(b"--x--\r\n", "multipart/form-data", id="multipart-without-boundary"),
    ],
)
def test_non_multipart_body_is_415(client, before, content, content_type):
    response = client.post("/api/upload", content=content, headers={"content-type": content_type})
    error_of(response, status=415, code="unsupported_media_type")
    assert_nothing_changed(client, before)


def test_non_multipart_without_content_type_is_415(client, before):
    error_of(client.post("/api/upload/"), status=415, code="unsupported_media_type")
    assert_nothing_changed(client, before)


def _small_limit_client(tmp_path) -> TestClient:
    settings = Settings(
        database_url=str(tmp_path / "small" / "claims_recon.duckdb"),
        upload_dir=tmp_path / "small" / "uploads",
        max_upload_bytes=1000,
    )
    return TestClient(create_app(settings))


def test_body_over_the_limit_is_413(tmp_path):
    with _small_limit_client(tmp_path) as small:
        assert upload(small, SEED_CLAIMS, SEED_INVOICES).status_code == 201
        state = snapshot(small)
        big = CLAIMS_HEADER + "".join(f"c{n},p{n},2023-01-01,1.00\n" for n in range(100))
        assert len(big) > 1000
        error = error_of(upload(small, big, SEED_INVOICES), status=413, code="payload_too_large")
        assert "1,000" in error["message"]
        assert snapshot(small) == state


def test_streamed_body_over_the_limit_is_413(tmp_path):
    """No Content-Length (chunked): the limit is enforced while the body arrives."""
    with _small_limit_client(tmp_path) as small:
        assert upload(small, SEED_CLAIMS, SEED_INVOICES).status_code == 201
        state = snapshot(small)
        big = CLAIMS_HEADER + "".join(f"c{n},p{n},2023-01-01,1.00\n" for n in range(100))
        body = multipart_body(
            [("claims", "claims.csv", big.encode()), ("invoices", "i.csv", SEED_INVOICES.encode())]
        )

        def chunks():
            for start in range(0, len(body), 256):
                yield body[start : start + 256]

        response = small.post(
            "/api/upload",
            content=chunks(),
            headers={"content-type": "multipart/form-data; boundary=XyZb0und"},
        )
        error_of(response, status=413, code="payload_too_large")
        assert snapshot(small) == state


@pytest.mark.parametrize(
    "fields",
    [
        {"tolerance_amount": "abc"},
        {"tolerance_percent": "ten"},
        {"tolerance_amount": "-1"},
        {"tolerance_amount": "nan"},
        {"tolerance_percent": "101"},
        {"tolerance_amount": "0.001"},
    ],
)
def test_bad_tolerance_is_422(client, before, fields):
    error = error_of(upload(client, SEED_CLAIMS, SEED_INVOICES, **fields), code="invalid_request")
    assert next(iter(fields)) in error["message"] or "tolerance" in error["message"]
    assert_nothing_changed(client, before)


def test_unexpected_form_field_is_422(client, before):
    error = error_of(
        upload(client, SEED_CLAIMS, SEED_INVOICES, colour="blue"), code="invalid_request"
    )
    assert "colour" in error["message"]
    assert_nothing_changed(client, before)


def test_file_sent_twice_is_422(client, before):
    body = multipart_body(
        [
            ("claims", "a.csv", SEED_CLAIMS.encode()),
            ("claims", "b.csv", SEED_CLAIMS.encode()),
            ("invoices", "i.csv", SEED_INVOICES.encode()),
        ]
    )
    response = client.post(
        "/api/upload",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XyZb0und"},
    )
    error_of(response, code="invalid_request")
    assert_nothing_changed(client, before)


def test_a_blank_file_input_counts_as_not_sent(client):
    """Browsers send an unselected file input as an empty part without a file name."""
    assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
    response = client.post(
        "/api/upload",
        files={
            "claims": ("", b"", "application/octet-stream"),
            "invoices": ("late.csv", SEED_INVOICES.replace("50.00", "60.00").encode(), "text/csv"),
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["run"]["claims"]["from_run_id"] == 1
