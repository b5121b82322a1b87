"""Every page, checked by axe-core against the WCAG 2.0 and 2.1 A and AA rules (and axe's
best practices: landmarks, headings), at desktop width and at a phone's 375 px, each in the
state a user reaches it in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from claims_recon.access import SESSION_COOKIE, Sessions, token_hash
from claims_recon.sampledata import generate
from tests.browser.conftest import DESKTOP, ConsoleLog, _missing
from tests.browser.helpers import upload_through_api
from tests.browser.server import Server, running_server
from tests.browser.test_upload_page import BAD_CLAIMS

RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
PHONE = {"width": 375, "height": 812}
SECRET = "a11y-test-session-secret"
TOKEN = "crt_a11y-test-token-0123456789abcdef"


@dataclass
class Site:
    """One server with a generated run (claims of every status, refunds, orphans), one with no
    runs, and one that asks to sign in."""

    server: Server
    empty: Server
    secured: Server
    run_id: int
    claim_id: str
    folder: Path


@pytest.fixture(scope="module")
def site(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("a11y")
    files = generate(folder / "data", claims=120, seed=5, orphans=3)
    settings = {
        "CLAIMS_RECON_API_TOKENS": f"tester:{token_hash(TOKEN)}",
        "CLAIMS_RECON_SESSION_SECRET": SECRET,
    }
    with (
        running_server(folder / "server") as server,
        running_server(folder / "empty") as empty,
        running_server(folder / "secured", settings) as secured,
    ):
        run_id = upload_through_api(
            server, files.claims_path.read_text(), files.invoices_path.read_text()
        )
        underpaid = server.json(f"/api/runs/{run_id}/reconciliation?status=UNDERPAID&limit=1")
        (folder / "bad-claims.csv").write_text(BAD_CLAIMS)
        yield Site(server, empty, secured, run_id, underpaid["data"][0]["claim_id"], folder)


def _signed_in(context: Any, server: Server) -> None:
    cookie = Sessions(SECRET, 30 * 60).issue("tester")
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": server.base}])


# Each visit opens one page the way a user gets there and waits until it is complete.
Visit = Callable[[Any, Any, Site], None]


def _empty_state(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.empty.url("/"))
    expect(page.get_by_role("heading", name="No runs yet — start here")).to_be_visible()


def _upload(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url("/"))
    expect(page.get_by_role("heading", name="Recent runs")).to_be_visible()


def _upload_rejected(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url("/"))
    page.set_input_files("#claims-file", str(site.folder / "bad-claims.csv"))
    page.get_by_role("button", name="Reconcile").click()
    expect(page.locator("#upload-errors")).to_be_focused()


def _dashboard(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url(f"/runs/{site.run_id}"))
    expect(page.locator("#charts")).to_have_attribute("data-charts-ready", "true")


def _results_filtered(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url(f"/runs/{site.run_id}/claims?status=UNDERPAID&sort=-variance"))
    expect(page.get_by_role("checkbox", name="Underpaid")).to_be_checked()
    expect(page.locator("#results-table tbody tr").first).to_be_visible()


def _claim(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url(f"/runs/{site.run_id}/claims/{site.claim_id}"))
    expect(page.locator(".status-panel .status")).to_have_text("Underpaid")


def _orphans(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url(f"/runs/{site.run_id}/orphans"))
    expect(page.locator("#orphans-table tbody tr")).to_have_count(3)


def _runs(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url("/runs"))
    expect(page.locator(f'#runs-table tr[data-run="{site.run_id}"]')).to_be_visible()


def _delete_confirmation(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url(f"/runs/{site.run_id}/delete"))
    expect(page.get_by_role("button", name=f"Delete run {site.run_id}")).to_be_visible()


def _unknown_run(page: Any, expect: Any, site: Site) -> None:
    response = page.goto(site.server.url("/runs/999999"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def _invalid_view(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url(f"/runs/{site.run_id}/claims?date_from=2023-13-01"))
    expect(page.locator("table.table--problems")).to_contain_text("date_from")


def _audit(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.server.url("/audit"))
    expect(page.locator("#audit-table tbody tr").first).to_be_visible()


def _sign_in(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.secured.url("/runs"))
    page.wait_for_url("**/login?next=/runs")
    expect(page.get_by_label("API token")).to_be_focused()


def _sign_in_failed(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.secured.url("/login"))
    page.get_by_label("API token").fill("crt_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text(
        "That token is not valid. Check it and try again."
    )


def _signed_in_upload(page: Any, expect: Any, site: Site) -> None:
    _signed_in(page.context, site.secured)
    page.goto(site.secured.url("/"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _signed_in_audit(page: Any, expect: Any, site: Site) -> None:
    page.goto(site.secured.url("/login?next=/audit"))
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/audit")
    expect(page.locator("#audit-table tbody tr").first).to_contain_text("tester")


PAGES: dict[str, Visit] = {
    "empty-state": _empty_state,
    "upload": _upload,
    "upload-rejected": _upload_rejected,
    "dashboard": _dashboard,
    "results-filtered": _results_filtered,
    "claim": _claim,
    "orphans": _orphans,
    "runs": _runs,
    "delete-confirmation": _delete_confirmation,
    "unknown-run": _unknown_run,
    "invalid-view": _invalid_view,
    "audit": _audit,
    "sign-in": _sign_in,
    "sign-in-failed": _sign_in_failed,
    "signed-in-upload": _signed_in_upload,
    "signed-in-audit": _signed_in_audit,
}


def _report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe(browser: Any) -> Any:
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        _missing("axe-playwright-python is not installed (pip install -r requirements-dev.txt)")
    return Axe()


def assert_accessible(axe: Any, page: Any) -> None:
    options = {"runOnly": {"type": "tag", "values": RULE_TAGS}, "resultTypes": ["violations"]}
    results = axe.run(page, options=options).response
    # A script the page refused to run would report nothing at all; axe did run if it
    # passed rules (every page has a language, a title and landmarks to pass).
    passed = {rule["id"] for rule in results["passes"]}
    assert {"html-has-lang", "document-title"} <= passed, sorted(passed)
    if results["violations"]:
        pytest.fail("axe found violations:\n" + _report(results["violations"]), pytrace=False)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_accessibility_violations(
    expect, browser, axe, site: Site, name: str, viewport: dict[str, int]
):
    console = ConsoleLog()
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console.errors.append(f"page error: {exc}"))
        PAGES[name](page, expect, site)
        assert_accessible(axe, page)
    finally:
        context.close()
    assert console.unexpected() == [], "the page reported errors"
