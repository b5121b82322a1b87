"""With sign-in on, the pages' scripts send the session's CSRF token with every change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claims_recon.access import SESSION_COOKIE, Sessions, token_hash
from tests.browser.conftest import DESKTOP, screenshot
from tests.browser.helpers import upload_through_page, write_seed
from tests.browser.server import Server, running_server

SECRET = "browser-test-session-secret"
TOKEN = "crt_browser-test-token-0123456789abcdef"


@pytest.fixture
def secured_server(browser: Any, tmp_path: Path) -> Iterator[Server]:
    settings = {
        "CLAIMS_RECON_API_TOKENS": f"tester:{token_hash(TOKEN)}",
        "CLAIMS_RECON_SESSION_SECRET": SECRET,
    }
    with running_server(tmp_path / "secured", settings) as running:
        yield running


def test_upload_and_delete_work_in_a_signed_in_session(
    expect, secured_server: Server, browser, tmp_path
):
    context = browser.new_context(viewport=DESKTOP)
    cookie = Sessions(SECRET, 30 * 60).issue("tester")
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": secured_server.base}])
    try:
        page = context.new_page()
        claims, invoices = write_seed(tmp_path)
        run_id = upload_through_page(page, secured_server, claims, invoices)
        expect(page.locator('[data-kpi="total_claims"] [data-kpi-value]')).to_have_text("2")
        expect(page.locator("#charts")).to_have_attribute("data-charts-ready", "true")

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("link", name="Delete run…").click()
        page.wait_for_url(f"**/runs?deleted={run_id}")
        expect(page.locator("#delete-status")).to_have_text(f"Run {run_id} was deleted.")
        expect(page.locator(f'#runs-table tr[data-run="{run_id}"]')).to_have_count(0)
    finally:
        context.close()


def test_sign_in_through_the_form_see_the_audit_trail_and_sign_out(
    expect, secured_server: Server, page, tmp_path
):
    page.goto(f"{secured_server.base}/runs")
    page.wait_for_url("**/login?next=/runs")
    screenshot(page, "login")

    page.get_by_label("API token").fill("crt_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That token is not valid. Check it and try again."
    )

    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/runs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs")

    page.get_by_role("link", name="Audit").click()
    page.wait_for_url("**/audit")
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_contain_text("tester")  # the newest event names who signed in
    expect(page.locator("#audit-table")).to_contain_text("sign in failed")
    screenshot(page, "audit")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")
    page.goto(f"{secured_server.base}/runs")
    page.wait_for_url("**/login?next=/runs")  # the session is gone
