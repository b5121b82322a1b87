"""Reading a run's reconciled claims: shape, filters, sort, paging, money and tolerance."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.crafted import CLAIMS, INVOICES
from tests.conftest import csv_text, upload


def row(claim_id, patient_id, date, charges, count, total, variance, status, refunds):
    return {
        "claim_id": claim_id,
        "patient_id": patient_id,
        "date_of_service": date,
        "charges_amount": charges,
        "invoice_count": count,
        "invoice_total": total,
        "variance": variance,
        "status": status,
        "has_refunds": refunds,
    }


EXPECTED = [
    row("A1", "p1", "2023-01-05", 100.0, 1, 100.0, 0.0, "BALANCED", False),
    row("A2", "p2", "2023-01-20", 200.0, 1, 150.0, -50.0, "UNDERPAID", False),
    row("B1", "p1", "2023-02-10", 300.0, 2, 350.0, 50.0, "OVERPAID", False),
    row("B2", "p3", "2023-02-28", 80.0, 0, None, None, "NO_INVOICES", False),
    row("C1", "p2", "2023-03-01", 120.0, 2, 150.0, 30.0, "OVERPAID", True),
    row("C2", "p4", "2023-03-15", 50.0, 1, 25.0, -25.0, "UNDERPAID", False),
    row("D1", "p5", "2023-04-01", 40.0, 0, None, None, "NO_INVOICES", False),
]
BY_ID = {r["claim_id"]: r for r in EXPECTED}


@pytest.fixture
def run(client) -> dict[str, Any]:
    response = upload(client, CLAIMS, INVOICES)
    assert response.status_code == 201, response.text
    return response.json()


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["claim_id"] for r in response.json()["data"]]


def get(client, params=None, run_id: int | None = None):
    url = "/api/reconciliation" if run_id is None else f"/api/runs/{run_id}/reconciliation"
    return client.get(url, params=params)


def error_of(response, status: int = 422) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "total", "details"}
    return body["error"]


# -- shape --------------------------------------------------------------------------


@pytest.mark.parametrize("run_id", [None, 1])
def test_page_shape_and_every_row(client, run, run_id):
    body = get(client, run_id=run_id).json()
    assert body == {"run_id": 1, "data": EXPECTED, "total": 7, "skip": 0, "limit": 100}


def test_money_is_two_decimal_numbers_and_missing_invoices_are_null(client, run):
    raw = get(client).text
    assert '"variance":-50.00' in raw
    assert '"variance":0.00' in raw
    assert '"invoice_total":350.00' in raw
    assert '"charges_amount":80.00' in raw
    assert '"invoice_count":0,"invoice_total":null,"variance":null' in raw
    assert "-50.0," not in raw and "100.0," not in raw
    no_invoices = [r for r in get(client).json()["data"] if r["status"] == "NO_INVOICES"]
    assert [(r["invoice_total"], r["variance"], r["invoice_count"]) for r in no_invoices] == [
        (None, None, 0),
        (None, None, 0),
    ]


def test_refund_claim_has_refunds(client, run):
    c1 = client.get("/api/runs/1/claims/C1").json()
    assert c1["claim"]["has_refunds"] is True
    assert [i["transaction_value"] for i in c1["invoices"]] == [200.0, -50.0]
    assert '"transaction_value":-50.00' in client.get("/api/runs/1/claims/C1").text


# -- filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "OVERPAID"}, ["B1", "C1"]),
        ({"status": "overpaid"}, ["B1", "C1"]),
        ({"status": "No_Invoices"}, ["B2", "D1"]),
        ({"status": ["UNDERPAID", "balanced"]}, ["A1", "A2", "C2"]),
        ({"status": "balanced,no_invoices"}, ["A1", "B2", "D1"]),
        ({"status": "balanced, underpaid,"}, ["A1", "A2", "C2"]),
        ({"status": ["OVERPAID,UNDERPAID", "OVERPAID"]}, ["A2", "B1", "C1", "C2"]),
        ({"patient_id": "p2"}, ["A2", "C1"]),
        ({"patient_id": "P2"}, []),
        ({"patient_id": "p"}, []),
        ({"claim_id": "b"}, ["B1", "B2"]),
        ({"claim_id": "C"}, ["C1", "C2"]),
        ({"claim_id": "1"}, ["A1", "B1", "C1", "D1"]),
        ({"date_from": "2023-02-10"}, ["B1", "B2", "C1", "C2", "D1"]),
        ({"date_to": "2023-02-10"}, ["A1", "A2", "B1"]),
        ({"date_from": "2023-02-10", "date_to": "2023-03-01"}, ["B1", "B2", "C1"]),
        ({"date_from": "2023-03-02", "date_to": "2023-03-01"}, []),
        ({"variance_min": "-25", "variance_max": "30"}, ["A1", "C1", "C2"]),
        ({"variance_min": "-25.00"}, ["A1", "B1", "C1", "C2"]),
        ({"variance_max": "-25.01"}, ["A2"]),
        ({"variance_min": "0", "variance_max": "0"}, ["A1"]),
        ({"has_refunds": "true"}, ["C1"]),
        ({"has_refunds": "false"}, ["A1", "A2", "B1", "B2", "C2", "D1"]),
        ({"status": "OVERPAID", "has_refunds": "false"}, ["B1"]),
        ({"status": "UNDERPAID,OVERPAID", "patient_id": "p2", "claim_id": "a"}, ["A2"]),
    ],
)
def test_filters(client, run, params, expected):
    response = get(client, params)
    assert ids(response) == expected
    assert response.json()["total"] == len(expected)
    assert ids(get(client, params, run_id=1)) == expected


def test_claim_id_search_treats_percent_and_underscore_literally(client):
    claims = csv_text(
        """
        claim_id,patient_id,date_of_service,charges_amount
        c_1,p1,2023-01-01,10.00
        cx1,p1,2023-01-01,10.00
        c%2,p1,2023-01-01,10.00
        CY2,p1,2023-01-01,10.00
        """
    )
    invoices = "invoice_id,claim_id,transaction_value\ni1,c_1,10.00\n"
    assert upload(client, claims, invoices).status_code == 201
    assert ids(get(client, {"claim_id": "_"})) == ["c_1"]
    assert ids(get(client, {"claim_id": "%"})) == ["c%2"]
    assert ids(get(client, {"claim_id": "c_"})) == ["c_1"]
    assert ids(get(client, {"claim_id": "c%"})) == ["c%2"]
    assert ids(get(client, {"claim_id": "cy"})) == ["CY2"]
    assert ids(get(client, {"claim_id": "Y2"})) == ["CY2"]


def test_unknown_status_is_422_on_the_status_parameter(client, run):
    error = error_of(get(client, {"status": "BALANCED,PAID"}))
    assert error["code"] == "invalid_request"
    assert error["total"] == len(error["details"]) == 1
    detail = error["details"][0]
    assert detail["column"] == "status"
    assert detail["value"] == "BALANCED,PAID"
    assert "use BALANCED, UNDERPAID, OVERPAID or NO_INVOICES" in error["message"]


@pytest.mark.parametrize(
    ("params", "column"),
    [
        ({"date_from": "2023-02-30"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"variance_min": "abc"}, "variance_min"),
        ({"has_refunds": "maybe"}, "has_refunds"),
        ({"sort": "amount"}, "sort"),
        ({"sort": "-"}, "sort"),
    ],
)
def test_invalid_parameters_are_422(client, run, params, column):
    error = error_of(get(client, params))
    assert error["code"] == "invalid_request"
    assert error["details"], error
    assert error["details"][0]["column"] == column


# -- sort ---------------------------------------------------------------------------

COLUMNS = list(EXPECTED[0])


def reference_order(column: str, descending: bool) -> list[str]:
    """NULLs last either way; ties broken by claim_id ascending."""
    present = [r for r in EXPECTED if r[column] is not None]
    missing = [r for r in EXPECTED if r[column] is None]
    present.sort(key=lambda r: r["claim_id"])
    present.sort(key=lambda r: r[column], reverse=descending)
    missing.sort(key=lambda r: r["claim_id"])
    return [r["claim_id"] for r in present + missing]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("column", COLUMNS)
def test_sort_by_every_column(client, run, column, descending):
    sort = ("-" if descending else "") + column
    assert ids(get(client, {"sort": sort})) == reference_order(column, descending)
    assert ids(get(client, {"sort": sort}, run_id=1)) == reference_order(column, descending)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("variance", ["A2", "C2", "A1", "C1", "B1", "B2", "D1"]),
        ("-variance", ["B1", "C1", "A1", "C2", "A2", "B2", "D1"]),
        ("invoice_total", ["C2", "A1", "A2", "C1", "B1", "B2", "D1"]),
        ("-invoice_total", ["B1", "A2", "C1", "A1", "C2", "B2", "D1"]),
        ("-invoice_count", ["B1", "C1", "A1", "A2", "C2", "B2", "D1"]),
        ("status", ["A1", "B2", "D1", "B1", "C1", "A2", "C2"]),
        ("-patient_id", ["D1", "C2", "B2", "A2", "C1", "A1", "B1"]),
        ("-claim_id", ["D1", "C2", "C1", "B2", "B1", "A2", "A1"]),
        ("-has_refunds", ["C1", "A1", "A2", "B1", "B2", "C2", "D1"]),
    ],
)
def test_sort_explicit_orders(client, run, sort, expected):
    assert ids(get(client, {"sort": sort})) == expected


def test_sort_then_filter_then_page(client, run):
    body = get(client, {"sort": "-variance", "status": "UNDERPAID,OVERPAID", "limit": 2}).json()
    assert [r["claim_id"] for r in body["data"]] == ["B1", "C1"]
    assert body["total"] == 4
    body = get(
        client, {"sort": "-variance", "status": "UNDERPAID,OVERPAID", "limit": 2, "skip": 2}
    ).json()
    assert [r["claim_id"] for r in body["data"]] == ["C2", "A2"]


# -- paging -------------------------------------------------------------------------


def test_paging(client, run):
    body = get(client, {"skip": 2, "limit": 2}).json()
    assert body["skip"] == 2
    assert body["limit"] == 2
    assert body["total"] == 7
    assert body["data"] == [BY_ID["B1"], BY_ID["B2"]]
    last = get(client, {"skip": 6, "limit": 5}).json()
    assert [r["claim_id"] for r in last["data"]] == ["D1"]
    assert last["total"] == 7
    beyond = get(client, {"skip": 50}).json()
    assert beyond["data"] == [] and beyond["total"] == 7 and beyond["skip"] == 50
    assert get(client, {"limit": 1000}).json()["limit"] == 1000


@pytest.mark.parametrize(
    ("params", "column"),
    [
        ({"limit": 1001}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"skip": -1}, "skip"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_paging_is_422(client, run, params, column):
    error = error_of(get(client, params))
    assert error["code"] == "invalid_request"
    assert [d["column"] for d in error["details"]] == [column]
    error_of(get(client, params, run_id=1))


# -- tolerance ----------------------------------------------------------------------

TOLERANCE_CLAIMS = csv_text(
    """
    claim_id,patient_id,date_of_service,charges_amount
    T1,p1,2023-01-01,100.00
    T2,p1,2023-01-01,200.00
    T3,p1,2023-01-01,200.00
    T4,p1,2023-01-01,100.00
    """
)
TOLERANCE_INVOICES = csv_text(
    """
    invoice_id,claim_id,transaction_value
    i1,T1,99.50
    i2,T2,185.00
    i3,T3,175.00
    i4,T4,101.01
    """
)


def statuses(client) -> dict[str, str]:
    return {r["claim_id"]: r["status"] for r in get(client).json()["data"]}


def test_without_tolerance_every_miss_counts(client):
    assert upload(client, TOLERANCE_CLAIMS, TOLERANCE_INVOICES).status_code == 201
    assert statuses(client) == {
        "T1": "UNDERPAID",
        "T2": "UNDERPAID",
        "T3": "UNDERPAID",
        "T4": "OVERPAID",
    }


def test_tolerance_amount(client):
    response = upload(client, TOLERANCE_CLAIMS, TOLERANCE_INVOICES, tolerance_amount="1.00")
    assert response.status_code == 201, response.text
    assert statuses(client) == {
        "T1": "BALANCED",  # -0.50
        "T2": "UNDERPAID",
        "T3": "UNDERPAID",
        "T4": "OVERPAID",  # +1.01
    }
    t1 = next(r for r in get(client).json()["data"] if r["claim_id"] == "T1")
    assert t1["variance"] == -0.5
    assert response.json()["run"]["tolerance_amount"] == 1.0
    assert '"tolerance_amount":1.00' in client.get("/api/runs/1").text


def test_tolerance_percent(client):
    response = upload(client, TOLERANCE_CLAIMS, TOLERANCE_INVOICES, tolerance_percent="10")
    assert response.status_code == 201, response.text
    assert statuses(client) == {
        "T1": "BALANCED",  # 0.50 <= 10.00
        "T2": "BALANCED",  # 15 <= 20
        "T3": "UNDERPAID",  # 25 > 20
        "T4": "BALANCED",  # 1.01 <= 10
    }
    assert response.json()["run"]["tolerance_percent"] == 10


def test_tolerance_percent_boundary_is_inclusive(client):
    claims = "claim_id,patient_id,date_of_service,charges_amount\nE1,p,2023-01-01,200.00\n"
    invoices = "invoice_id,claim_id,transaction_value\ni1,E1,180.00\n"
    assert upload(client, claims, invoices, tolerance_percent="10").status_code == 201
    assert statuses(client) == {"E1": "BALANCED"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # amount 30 is more lenient than 10% of 200 (= 20): T3's -25 is balanced.
        ({"tolerance_amount": "30", "tolerance_percent": "10"}, "BALANCED"),
        # 10% of 200 (= 20) is more lenient than 5: T2's -15 is balanced.
        ({"tolerance_amount": "5", "tolerance_percent": "10"}, "BALANCED"),
        ({"tolerance_amount": "5", "tolerance_percent": "5"}, "UNDERPAID"),
    ],
)
def test_the_more_lenient_tolerance_applies(client, fields, expected):
    assert upload(client, TOLERANCE_CLAIMS, TOLERANCE_INVOICES, **fields).status_code == 201
    got = statuses(client)
    target = "T3" if fields["tolerance_amount"] == "30" else "T2"
    assert got[target] == expected
    assert got["T1"] == "BALANCED"


def test_tolerance_is_explained_per_claim(client):
    upload(
        client, TOLERANCE_CLAIMS, TOLERANCE_INVOICES, tolerance_amount="5", tolerance_percent="10"
    )
    detail = client.get("/api/runs/1/claims/T2").json()
    assert detail["tolerance_allowed"] == 20.0
    assert detail["claim"]["status"] == "BALANCED"
    assert "20.00" in detail["explanation"]
    assert "-15.00" in detail["explanation"]
