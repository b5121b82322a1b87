"""Browsing a generated run: filter, sort, page, open a claim, export, orphans, errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import openpyxl
import pytest

from claims_recon.sampledata import generate
from tests.browser.conftest import DESKTOP, screenshot
from tests.browser.helpers import column_texts, money, upload_through_page
from tests.browser.server import Server

ORPHANS = 4


@pytest.fixture(scope="module")
def run_id(server: Server, browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A 300-claim run, uploaded through the page's file inputs."""
    files = generate(tmp_path_factory.mktemp("generated"), claims=300, seed=11, orphans=ORPHANS)
    context = browser.new_context(viewport=DESKTOP)
    try:
        yield upload_through_page(
            context.new_page(), server, files.claims_path, files.invoices_path
        )
    finally:
        context.close()


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def _claim_ids(page: Any) -> list[str]:
    return column_texts(page, "#results-table", 1)


def test_filter_sort_and_page_through_match_the_api(expect, server: Server, page, run_id: int):
    page.goto(server.url(f"/runs/{run_id}/claims"))
    expect(page.locator(".pager__info").first).to_contain_text("of 300 claims")

    page.get_by_role("checkbox", name="Underpaid").check()
    page.get_by_label("Rows per page").select_option("50")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**status=UNDERPAID**")
    # Empty fields are not sent: the URL holds exactly the view's state.
    assert _query(page.url) == [("status", "UNDERPAID"), ("limit", "50")]
    view = f"/api/runs/{run_id}/reconciliation?status=UNDERPAID&limit=50"
    api = server.json(view)
    assert api["total"] > 50, "the run should give more than one page of underpaid claims"
    expect(page.locator(".pager__info").first).to_contain_text(
        f"Showing 1\u201350 of {api['total']:,} claims"
    )
    assert set(column_texts(page, "#results-table", 8)) == {"Underpaid"}

    page.locator('a[data-sort="variance"]').click()
    page.wait_for_url("**sort=variance**")
    assert _query(page.url) == [("status", "UNDERPAID"), ("limit", "50"), ("sort", "variance")]
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("Variance")
    api = server.json(f"{view}&sort=variance")
    assert _claim_ids(page) == [row["claim_id"] for row in api["data"]]
    assert column_texts(page, "#results-table", 7) == [money(r["variance"]) for r in api["data"]]
    screenshot(page, "claims-underpaid-by-variance")

    page.locator('a[rel="next"]').first.click()
    page.wait_for_url("**skip=50**")
    api = server.json(f"{view}&sort=variance&skip=50")
    assert _claim_ids(page) == [row["claim_id"] for row in api["data"]]
    last = min(100, api["total"])
    expect(page.locator(".pager__info").first).to_contain_text(
        f"Showing 51\u2013{last:,} of {api['total']:,} claims"
    )

    page.locator('a[data-sort="variance"]').click()  # again: descending, back to page 1
    page.wait_for_url("**sort=-variance**")
    assert ("skip", "50") not in _query(page.url)
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("Variance")


