"""Keyboard only: the upload form is filled and sent, and the results browser is filtered,
sorted and paged, with Tab, Space and Enter; every stop on the way shows its focus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claims_recon.sampledata import generate
from tests.browser.helpers import RUN_URL, column_texts, upload_through_api
from tests.browser.server import Server
from tests.browser.test_upload_options import CLAIMS, INVOICES

CLAIMS_IN_RUN = 150  # two pages at the default 100 rows
NEXT = "Next \u203a"  # the pager's link, as it reads

# What a sighted keyboard user sees of the focused element: a name for it, and its focus ring.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return { name: "body", ring: false };
  const style = getComputedStyle(e);
  const text = e.getAttribute("aria-label") || e.textContent.trim().replace(/\\s+/g, " ");
  const name = e.id ? `#${e.id}` : e.type === "checkbox" ? `checkbox ${e.value}` : text;
  // The pages' own ring (3px), not the browser's thin default.
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  return { name, ring };
}"""


def _focused(page: Any) -> str:
    seen = page.evaluate(FOCUSED)
    assert seen["ring"], f"{seen['name']} has focus but no visible focus ring"
    return seen["name"]


def _tab_stops(page: Any, count: int) -> list[str]:
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        stops.append(_focused(page))
    return stops


def _tab_to(page: Any, name: str, limit: int = 80) -> list[str]:
    """Press Tab until the element called ``name`` has focus; the stops passed on the way."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        passed.append(_focused(page))
        if passed[-1] == name:
            return passed
    raise AssertionError(f"{name!r} not reached with {limit} presses of Tab: {passed}")


def test_upload_form_is_filled_and_sent_with_the_keyboard(
    expect, fresh_server: Server, page, tmp_path: Path
):
    claims, invoices = tmp_path / "claims.csv", tmp_path / "invoices.csv"
    claims.write_text(CLAIMS)
    invoices.write_text(INVOICES)
    # The file picker a key opens is answered for the input that opened it. One handler for
    # the whole test keeps the picker intercepted between the two inputs.
    chosen = {"claims-file": claims, "invoices-file": invoices}
    page.on(
        "filechooser",
        lambda picker: picker.set_files(str(chosen[picker.element.get_attribute("id")])),
    )
    page.goto(fresh_server.url("/"))

    # Past the skip link and the site's navigation, the form in reading order.
    assert _tab_stops(page, 11) == [
        "Skip to content",
        "✓ claims-recon",
        "Upload",
        "Runs",
        "Audit",
        "API",
        "#claims-file",
        "#invoices-file",
        "#tolerance-amount",
        "#tolerance-percent",
        "#upload-submit",
    ]

    page.keyboard.press("Shift+Tab")  # back to the tolerance, then the files
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "#claims-file"
    page.keyboard.press("Space")  # a file input opens the file picker from the keyboard
    expect(page.locator("#claims-chosen")).to_have_text(f"claims.csv · {len(CLAIMS)} bytes")

    page.keyboard.press("Tab")
    assert _focused(page) == "#invoices-file"
    page.keyboard.press("Space")
    expect(page.locator("#invoices-chosen")).to_have_text(f"invoices.csv · {len(INVOICES)} bytes")

    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Tab")
    page.keyboard.type("5")
    expect(page.get_by_label("Amount, in dollars")).to_have_value("10")
    expect(page.get_by_label("Percent of the charges")).to_have_value("5")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Reconcile")).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_url(RUN_URL)
    expect(page.locator(".toolbar__text")).to_contain_text(
        "Tolerance: $10.00 or 5% of the charges, whichever is more lenient"
    )
    expect(page.locator('[data-kpi="total_claims"] [data-kpi-value]')).to_have_text("5")
    expect(page.locator('[data-kpi="share_balanced"] [data-kpi-value]')).to_have_text("60.0%")


@pytest.fixture(scope="module")
def run_id(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    files = generate(tmp_path_factory.mktemp("keyboard"), claims=CLAIMS_IN_RUN, seed=23)
    yield upload_through_api(server, files.claims_path.read_text(), files.invoices_path.read_text())


def test_results_are_paged_sorted_and_filtered_with_the_keyboard(
    expect, server: Server, page, run_id: int
):
    page.goto(server.url(f"/runs/{run_id}/claims"))
    info = page.locator(".pager__info").first
    expect(info).to_contain_text(f"Showing 1\u2013100 of {CLAIMS_IN_RUN} claims")

    # Filters first, then the pager, then the column headers that sort.
    stops = _tab_to(page, "Variance (sort by variance, ascending)")
    order = ["checkbox UNDERPAID", "#f-sort", "#f-limit", "Apply", NEXT, "Last \u00bb"]
    order += ["Claim (sort by claim, descending)", "Variance (sort by variance, ascending)"]
    assert [s for s in stops if s in order] == order

    page.keyboard.press("Enter")
    page.wait_for_url("**sort=variance**")
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("Variance")
    api = server.json(f"/api/runs/{run_id}/reconciliation?sort=variance")
    assert column_texts(page, "#results-table", 1) == [row["claim_id"] for row in api["data"]]

    _tab_to(page, NEXT)
    page.keyboard.press("Enter")
    page.wait_for_url("**skip=100**")
    expect(info).to_contain_text(f"Showing 101\u2013{CLAIMS_IN_RUN} of {CLAIMS_IN_RUN} claims")
    api = server.json(f"/api/runs/{run_id}/reconciliation?sort=variance&skip=100")
    assert column_texts(page, "#results-table", 1) == [row["claim_id"] for row in api["data"]]

    _tab_to(page, "checkbox UNDERPAID")
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox", name="Underpaid")).to_be_checked()
    _tab_to(page, "Apply")
    page.keyboard.press("Enter")
    page.wait_for_url("**status=UNDERPAID**")
    api = server.json(f"/api/runs/{run_id}/reconciliation?status=UNDERPAID&sort=variance")
    expect(info).to_contain_text(f"of {api['total']:,} claims")
    assert column_texts(page, "#results-table", 1) == [row["claim_id"] for row in api["data"]]
    assert set(column_texts(page, "#results-table", 8)) == {"Underpaid"}
