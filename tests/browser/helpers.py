"""Small helpers for the browser tests: files, uploads, and how the pages write numbers."""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.browser.server import Server
from tests.conftest import SEED_CLAIMS, SEED_INVOICES

RUN_URL = re.compile(r"/runs/(\d+)$")


def money(value: Decimal | float | int | str) -> str:
    """The pages' money format, written out independently: $1,200.50, and a minus sign
    (U+2212) before negatives."""
    amount = Decimal(str(value))
    text = f"${abs(amount):,.2f}"
    return "\u2212" + text if amount < 0 else text


def write_seed(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    claims, invoices = folder / "claims.csv", folder / "invoices.csv"
    claims.write_text(SEED_CLAIMS)
    invoices.write_text(SEED_INVOICES)
    return claims, invoices


def upload_through_page(page: Any, server: Server, claims: Path, invoices: Path) -> int:
    """Choose both files on the upload page, reconcile, and return the new run's id."""
    page.goto(server.url("/"))
    page.set_input_files("#claims-file", str(claims))
    page.set_input_files("#invoices-file", str(invoices))
    page.get_by_role("button", name="Reconcile").click()
    page.wait_for_url(RUN_URL)
    match = RUN_URL.search(page.url)
    assert match, page.url
    return int(match.group(1))


def upload_through_api(server: Server, claims: str, invoices: str) -> int:
    """POST /api/upload as curl would, for tests that need a run but test something else."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, text in (("claims", claims), ("invoices", invoices)):
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{name}.csv"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + text.encode()
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        server.url("/api/upload"),
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.load(response)["run_id"])


def column_texts(page: Any, table: str, index: int) -> list[str]:
    """The text of one column (1-based, counting the row header) of every body row."""
    cells = page.locator(f"{table} tbody tr > :nth-child({index})")
    return [text.strip() for text in cells.all_inner_texts()]