def test_a_link_reproduces_the_view(expect, server: Server, page, run_id: int):
    view = "status=OVERPAID&status=NO_INVOICES&sort=-charges_amount&limit=25&claim_id=c000001"
    page.goto(server.url(f"/runs/{run_id}/claims?{view}"))
    api = server.json(f"/api/runs/{run_id}/reconciliation?{view}")
    assert _claim_ids(page) == [row["claim_id"] for row in api["data"]]
    expect(page.get_by_role("checkbox", name="Overpaid")).to_be_checked()
    expect(page.get_by_role("checkbox", name="No invoices")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Balanced")).not_to_be_checked()
    expect(page.get_by_label("Claim ID contains")).to_have_value("c000001")
    expect(page.get_by_label("Rows per page")).to_have_value("25")


def test_claim_page_shows_the_invoices_and_the_arithmetic(
    expect, server: Server, page, run_id: int
):
    page.goto(server.url(f"/runs/{run_id}/claims?status=UNDERPAID&sort=variance"))
    first = page.locator("#results-table tbody tr th a").first
    claim_id = first.inner_text()
    first.click()
    page.wait_for_url(f"**/runs/{run_id}/claims/{claim_id}")

    detail = server.json(f"/api/runs/{run_id}/claims/{claim_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Claim {claim_id}")
    expect(page.locator("#explanation")).to_have_text(detail["explanation"])
    expect(page.locator(".status-panel .status")).to_have_text("Underpaid")
    claim = detail["claim"]
    expect(page.locator('[data-math="invoice_total"]')).to_have_text(money(claim["invoice_total"]))
    expect(page.locator('[data-math="charges"]')).to_have_text(money(claim["charges_amount"]))
    expect(page.locator('[data-math="variance"]')).to_have_text(money(claim["variance"]))
    expect(page.locator('[data-math="tolerance"]')).to_have_text(
        "± " + money(detail["tolerance_allowed"])
    )
    assert column_texts(page, "#invoices-table", 1) == [i["invoice_id"] for i in detail["invoices"]]
    assert column_texts(page, "#invoices-table", 2) == [
        money(i["transaction_value"]) for i in detail["invoices"]
    ]
    screenshot(page, "claim-detail")


def test_export_links_download_exactly_this_view(expect, server: Server, page, run_id: int):
    page.goto(server.url(f"/runs/{run_id}/claims?status=UNDERPAID&sort=-variance&skip=100"))
    api = server.json(
        f"/api/runs/{run_id}/reconciliation?status=UNDERPAID&sort=-variance&limit=1000"
    )
    expected = [row["claim_id"] for row in api["data"]]

    with page.expect_download() as download:
        page.locator('a[data-export="csv"]').click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert download.value.suggested_filename == f"run-{run_id}-reconciliation.csv"
    assert [row["claim_id"] for row in rows] == expected  # every page, not just this one
    assert {row["status"] for row in rows} == {"UNDERPAID"}

    with page.expect_download() as download:
        page.locator('a[data-export="xlsx"]').click()
    assert download.value.suggested_filename == f"run-{run_id}-reconciliation.xlsx"
    workbook = io.BytesIO(Path(download.value.path()).read_bytes())
    sheet = openpyxl.load_workbook(workbook, read_only=True).active
    values = list(sheet.values)
    assert values[0][0] == "claim_id"
    assert [row[0] for row in values[1:]] == expected


def test_orphans_page_lists_the_invoices_matching_no_claim(
    expect, server: Server, page, run_id: int
):
    page.goto(server.url(f"/runs/{run_id}"))
    page.get_by_role("link", name="Orphan invoices", exact=False).first.click()
    page.wait_for_url(f"**/runs/{run_id}/orphans")
    api = server.json(f"/api/runs/{run_id}/orphans")
    assert api["total"] == ORPHANS
    assert column_texts(page, "#orphans-table", 1) == [o["invoice_id"] for o in api["data"]]
    assert column_texts(page, "#orphans-table", 3) == [
        money(o["transaction_value"]) for o in api["data"]
    ]
    with page.expect_download() as download:
        page.locator('a[data-export="csv"]').click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["invoice_id"] for row in rows] == [o["invoice_id"] for o in api["data"]]
    screenshot(page, "orphans")


def test_generated_dashboard_draws_every_chart(expect, server: Server, page, run_id: int):
    page.goto(server.url(f"/runs/{run_id}"))
    expect(page.locator("#charts")).to_have_attribute("data-charts-ready", "true")
    for chart in ("status-count", "status-amount", "months", "variance", "patients"):
        box = page.locator(f"#chart-{chart}").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, chart
    summary = server.json(f"/api/runs/{run_id}/summary")
    expect(page.locator('[data-kpi="total_charges"] [data-kpi-value]')).to_have_text(
        money(summary["total_charges"])
    )
    screenshot(page, "dashboard-generated")


def test_unknown_run_and_claim_get_a_friendly_html_page(expect, server: Server, page, run_id: int):
    for path, text in (
        ("/runs/999999", "Run 999999 does not exist."),
        ("/runs/999999/claims", "Run 999999 does not exist."),
        (f"/runs/{run_id}/claims/NOPE-1", f"Claim 'NOPE-1' is not in run {run_id}."),
        ("/runs/not-a-number", "There is no such page."),
    ):
        response = page.goto(server.url(path))
        assert response is not None and response.status == 404, path
        assert response.headers["content-type"].startswith("text/html")
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.locator(".lead")).to_have_text(text)
        expect(page.get_by_role("link", name="All runs")).to_be_visible()
    screenshot(page, "not-found")


def test_invalid_view_parameters_get_a_readable_message(expect, server: Server, page, run_id: int):
    response = page.goto(
        server.url(f"/runs/{run_id}/claims?date_from=2023-13-01&variance_min=lots")
    )
    assert response is not None and response.status == 422
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("This view could not be shown")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("date_from")
    expect(rows.nth(0)).to_contain_text("2023-13-01")
    expect(rows.nth(1)).to_contain_text("variance_min")
    page.get_by_role("link", name="Show this page without the settings").click()
    page.wait_for_url(f"**/runs/{run_id}/claims")
    expect(page.locator(".pager__info").first).to_contain_text("of 300 claims")
    screenshot(page, "invalid-view")


def test_patient_ids_stay_out_of_the_server_log(expect, server: Server, page, run_id: int):
    patient = server.json(f"/api/runs/{run_id}/reconciliation?limit=1")["data"][0]["patient_id"]
    page.goto(server.url(f"/runs/{run_id}/claims?patient_id={patient}"))
    expect(page.locator("#results-table tbody tr").first).to_contain_text(patient)
    page.goto(server.url(f"/runs/{run_id}"))  # top patients are on the dashboard
    assert patient not in server.log.read_text()
