"""The upload page's other ways in: files dropped on the boxes, a tolerance, and one file
with the other taken from the latest run. Each ends on the run's pages, checked against the
API's JSON for that run."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

from tests.browser.conftest import screenshot
from tests.browser.helpers import RUN_URL, column_texts, money
from tests.browser.server import Server
from tests.browser.test_upload_page import RECORD_PROGRESS

# Five claims, one of each kind a tolerance can change:
#   c1 paid exactly · c2 short by $10 · c3 over by $30 · c4 no invoice · c5 short by $40 on $1,000
CLAIMS = textwrap.dedent("""\
    claim_id,patient_id,date_of_service,charges_amount
    c1,p1,2024-03-01,100.00
    c2,p1,2024-03-02,100.00
    c3,p2,2024-03-03,300.00
    c4,p2,2024-03-04,50.00
    c5,p3,2024-03-05,1000.00
    """)
INVOICES = textwrap.dedent("""\
    invoice_id,claim_id,transaction_value
    i1,c1,100.00
    i2,c2,90.00
    i3,c3,330.00
    i4,c5,500.00
    i5,c5,460.00
    i6,c9,25.00
    """)

# With $10 or 5% of the charges, whichever is more lenient: c2 is within $10, c5 within 5%
# of $1,000 ($50); c3's $30 is beyond both ($10, and 5% of $300 = $15).
EXACT = {
    "c1": "Balanced",
    "c2": "Underpaid",
    "c3": "Overpaid",
    "c4": "No invoices",
    "c5": "Underpaid",
}
LENIENT = {
    "c1": "Balanced",
    "c2": "Balanced",
    "c3": "Overpaid",
    "c4": "No invoices",
    "c5": "Balanced",
}
LABELS = {"BALANCED": "Balanced", "UNDERPAID": "Underpaid", "OVERPAID": "Overpaid"}
LABELS["NO_INVOICES"] = "No invoices"

# Builds a DataTransfer holding File objects made in the page, as a drag from the desktop
# carries them.
DATA_TRANSFER = """(files) => {
  const transfer = new DataTransfer();
  for (const [name, text] of files) {
    transfer.items.add(new File([text], name, { type: "text/csv" }));
  }
  return transfer;
}"""


def _write(folder: Path, claims: str = CLAIMS, invoices: str = INVOICES) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    claims_path, invoices_path = folder / "claims.csv", folder / "invoices.csv"
    claims_path.write_text(claims)
    invoices_path.write_text(invoices)
    return claims_path, invoices_path


def _zones(page: Any) -> tuple[Any, Any]:
    """The claims and the invoices drop boxes."""
    boxes = page.locator("[data-dropzone]")
    return (
        boxes.filter(has=page.locator("#claims-file")),
        boxes.filter(has=page.locator("#invoices-file")),
    )


def _drop(expect: Any, page: Any, zone: Any, files: list[tuple[str, str]]) -> None:
    """Drag files over a drop box and let go, with the events a real drag sends."""
    transfer = page.evaluate_handle(DATA_TRANSFER, files)
    target = zone.locator(".dropzone__hint")  # the drop lands on whatever is under the pointer
    target.dispatch_event("dragenter", {"dataTransfer": transfer})
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bis-dragover\b"))  # the box lights up
    target.dispatch_event("drop", {"dataTransfer": transfer})
    expect(zone).not_to_have_class(re.compile(r"\bis-dragover\b"))


def _reconcile(page: Any) -> int:
    page.get_by_role("button", name="Reconcile").click()
    page.wait_for_url(RUN_URL)
    match = RUN_URL.search(page.url)
    assert match, page.url
    return int(match.group(1))


def _chosen(zone: Any) -> Any:
    """The line in a drop box that names its file, or invites a drop."""
    return zone.locator("[data-chosen]")


def _shown_file(name: str, content: str) -> str:
    return f"{name} · {len(content)} bytes"


def _kpi(page: Any, key: str) -> Any:
    return page.locator(f'[data-kpi="{key}"] [data-kpi-value]')


def _status_counts(page: Any) -> dict[str, str]:
    """The dashboard's table under the status chart: status label → number of claims."""
    rows = page.locator(".chart-card").first.locator("tbody tr")
    labels = [t.strip() for t in rows.locator("th").all_inner_texts()]
    counts = [t.strip() for t in rows.locator('td[data-label="Claims"]').all_inner_texts()]
    return dict(zip(labels, counts, strict=True))


