"""``claims-recon runs``: list, show, export and delete the runs of a store."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import simplejson
import typer

from claims_recon.cli import output
from claims_recon.cli.files import write_atomically
from claims_recon.cli.options import Database, format_of, settings_for
from claims_recon.domain.query import Page, ResultFilter, Sort
from claims_recon.domain.status import Status
from claims_recon.engine import open_store
from claims_recon.engine.base import Store
from claims_recon.errors import ReconError
from claims_recon.services import audit, exports

app = typer.Typer(help="Runs kept in the store.", no_args_is_help=True, rich_markup_mode=None)

RunId = Annotated[int, typer.Argument(min=1, help="Run number.", show_default=False)]


def _actor() -> str:
    """Who the audit trail names for a command: the operating-system account running it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name, as in some containers
        return "cli"


@contextmanager
def _store(database: str | None) -> Iterator[tuple[Store, object]]:
    settings = settings_for(database)
    try:
        store = open_store(settings)
    except ReconError as error:
        raise output.fail(error) from None
    try:
        yield store, settings
    except ReconError as error:
        raise output.fail(error) from None
    finally:
        store.close()


@app.command("list")
def list_runs(
    database: Database = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Runs to show.")] = 20,
) -> None:
    """Runs, newest first."""
    with _store(database) as (store, _):
        data, count = store.list_runs(Page(0, limit))
    if not data:
        output.err.print("no runs yet; upload files or run `claims-recon serve`", markup=False)
        return
    output.print_runs(data)
    if count > len(data):
        output.err.print(f"({len(data)} of {count:,} runs shown)", markup=False)


@app.command("show")
def show(
    run_id: RunId,
    database: Database = None,
    json: Annotated[
        bool, typer.Option("--json", help="Print the run and summary as JSON.")
    ] = False,
) -> None:
    """One run: its files, counts and summary."""
    with _store(database) as (store, _):
        run = store.get_run(run_id)
        summary = store.summary(run_id)
        audit.viewed(store, _actor(), run_id, "summary")
    if json:
        body = {"run": run.model_dump(mode="json"), "summary": summary.model_dump(mode="python")}
        typer.echo(simplejson.dumps(body, use_decimal=True, indent=2, default=str))
        return
    output.print_runs([run])
    output.out.print(output.summary_table(summary))


@app.command("export")
def export(
    run_id: RunId,
    out: Annotated[
        Path, typer.Option("--out", "-o", help=".csv, .xlsx or .parquet ('-' = CSV on stdout).")
    ],
    database: Database = None,
    status: Annotated[
        list[Status] | None, typer.Option(help="Only these statuses (repeatable).")
    ] = None,
    sort: Annotated[str | None, typer.Option(help="Column; prefix '-' for descending.")] = None,
    orphans: Annotated[bool, typer.Option("--orphans", help="Export orphan invoices.")] = False,
) -> None:
    """Write a run's reconciled claims (or orphan invoices) to a file."""
    fmt = exports.ExportFormat.CSV if str(out) == "-" else format_of(out)
    try:
        order = Sort.parse(sort)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sort") from None
    with _store(database) as (store, _), output.working("Exporting…"):
        if orphans:
            body = exports.export_orphans(store, run_id, fmt, spool_dir=None)
            filt = None
        else:
            filt = ResultFilter(statuses=tuple(status or ()))
            body = exports.export_results(store, run_id, filt, order, fmt, spool_dir=None)
        write_atomically(out, body)
        what = "orphans" if orphans else "results"
        audit.exported(store, _actor(), run_id, what, fmt.value, filt)
    if str(out) != "-":
        output.err.print(f"wrote {out}", markup=False)


@app.command("delete")
def delete(
    run_id: RunId,
    database: Database = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a run and all its data."""
    with _store(database) as (store, _):
        run = store.get_run(run_id)
        if not yes and not typer.confirm(
            f"Delete run {run_id} ({run.counts.total_claims:,} claims)?"
        ):
            # Declining is an answer, not an error (as with rm -i): nothing changes.
            output.err.print(f"kept run {run_id}", markup=False)
            return
        audit.delete_run(store, _actor(), run_id)
    output.err.print(f"deleted run {run_id}", markup=False)
