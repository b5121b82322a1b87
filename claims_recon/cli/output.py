"""Printing for the command line: results to stdout, messages and problems to stderr."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import typer
from rich.console import Console
from rich.table import Table

from claims_recon.domain.models import RunPublic, Summary
from claims_recon.errors import NotFound, ReconError, RejectedUpload

EXIT_REJECTED = 1
EXIT_NOT_FOUND = 3
EXIT_OTHER = 4

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(error: ReconError) -> typer.Exit:
    """Print an error the way compilers do, and choose the exit code."""
    if isinstance(error, RejectedUpload):
        for problem in error.details:
            err.print(problem.located(), markup=False)
        shown = len(error.details)
        if error.total > shown:
            err.print(f"… and {error.total - shown:,} more problems", markup=False)
        err.print(f"error: {error.message}", markup=False)
        return typer.Exit(EXIT_REJECTED)
    err.print(f"error: {error.message}", markup=False)
    return typer.Exit(EXIT_NOT_FOUND if isinstance(error, NotFound) else EXIT_OTHER)


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on a terminal; silence when output is piped or captured."""
    if err.is_terminal:
        with err.status(message):
            yield
    else:
        yield


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def summary_table(summary: Summary, title: str | None = None) -> Table:
    table = Table(title=title or (f"Run {summary.run_id}" if summary.run_id else "Summary"))
    table.add_column("", style="bold")
    table.add_column("claims", justify="right")
    table.add_column("amount", justify="right")
    table.add_row("balanced", f"{summary.balanced:,}", "")
    table.add_row("underpaid", f"{summary.underpaid:,}", money(summary.open_underpaid_balance))
    table.add_row("overpaid", f"{summary.overpaid:,}", money(summary.overpaid_amount))
    table.add_row("no invoices", f"{summary.no_invoices:,}", money(summary.uninvoiced_charges))
    table.add_row(
        "total", f"{summary.total_claims:,}", money(summary.total_charges), end_section=True
    )
    table.add_row("invoiced", "", money(summary.total_invoiced))
    table.add_row("net variance", "", money(summary.net_variance))
    table.add_row("orphan invoices", f"{summary.orphan_invoices:,}", money(summary.orphan_total))
    return table


_RUN_COLUMNS = (
    "run", "created_utc", "claims_file", "invoices_file", "claims", "balanced", "underpaid",
    "overpaid", "no_invoices", "orphans",
)  # fmt: skip


def _run_cells(run: RunPublic) -> list[str]:
    c = run.counts
    return [
        str(run.run_id),
        run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        run.claims.filename,
        run.invoices.filename,
        *(
            f"{n}"
            for n in (c.total_claims, c.balanced, c.underpaid, c.overpaid, c.no_invoices,
                      c.orphan_invoices)
        ),
    ]  # fmt: skip


def print_runs(runs: list[RunPublic]) -> None:
    """A table on a terminal; tab-separated lines (with a header) for scripts."""
    if not out.is_terminal:
        typer.echo("\t".join(_RUN_COLUMNS))
        for run in runs:
            typer.echo("\t".join(_run_cells(run)))
        return
    table = Table()
    for name in _RUN_COLUMNS:
        table.add_column(name.replace("_", " "), justify="left" if "file" in name else "right")
    for run in runs:
        cells = _run_cells(run)
        table.add_row(*cells[:4], *(f"{int(n):,}" for n in cells[4:]))
    out.print(table)