def _statuses_on_results_page(page: Any, server: Server, run_id: int) -> dict[str, str]:
    page.goto(server.url(f"/runs/{run_id}/claims?sort=claim_id"))
    shown = dict(
        zip(
            column_texts(page, "#results-table", 1),
            column_texts(page, "#results-table", 8),
            strict=True,
        )
    )
    api = server.json(f"/api/runs/{run_id}/reconciliation?sort=claim_id")
    assert shown == {row["claim_id"]: LABELS[row["status"]] for row in api["data"]}
    return shown


def test_files_dropped_on_the_boxes_upload_and_open_the_dashboard(
    expect, fresh_server: Server, page
):
    page.goto(fresh_server.url("/"))
    page.evaluate(RECORD_PROGRESS)
    claims_zone, invoices_zone = _zones(page)
    expect(_chosen(claims_zone)).to_have_text("or drag and drop a file here")

    _drop(expect, page, claims_zone, [("march-claims.csv", CLAIMS)])
    expect(_chosen(claims_zone)).to_have_text(_shown_file("march-claims.csv", CLAIMS))
    expect(claims_zone).to_have_class(re.compile(r"\bhas-file\b"))
    _drop(expect, page, invoices_zone, [("march-invoices.csv", INVOICES)])
    expect(_chosen(invoices_zone)).to_have_text(_shown_file("march-invoices.csv", INVOICES))
    screenshot(page, "upload-dropped")
    run_id = _reconcile(page)

    # The transfer's bar filled, then went indeterminate while the server reconciled.
    progress = json.loads(page.evaluate("sessionStorage.getItem('progress')"))
    phases = [
        p for i, p in enumerate(progress["phases"]) if i == 0 or p != progress["phases"][i - 1]
    ]
    assert phases == ["Uploading…", "Reconciling…", "Done."]
    assert progress["values"][0] == "0" and progress["values"][-2:] == ["100", None]

    summary = fresh_server.json(f"/api/runs/{run_id}/summary")
    run = fresh_server.json(f"/api/runs/{run_id}")
    assert (run["claims"]["filename"], run["invoices"]["filename"]) == (
        "march-claims.csv",
        "march-invoices.csv",
    )
    meta = page.locator(".run-head__meta")
    expect(meta).to_contain_text("march-claims.csv (5 claims)")
    expect(meta).to_contain_text("march-invoices.csv (6 invoices)")
    expect(_kpi(page, "total_claims")).to_have_text(f"{summary['total_claims']:,}")
    expect(_kpi(page, "total_charges")).to_have_text(money(summary["total_charges"]))
    expect(_kpi(page, "total_invoiced")).to_have_text(money(summary["total_invoiced"]))
    expect(_kpi(page, "net_variance")).to_have_text(money(summary["net_variance"]))
    expect(_kpi(page, "orphan_invoices")).to_have_text(f"{summary['orphan_invoices']:,}")
    # The same figures, worked out by hand from the files above.
    assert (summary["total_charges"], summary["total_invoiced"]) == (1550, 1480)
    assert summary["orphan_invoices"] == 1  # i6 points at c9, which is not a claim
    expect(_kpi(page, "total_charges")).to_have_text("$1,550.00")
    expect(_kpi(page, "net_variance")).to_have_text("\u2212$20.00")


def test_two_files_dropped_together_go_to_the_boxes_their_names_say(
    expect, fresh_server: Server, page
):
    page.goto(fresh_server.url("/"))
    claims_zone, invoices_zone = _zones(page)
    # Both land on the invoices box; the claims file is moved to its own box.
    _drop(expect, page, invoices_zone, [("q1-claims.csv", CLAIMS), ("q1-payments.csv", INVOICES)])
    expect(_chosen(claims_zone)).to_have_text(_shown_file("q1-claims.csv", CLAIMS))
    expect(_chosen(invoices_zone)).to_have_text(_shown_file("q1-payments.csv", INVOICES))
    run_id = _reconcile(page)
    run = fresh_server.json(f"/api/runs/{run_id}")
    assert (run["claims"]["filename"], run["invoices"]["filename"]) == (
        "q1-claims.csv",
        "q1-payments.csv",
    )
    expect(_kpi(page, "total_claims")).to_have_text("5")


