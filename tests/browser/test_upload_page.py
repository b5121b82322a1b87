"""The upload page: first visit, the seed example through the file inputs, a bad file."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.helpers import money, write_seed
from tests.browser.server import Server

# Records what the progress box showed, in sessionStorage so it survives the redirect to
# the dashboard. Run through the test tool, not the page, so the page's CSP is not bent.
RECORD_PROGRESS = """() => {
  const phase = document.getElementById("upload-phase");
  const bar = document.getElementById("upload-bar");
  const seen = { phases: [], values: [] };
  const save = () => sessionStorage.setItem("progress", JSON.stringify(seen));
  new MutationObserver(() => { seen.phases.push(phase.textContent); save(); })
    .observe(phase, { childList: true, characterData: true, subtree: true });
  new MutationObserver(() => { seen.values.push(bar.getAttribute("value")); save(); })
    .observe(bar, { attributes: true, attributeFilter: ["value"] });
}"""


def test_first_visit_explains_the_formats_and_offers_examples(expect, fresh_server: Server, page):
    page.goto(fresh_server.url("/"))
    page.keyboard.press("Tab")  # keyboard users can jump over the navigation first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    expect(page.get_by_role("heading", name="No runs yet — start here")).to_be_visible()
    formats = page.locator(".formats")
    expect(formats).to_contain_text("claim_id,patient_id,date_of_service,charges_amount")
    expect(formats).to_contain_text("invoice_id,claim_id,transaction_value")
    expect(page.get_by_role("heading", name="Recent runs")).to_have_count(0)

    with page.expect_download() as download:
        page.get_by_role("link", name="claims-example.csv").click()
    example = Path(download.value.path()).read_text()
    assert example.splitlines()[0] == "claim_id,patient_id,date_of_service,charges_amount"
    screenshot(page, "upload-empty-state")


def test_seed_example_through_the_page_matches_the_api_summary(
    expect, fresh_server: Server, page, tmp_path: Path
):
    claims, invoices = write_seed(tmp_path)
    page.goto(fresh_server.url("/"))
    page.evaluate(RECORD_PROGRESS)
    page.set_input_files("#claims-file", str(claims))
    page.set_input_files("#invoices-file", str(invoices))
    expect(page.locator("#claims-chosen")).to_contain_text("claims.csv")
    page.get_by_role("button", name="Reconcile").click()
    page.wait_for_url(f"{fresh_server.base}/runs/1")

    progress = json.loads(page.evaluate("sessionStorage.getItem('progress')"))
    assert "Uploading…" in progress["phases"]
    assert "Reconciling…" in progress["phases"]
    assert "100" in progress["values"]  # the bar reached the end of the transfer

    summary = fresh_server.json("/api/runs/1/summary")

    def kpi(key: str) -> str:
        return page.locator(f'[data-kpi="{key}"] [data-kpi-value]').inner_text()

    assert kpi("total_claims") == f"{summary['total_claims']:,}" == "2"
    assert kpi("total_charges") == money(summary["total_charges"]) == "$300.00"
    assert kpi("total_invoiced") == money(summary["total_invoiced"]) == "$250.00"
    assert kpi("net_variance") == money(summary["net_variance"]) == "\u2212$50.00"
    assert kpi("share_balanced") == "50.0%"
    assert summary["balanced"] * 2 == summary["total_claims"]
    assert kpi("open_underpaid_balance") == money(summary["open_underpaid_balance"]) == "$50.00"
    assert kpi("overpaid_amount") == money(summary["overpaid_amount"]) == "$0.00"
    assert kpi("orphan_invoices") == f"{summary['orphan_invoices']:,}" == "0"

    expect(page.locator("#charts")).to_have_attribute("data-charts-ready", "true")
    status_rows = page.locator(".chart-card").first.locator("tbody tr")
    expect(status_rows).to_have_count(4)  # every status, zero counts included
    expect(status_rows.nth(0)).to_contain_text("Balanced")
    expect(status_rows.nth(1)).to_contain_text("Underpaid")
    expect(status_rows.nth(2)).to_contain_text("Overpaid")
    expect(status_rows.nth(3)).to_contain_text("No invoices")
    screenshot(page, "dashboard-seed")

    page.goto(fresh_server.url("/"))
    expect(page.get_by_role("heading", name="Recent runs")).to_be_visible()
    expect(page.get_by_role("link", name="Run 1", exact=True)).to_be_visible()
    screenshot(page, "upload-with-runs")


BAD_CLAIMS = textwrap.dedent("""\
    claim_id,patient_id,date_of_service,charges_amount
    c1,p1,2023-01-01,100.00
    c2,p2,2023-02-30,200.00
    c3,p3,2023-01-03,abc
    """)


def _rejected_rows(page: Any) -> list[list[str]]:
    rows = page.locator("#upload-errors tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_bad_file_lists_every_problem_with_its_line(expect, server: Server, page, tmp_path: Path):
    claims = tmp_path / "bad-claims.csv"
    claims.write_text(BAD_CLAIMS)
    _, invoices = write_seed(tmp_path)
    runs_before = server.json("/api/runs")["count"]

    page.goto(server.url("/"))
    page.set_input_files("#claims-file", str(claims))
    page.set_input_files("#invoices-file", str(invoices))
    page.get_by_role("button", name="Reconcile").click()

    errors = page.locator("#upload-errors")
    expect(errors.get_by_role("heading", name="The upload was rejected")).to_be_visible()
    expect(errors).to_be_focused()
    expect(errors.locator("h3")).to_have_text(["bad-claims.csv (claims file)"])
    expect(errors.locator(".rejection__total")).to_have_text(
        "2 problems in total. Nothing was stored."
    )
    rows = _rejected_rows(page)
    assert [row[:4] for row in rows] == [
        ["3", "date_of_service", "2023-02-30", "date"],
        ["4", "charges_amount", "abc", "amount"],
    ]
    assert page.url == server.url("/")
    assert server.json("/api/runs")["count"] == runs_before
    screenshot(page, "upload-rejected")


def test_without_scripts_the_form_still_uploads_and_reports(
    expect, server: Server, browser, tmp_path
):
    claims = tmp_path / "bad-claims.csv"
    claims.write_text(BAD_CLAIMS)
    good_claims, invoices = write_seed(tmp_path / "good")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url("/"))
        page.set_input_files("#claims-file", str(claims))
        page.set_input_files("#invoices-file", str(invoices))
        page.get_by_role("button", name="Reconcile").click()
        page.wait_for_load_state()
        assert page.url == server.url("/upload")
        assert _rejected_rows(page)[0][:4] == [
            "3",
            "date_of_service",
            "2023-02-30",
            "date",
        ]

        page.goto(server.url("/"))
        page.set_input_files("#claims-file", str(good_claims))
        page.set_input_files("#invoices-file", str(invoices))
        page.get_by_role("button", name="Reconcile").click()
        page.wait_for_url(lambda url: "/runs/" in url)
        expect(page.locator('[data-kpi="total_claims"] [data-kpi-value]')).to_have_text("2")
    finally:
        context.close()
