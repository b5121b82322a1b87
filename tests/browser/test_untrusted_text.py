"""Uploaded text is data, never markup, and any claim ID can be opened from its link."""

from __future__ import annotations

from typing import Any

from tests.browser.helpers import upload_through_api
from tests.browser.server import Server

CLAIM = "<i>A/1?x#y</i>"
PATIENT = "<img src=x onerror=alert(1)>"
CLAIMS = f"claim_id,patient_id,date_of_service,charges_amount\n{CLAIM},{PATIENT},2023-01-01,10\n"
INVOICES = f"invoice_id,claim_id,transaction_value\n<b>i1</b>,{CLAIM},4.00\n"


def test_markup_in_ids_is_shown_as_text_and_the_claim_link_works(expect, server: Server, page):
    dialogs: list[Any] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    run_id = upload_through_api(server, CLAIMS, INVOICES)

    page.goto(server.url(f"/runs/{run_id}/claims"))
    row = page.locator("#results-table tbody tr").first
    expect(row.locator("th")).to_have_text(CLAIM)
    expect(row.locator('[data-label="Patient"]')).to_have_text(PATIENT)
    assert page.locator("#results-table i, #results-table img").count() == 0

    row.get_by_role("link", name=CLAIM).click()
    page.wait_for_url(f"**/runs/{run_id}/claims/%3Ci%3EA%2F1%3Fx%23y%3C%2Fi%3E")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Claim {CLAIM}")
    expect(page.locator("#invoices-table tbody th")).to_have_text("<b>i1</b>")

    page.goto(server.url(f"/runs/{run_id}"))  # the patient is in the top-patients table
    expect(page.locator("#charts")).to_have_attribute("data-charts-ready", "true")
    assert dialogs == []
