"""Run history: open a run, delete one only after confirming, with and without scripts."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.helpers import upload_through_api
from tests.browser.server import Server
from tests.conftest import SEED_CLAIMS, SEED_INVOICES


def _row(page: Any, run_id: int) -> Any:
    return page.locator(f'#runs-table tr[data-run="{run_id}"]')


def test_history_lists_runs_and_opens_one(expect, server: Server, page):
    run_id = upload_through_api(server, SEED_CLAIMS, SEED_INVOICES)
    page.goto(server.url("/runs"))
    row = _row(page, run_id)
    expect(row).to_contain_text("claims.csv")
    expect(row.locator('[data-label="Claims"]')).to_have_text("2")
    expect(row.locator('[data-label="Underpaid"]')).to_have_text("1")
    expect(row.locator('[data-label="Tolerance"]')).to_have_text("exact")
    screenshot(page, "runs")
    row.get_by_role("link", name=f"Open run {run_id}").click()
    page.wait_for_url(f"**/runs/{run_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Run {run_id}")


def test_delete_asks_first_and_keeps_the_run_when_cancelled(expect, server: Server, page):
    run_id = upload_through_api(server, SEED_CLAIMS, SEED_INVOICES)
    page.goto(server.url("/runs"))
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    _row(page, run_id).get_by_role("link", name=f"Delete run {run_id}").click()
    assert questions and f"Delete run {run_id}" in questions[0]
    expect(_row(page, run_id)).to_be_visible()
    assert server.status(f"/api/runs/{run_id}") == 200

    page.once("dialog", lambda dialog: dialog.accept())
    _row(page, run_id).get_by_role("link", name=f"Delete run {run_id}").click()
    expect(page.locator("#delete-status")).to_have_text(f"Run {run_id} was deleted.")
    expect(_row(page, run_id)).to_have_count(0)
    assert server.status(f"/api/runs/{run_id}") == 404
    assert server.status(f"/runs/{run_id}") == 404


def test_delete_from_the_dashboard_returns_to_the_history(expect, server: Server, page):
    run_id = upload_through_api(server, SEED_CLAIMS, SEED_INVOICES)
    page.goto(server.url(f"/runs/{run_id}"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="Delete run…").click()
    page.wait_for_url(f"**/runs?deleted={run_id}")
    expect(page.locator("#delete-status")).to_have_text(f"Run {run_id} was deleted.")
    assert server.status(f"/api/runs/{run_id}") == 404


def test_without_scripts_deleting_goes_through_a_confirmation_page(expect, server: Server, browser):
    run_id = upload_through_api(server, SEED_CLAIMS, SEED_INVOICES)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        page = context.new_page()
        page.goto(server.url("/runs"))
        _row(page, run_id).get_by_role("link", name=f"Delete run {run_id}").click()
        page.wait_for_url(f"**/runs/{run_id}/delete")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete run {run_id}?")
        assert server.status(f"/api/runs/{run_id}") == 200  # looking is not deleting
        screenshot(page, "run-delete-confirm")
        page.get_by_role("button", name=f"Delete run {run_id}").click()
        page.wait_for_url(f"**/runs?deleted={run_id}")
        expect(page.locator("#delete-status")).to_have_text(f"Run {run_id} was deleted.")
        assert server.status(f"/api/runs/{run_id}") == 404
    finally:
        context.close()
