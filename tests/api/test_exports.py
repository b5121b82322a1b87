"""Downloads of a result view: CSV, XLSX and Parquet carry exactly the rows (and order) of
the JSON view with the same filters and sort; amounts stay exact numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.api.crafted import CLAIMS, INVOICES
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, csv_text, upload

HEADER = [
    "claim_id",
    "patient_id",
    "date_of_service",
    "charges_amount",
    "invoice_count",
    "invoice_total",
    "variance",
    "status",
    "has_refunds",
]
MONEY = ("charges_amount", "invoice_total", "variance")
MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
FORMATS = ["csv", "xlsx", "parquet"]
VIEWS = [
    pytest.param({}, id="all"),
    pytest.param({"sort": "-variance"}, id="sort-variance-desc"),
    pytest.param({"sort": "invoice_total"}, id="sort-invoice-total"),
    pytest.param({"status": "UNDERPAID,overpaid", "sort": "-charges_amount"}, id="statuses"),
    pytest.param({"status": ["BALANCED", "NO_INVOICES"]}, id="repeated-status"),
    pytest.param({"patient_id": "p2"}, id="patient"),
    pytest.param({"claim_id": "b"}, id="claim-search"),
    pytest.param({"date_from": "2023-02-10", "date_to": "2023-03-01"}, id="dates"),
    pytest.param({"variance_min": "-25", "variance_max": "30", "sort": "variance"}, id="var"),
    pytest.param({"has_refunds": "true"}, id="refunds"),
    pytest.param({"status": "BALANCED", "has_refunds": "true"}, id="empty"),
]


@pytest.fixture
def run(client) -> dict[str, Any]:
    response = upload(client, CLAIMS, INVOICES)
    assert response.status_code == 201, response.text
    return response.json()


# -- reading the downloads ----------------------------------------------------------


def read_csv(content: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"))))
    return rows[0], rows[1:]


def read_xlsx(content: bytes) -> tuple[list[Any], list[list[Any]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def read_parquet(content: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(content))


def json_rows(client, params, run_id: int | None = 1) -> list[dict[str, Any]]:
    url = "/api/reconciliation" if run_id is None else f"/api/runs/{run_id}/reconciliation"
    response = client.get(url, params={**params, "limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def as_csv_cells(row: dict[str, Any]) -> list[str]:
    cells = []
    for name in HEADER:
        value = row[name]
        if value is None:
            cells.append("")
        elif name in MONEY:
            cells.append(f"{value:.2f}")
        elif isinstance(value, bool):
            cells.append("true" if value else "false")
        else:
            cells.append(str(value))
    return cells


def as_xlsx_cells(row: dict[str, Any]) -> list[Any]:
    cells = []
    for name in HEADER:
        value = row[name]
        if name == "date_of_service":
            value = dt.datetime.fromisoformat(value)
        cells.append(value)
    return cells


def as_parquet_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["date_of_service"] = dt.date.fromisoformat(row["date_of_service"])
    for name in MONEY:
        if row[name] is not None:
            out[name] = Decimal(f"{row[name]:.2f}")
    return out


def download(client, params, fmt: str, run_id: int | None = 1):
    url = (
        "/api/reconciliation/export"
        if run_id is None
        else f"/api/runs/{run_id}/reconciliation/export"
    )
    response = client.get(url, params={**params, "format": fmt})
    assert response.status_code == 200, response.text
    return response


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "total", "details"}
    return body["error"]


# -- same rows as the JSON view -----------------------------------------------------


@pytest.mark.parametrize("run_id", [1, None], ids=["by-run", "latest"])
@pytest.mark.parametrize("params", VIEWS)
def test_csv_matches_json_view(client, run, params, run_id):
    expected = json_rows(client, params, run_id)
    header, rows = read_csv(download(client, params, "csv", run_id).content)
    assert header == HEADER
    assert rows == [as_csv_cells(r) for r in expected]


@pytest.mark.parametrize("run_id", [1, None], ids=["by-run", "latest"])
@pytest.mark.parametrize("params", VIEWS)
def test_xlsx_matches_json_view(client, run, params, run_id):
    expected = json_rows(client, params, run_id)
    header, rows = read_xlsx(download(client, params, "xlsx", run_id).content)
    assert header == HEADER
    assert rows == [as_xlsx_cells(r) for r in expected]


@pytest.mark.parametrize("run_id", [1, None], ids=["by-run", "latest"])
@pytest.mark.parametrize("params", VIEWS)
def test_parquet_matches_json_view(client, run, params, run_id):
    expected = json_rows(client, params, run_id)
    table = read_parquet(download(client, params, "parquet", run_id).content)
    assert table.column_names == HEADER
    assert table.to_pylist() == [as_parquet_row(r) for r in expected]


def test_default_export_is_csv(client, run):
    response = client.get("/api/runs/1/reconciliation/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="run-1-reconciliation.csv"'
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_media_type_and_filename(client, run, fmt):
    for url in ("/api/runs/1/reconciliation/export", "/api/reconciliation/export"):
        response = client.get(url, params={"format": fmt})
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == MEDIA[fmt]
        assert response.headers["content-disposition"] == (
            f'attachment; filename="run-1-reconciliation.{fmt}"'
        )


def test_latest_export_follows_the_latest_run(client, run):
    second = "claim_id,patient_id,date_of_service,charges_amount\nX1,p9,2024-05-05,9.99\n"
    assert upload(client, second).status_code == 201
    response = client.get("/api/reconciliation/export")
    assert 'filename="run-2-reconciliation.csv"' in response.headers["content-disposition"]
    _, rows = read_csv(response.content)
    assert rows == [["X1", "p9", "2024-05-05", "9.99", "0", "", "", "NO_INVOICES", "false"]]
    # The earlier run is still downloadable by number.
    _, rows = read_csv(client.get("/api/runs/1/reconciliation/export").content)
    assert len(rows) == 7


# -- exact values -------------------------------------------------------------------


def test_csv_amounts_are_exact_strings(client, run):
    header, rows = read_csv(download(client, {"sort": "claim_id"}, "csv").content)
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_id["A2"]["variance"] == "-50.00"
    assert by_id["A2"]["invoice_total"] == "150.00"
    assert by_id["A1"]["variance"] == "0.00"
    assert by_id["B1"]["invoice_total"] == "350.00"
    assert by_id["B2"]["invoice_total"] == ""
    assert by_id["B2"]["variance"] == ""
    assert by_id["C1"]["has_refunds"] == "true"
    assert by_id["A1"]["date_of_service"] == "2023-01-05"
    assert [r[0] for r in rows] == ["A1", "A2", "B1", "B2", "C1", "C2", "D1"]


def test_xlsx_amounts_are_numbers(client):
    claims = "claim_id,patient_id,date_of_service,charges_amount\nR1,p1,2023-01-01,-50.00\n"
    invoices = "invoice_id,claim_id,transaction_value\ni1,R1,-50.00\ni2,R1,0.01\n"
    assert upload(client, claims, invoices).status_code == 201
    content = download(client, {}, "xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    assert header == HEADER
    cells = dict(zip(header, sheet[2], strict=True))
    assert cells["charges_amount"].value == -50.0
    assert cells["charges_amount"].data_type == "n"
    assert cells["invoice_total"].value == pytest.approx(-49.99)
    assert cells["invoice_total"].data_type == "n"
    assert cells["variance"].value == pytest.approx(0.01)
    assert cells["invoice_count"].value == 2
    assert cells["status"].value == "OVERPAID"
    assert cells["has_refunds"].value is True
    assert cells["date_of_service"].value == dt.datetime(2023, 1, 1)
    assert sheet.max_row == 2


def test_xlsx_refund_is_a_negative_number(client, run):
    content = download(client, {"claim_id": "A2"}, "xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert cells["variance"].value == -50.0
    assert cells["variance"].data_type == "n"
    assert cells["invoice_total"].value == 150.0
    assert cells["invoice_count"].data_type == "n"


def test_parquet_has_decimals(client, run):
    table = read_parquet(download(client, {"claim_id": "A2"}, "parquet").content)
    for name in MONEY:
        assert pa.types.is_decimal(table.schema.field(name).type), name
        assert table.schema.field(name).type.scale == 2
    assert table.to_pylist()[0]["variance"] == Decimal("-50.00")
    assert str(table.to_pylist()[0]["variance"]) == "-50.00"
    assert table.schema.field("date_of_service").type == pa.date32()


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_view_still_has_the_header(client, run, fmt):
    params = {"status": "BALANCED", "has_refunds": "true"}
    assert json_rows(client, params) == []
    content = download(client, params, fmt).content
    if fmt == "csv":
        assert read_csv(content) == (HEADER, [])
    elif fmt == "xlsx":
        assert read_xlsx(content) == (HEADER, [])
    else:
        table = read_parquet(content)
        assert table.column_names == HEADER
        assert table.num_rows == 0


# -- formula injection --------------------------------------------------------------

RISKY_IDS = ["=1+2", "+1", "@x", "-2", "=cmd|' /C calc'!A0"]


@pytest.fixture
def risky_run(client) -> None:
    lines = ["claim_id,patient_id,date_of_service,charges_amount"]
    for n, claim_id in enumerate(RISKY_IDS):
        quoted = '"' + claim_id.replace('"', '""') + '"'
        lines.append(f"{quoted},@p{n},2023-01-0{n + 1},10.00")
    lines.append("safe,p,2023-01-09,10.00")
    invoices = "invoice_id,claim_id,transaction_value\n=i1,safe,-10.00\ni2,safe,20.00\n"
    response = upload(client, "\n".join(lines) + "\n", invoices)
    assert response.status_code == 201, response.text


def test_csv_neutralises_formulas(client, risky_run):
    header, rows = read_csv(download(client, {"sort": "date_of_service"}, "csv").content)
    assert [r[0] for r in rows] == ["'" + c for c in RISKY_IDS] + ["safe"]
    assert [r[1] for r in rows] == [f"'@p{n}" for n in range(len(RISKY_IDS))] + ["p"]
    safe = dict(zip(header, rows[-1], strict=True))
    assert safe["variance"] == "0.00"  # a number, never prefixed
    assert safe["invoice_total"] == "10.00"
    # The JSON view shows the values as they were sent.
    assert [r["claim_id"] for r in json_rows(client, {"sort": "date_of_service"})] == [
        *RISKY_IDS,
        "safe",
    ]


def test_xlsx_neutralises_formulas(client, risky_run):
    content = download(client, {"sort": "date_of_service"}, "xlsx").content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["'" + c for c in RISKY_IDS] + ["safe"]
    assert all(r[0].data_type == "s" for r in rows)
    assert [r[1].value for r in rows] == [f"'@p{n}" for n in range(len(RISKY_IDS))] + ["p"]


def test_orphan_export_neutralises_formulas(client, risky_run):
    _, rows = read_csv(client.get("/api/runs/1/orphans/export").content)
    assert rows == []
    late = "invoice_id,claim_id,transaction_value\n@i,=SUM(A1),-1.00\n"
    assert upload(client, invoices=late).status_code == 201
    _, rows = read_csv(client.get("/api/runs/2/orphans/export").content)
    assert rows == [["'@i", "'=SUM(A1)", "-1.00"]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hyperlink_formula_claim_id_is_neutralised(client, fmt):
    claims = csv_text(
        """
        claim_id,patient_id,date_of_service,charges_amount
        =HYPERLINK(A1),p1,2023-01-01,10.00
        """
    )
    invoices = "invoice_id,claim_id,transaction_value\ni1,=HYPERLINK(A1),10.00\n"
    response = upload(client, claims, invoices)
    assert response.status_code == 201, response.text
    content = download(client, {}, fmt).content
    rows = read_csv(content)[1] if fmt == "csv" else read_xlsx(content)[1]
    assert rows[0][0] == "'=HYPERLINK(A1)"


# -- orphans ------------------------------------------------------------------------


def test_orphans_export_csv(client, run):
    response = client.get("/api/runs/1/orphans/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="run-1-orphan-invoices.csv"'
    )
    header, rows = read_csv(response.content)
    assert header == ["invoice_id", "claim_id", "transaction_value"]
    assert rows == [["i9", "ZZ1", "-10.50"], ["i8", "ZZ9", "75.00"]]
    listed = client.get("/api/runs/1/orphans").json()["data"]
    assert [[o["invoice_id"], o["claim_id"], f"{o['transaction_value']:.2f}"] for o in listed] == (
        rows
    )


def test_orphans_export_xlsx_and_parquet(client, run):
    response = client.get("/api/runs/1/orphans/export", params={"format": "xlsx"})
    assert response.headers["content-type"] == MEDIA["xlsx"]
    assert 'filename="run-1-orphan-invoices.xlsx"' in response.headers["content-disposition"]
    assert read_xlsx(response.content) == (
        ["invoice_id", "claim_id", "transaction_value"],
        [["i9", "ZZ1", -10.5], ["i8", "ZZ9", 75.0]],
    )
    response = client.get("/api/runs/1/orphans/export", params={"format": "parquet"})
    assert response.headers["content-type"] == MEDIA["parquet"]
    assert read_parquet(response.content).to_pylist() == [
        {"invoice_id": "i9", "claim_id": "ZZ1", "transaction_value": Decimal("-10.50")},
        {"invoice_id": "i8", "claim_id": "ZZ9", "transaction_value": Decimal("75.00")},
    ]


def test_orphans_export_without_orphans_has_a_header(client):
    assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
    response = client.get("/api/runs/1/orphans/export")
    assert read_csv(response.content) == (["invoice_id", "claim_id", "transaction_value"], [])


# -- failures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/runs/1/reconciliation/export?format=pdf",
        "/api/reconciliation/export?format=CSVX",
        "/api/runs/1/orphans/export?format=json",
    ],
)
def test_unknown_format_is_422(client, run, url):
    error = error_of(client.get(url), 422)
    assert error["code"] == "invalid_request"
    assert error["details"][0]["column"] == "format"


@pytest.mark.parametrize(
    "params",
    [{"status": "PAID"}, {"date_from": "2023-02-30"}, {"sort": "nope"}, {"variance_min": "x"}],
)
def test_export_rejects_the_same_bad_filters_as_the_json_view(client, run, params):
    for url in ("/api/runs/1/reconciliation/export", "/api/reconciliation/export"):
        assert error_of(client.get(url, params=params), 422)["code"] == "invalid_request"


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_before_any_upload_is_404(client, fmt):
    error = error_of(client.get("/api/reconciliation/export", params={"format": fmt}), 404)
    assert error["code"] == "not_found"
    assert error["details"] == []