def test_more_than_two_dropped_files_are_refused_with_a_message(expect, fresh_server: Server, page):
    page.goto(fresh_server.url("/"))
    claims_zone, invoices_zone = _zones(page)
    note = page.locator("#drop-note")
    expect(note).to_be_hidden()
    files = [("a-claims.csv", CLAIMS), ("b-payments.csv", INVOICES), ("c.csv", CLAIMS)]
    _drop(expect, page, claims_zone, files)
    expect(note).to_have_text(
        "3 files were dropped; nothing was chosen. Drop one claims file and one invoices "
        "file (two files at most)."
    )
    for zone in (claims_zone, invoices_zone):
        expect(_chosen(zone)).to_have_text("or drag and drop a file here")
    # One file on its box is taken, and the message goes.
    _drop(expect, page, claims_zone, [("a-claims.csv", CLAIMS)])
    expect(_chosen(claims_zone)).to_have_text(_shown_file("a-claims.csv", CLAIMS))
    expect(note).to_be_hidden()


def test_two_files_whose_names_do_not_tell_them_apart_are_placed_and_explained(
    expect, fresh_server: Server, page
):
    page.goto(fresh_server.url("/"))
    claims_zone, invoices_zone = _zones(page)
    # Neither name says "invoice": the first goes to the box they were dropped on.
    _drop(expect, page, invoices_zone, [("march.csv", INVOICES), ("april.csv", CLAIMS)])
    expect(_chosen(invoices_zone)).to_have_text(_shown_file("march.csv", INVOICES))
    expect(_chosen(claims_zone)).to_have_text(_shown_file("april.csv", CLAIMS))
    expect(page.locator("#drop-note")).to_have_text(
        "The file names do not say which is which: march.csv is the invoices file and "
        "april.csv the claims file. Choose again if that is wrong."
    )
    run_id = _reconcile(page)
    run = fresh_server.json(f"/api/runs/{run_id}")
    assert (run["claims"]["filename"], run["invoices"]["filename"]) == ("april.csv", "march.csv")
    expect(_kpi(page, "total_claims")).to_have_text("5")


def test_a_tolerance_turns_near_misses_balanced(expect, fresh_server: Server, page, tmp_path):
    claims, invoices = _write(tmp_path)

    page.goto(fresh_server.url("/"))
    page.set_input_files("#claims-file", str(claims))
    page.set_input_files("#invoices-file", str(invoices))
    exact_run = _reconcile(page)
    expect(page.locator(".toolbar__text")).to_contain_text("Tolerance: exact")

    page.goto(fresh_server.url("/"))
    page.set_input_files("#claims-file", str(claims))
    page.set_input_files("#invoices-file", str(invoices))
    page.get_by_label("Amount, in dollars").fill("10")
    page.get_by_label("Percent of the charges").fill("5")
    lenient_run = _reconcile(page)
    expect(page.locator(".toolbar__text")).to_contain_text(
        "Tolerance: $10.00 or 5% of the charges, whichever is more lenient"
    )
    run = fresh_server.json(f"/api/runs/{lenient_run}")
    assert (run["tolerance_amount"], run["tolerance_percent"]) == (10, 5)

    # The dashboard's status table says what the API's summary says, for both runs.
    lenient_summary = fresh_server.json(f"/api/runs/{lenient_run}/summary")
    expected = {LABELS[r["status"]]: f"{r['count']:,}" for r in lenient_summary["by_status"]}
    assert _status_counts(page) == expected
    assert expected == {"Balanced": "3", "Underpaid": "0", "Overpaid": "1", "No invoices": "1"}
    expect(_kpi(page, "share_balanced")).to_have_text("60.0%")
    expect(_kpi(page, "open_underpaid_balance")).to_have_text("$0.00")
    screenshot(page, "dashboard-tolerance")

    page.goto(fresh_server.url(f"/runs/{exact_run}"))
    exact_summary = fresh_server.json(f"/api/runs/{exact_run}/summary")
    expected = {LABELS[r["status"]]: f"{r['count']:,}" for r in exact_summary["by_status"]}
    assert _status_counts(page) == expected
    assert expected == {"Balanced": "1", "Underpaid": "2", "Overpaid": "1", "No invoices": "1"}
    expect(_kpi(page, "share_balanced")).to_have_text("20.0%")
    expect(_kpi(page, "open_underpaid_balance")).to_have_text("$50.00")

    # Claim by claim, on the results page.
    assert _statuses_on_results_page(page, fresh_server, exact_run) == EXACT
    assert _statuses_on_results_page(page, fresh_server, lenient_run) == LENIENT

    # c5 is balanced by the percentage: 5% of $1,000 allows $50.
    for run_id, status, allowed in ((exact_run, "Underpaid", "0"), (lenient_run, "Balanced", "50")):
        page.goto(fresh_server.url(f"/runs/{run_id}/claims/c5"))
        detail = fresh_server.json(f"/api/runs/{run_id}/claims/c5")
        assert detail["tolerance_allowed"] == int(allowed)
        expect(page.locator(".status-panel .status")).to_have_text(status)
        expect(page.locator('[data-math="variance"]')).to_have_text("\u2212$40.00")
        expect(page.locator('[data-math="tolerance"]')).to_have_text(f"± {money(allowed)}")


