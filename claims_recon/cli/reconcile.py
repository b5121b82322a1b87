"""``claims-recon reconcile``: the same engine, offline, without a server."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from claims_recon.cli import output
from claims_recon.cli.files import write_atomically
from claims_recon.cli.options import ToleranceAmount, TolerancePercent, format_of
from claims_recon.config import Settings
from claims_recon.domain.query import ResultFilter, Sort
from claims_recon.engine import open_store
from claims_recon.errors import ReconError
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import ReceivedFile, receive_stream
from claims_recon.services import exports, runs

InputFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, show_default=False)
]


def reconcile(
    claims: InputFile,
    invoices: InputFile,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write every reconciled claim here: .csv, .xlsx or .parquet ('-' = CSV on "
            "stdout).",
        ),
    ] = None,
    orphans_out: Annotated[
        Path | None,
        typer.Option(help="Write the orphan invoices here: .csv, .xlsx or .parquet."),
    ] = None,
    tolerance_amount: ToleranceAmount = "0",
    tolerance_percent: TolerancePercent = "0",
    max_errors: Annotated[int, typer.Option(min=1, help="Problems to list at most.")] = 100,
) -> None:
    """Reconcile CLAIMS against INVOICES and print the summary; nothing is stored.

    Problems in the files are printed one per line (file:line: column: message) and the
    command exits with status 1 without writing anything.
    """
    out_format = format_of(out) if out and str(out) != "-" else exports.ExportFormat.CSV
    orphans_format = format_of(orphans_out) if orphans_out else None
    with tempfile.TemporaryDirectory(prefix="claims-recon-") as scratch:
        settings = Settings(
            database_url=str(Path(scratch) / "reconcile.duckdb"),
            upload_dir=Path(scratch) / "spool",
            max_errors=max_errors,
        )
        store = open_store(settings)
        try:
            with output.working("Reconciling…"):
                files = {
                    FileKind.CLAIMS: _receive(FileKind.CLAIMS, claims, settings),
                    FileKind.INVOICES: _receive(FileKind.INVOICES, invoices, settings),
                }
                tolerance = runs.parse_tolerance(
                    {"tolerance_amount": tolerance_amount, "tolerance_percent": tolerance_percent},
                    settings,
                )
                result = runs.reconcile_upload(store, files, tolerance, settings)
            run_id = result.run_id
            if out is not None:
                body = exports.export_results(
                    store, run_id, ResultFilter(), Sort(), out_format, spool_dir=None
                )
                write_atomically(out, body)
            if orphans_out is not None and orphans_format is not None:
                body = exports.export_orphans(store, run_id, orphans_format, spool_dir=None)
                write_atomically(orphans_out, body)
        except ReconError as error:
            raise output.fail(error) from None
        finally:
            store.close()
    console = output.err if out is not None and str(out) == "-" else output.out
    console.print(output.summary_table(result.summary, title=f"{claims.name} vs {invoices.name}"))
    for warning in result.warnings:
        output.err.print(f"warning: {warning.filename}: {warning.message}", markup=False)


def _receive(kind: FileKind, path: Path, settings: Settings) -> ReceivedFile:
    with path.open("rb") as handle:
        return receive_stream(
            kind,
            path.name,
            handle,
            limit=1 << 62,
            spool_dir=settings.resolved_upload_dir(),
            max_rows=settings.max_rows,
        )