def test_a_claims_file_alone_reuses_the_latest_runs_invoices(
    expect, fresh_server: Server, page, tmp_path
):
    claims, invoices = _write(tmp_path / "first")
    page.goto(fresh_server.url("/"))
    page.set_input_files("#claims-file", str(claims))
    page.set_input_files("#invoices-file", str(invoices))
    first_run = _reconcile(page)

    # Corrected claims: c2 was billed $90, and a new claim c9 matches the orphan invoice i6.
    corrected = tmp_path / "claims-corrected.csv"
    corrected.write_text(
        CLAIMS.replace("c2,p1,2024-03-02,100.00", "c2,p1,2024-03-02,90.00")
        + "c9,p4,2024-03-09,25.00\n"
    )
    page.goto(fresh_server.url("/"))
    expect(page.locator(".hint").filter(has_text="Payments arriving later?")).to_contain_text(
        "the claims of the latest run are reused (and the other way round)"
    )
    page.set_input_files("#claims-file", str(corrected))
    expect(page.locator("#invoices-chosen")).to_have_text("or drag and drop a file here")
    second_run = _reconcile(page)
    assert second_run == first_run + 1

    run = fresh_server.json(f"/api/runs/{second_run}")
    assert run["invoices"]["from_run_id"] == first_run
    assert run["claims"]["from_run_id"] is None
    toolbar = page.locator(".toolbar__text")
    expect(toolbar).to_contain_text(f"invoices reused from run {first_run}")
    expect(toolbar.get_by_role("link", name=f"run {first_run}")).to_have_attribute(
        "href", f"/runs/{first_run}"
    )
    meta = page.locator(".run-head__meta")
    expect(meta).to_contain_text("claims-corrected.csv (6 claims)")
    expect(meta).to_contain_text("invoices.csv (6 invoices)")

    summary = fresh_server.json(f"/api/runs/{second_run}/summary")
    expect(_kpi(page, "total_claims")).to_have_text(f"{summary['total_claims']:,}")
    expect(_kpi(page, "total_claims")).to_have_text("6")
    expect(_kpi(page, "orphan_invoices")).to_have_text(f"{summary['orphan_invoices']:,}")
    expect(_kpi(page, "orphan_invoices")).to_have_text("0")  # i6 now has its claim
    expect(_kpi(page, "total_invoiced")).to_have_text(money(summary["total_invoiced"]))
    expect(_kpi(page, "total_invoiced")).to_have_text("$1,505.00")
    expect(_kpi(page, "share_balanced")).to_have_text("50.0%")  # c1, c2 and c9

    page.goto(fresh_server.url("/runs"))
    row = page.locator(f'#runs-table tr[data-run="{second_run}"]')
    expect(row.locator('td[data-label="Invoices file"]')).to_contain_text(
        f"invoices.csv 6 rows · {run['invoices']['size_bytes']} bytes · from run {first_run}"
    )
