"""``claims-recon generate``: deterministic sample claims, invoices and patients."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from claims_recon import sampledata
from claims_recon.cli import output


def generate(
    out: Annotated[
        Path,
        typer.Option(
            envvar="HOST_OUTPUT_DIR",
            help="Output folder; defaults to $HOST_OUTPUT_DIR, else the current folder.",
            show_default=False,
            file_okay=False,
        ),
    ] = Path("."),
    patients: Annotated[
        int | None,
        typer.Option(
            help=f"Patients to create (default {sampledata.DEFAULT_PATIENTS}).", show_default=False
        ),
    ] = None,
    min_claims: Annotated[int, typer.Option(help="Fewest claims per patient.")] = 10,
    max_claims: Annotated[int, typer.Option(help="Most claims per patient.")] = 100,
    claims: Annotated[
        int | None,
        typer.Option(help="Exact total of claims; sizes the patients (excludes --patients)."),
    ] = None,
    max_invoices: Annotated[int, typer.Option(help="Most invoices per claim.")] = 5,
    seed: Annotated[
        int, typer.Option(help="Same seed and options give byte-identical files.")
    ] = sampledata.DEFAULT_SEED,
    orphans: Annotated[int, typer.Option(help="Invoices whose claim_id matches no claim.")] = 0,
    duplicates: Annotated[int, typer.Option(help="Extra claims rows repeating a claim_id.")] = 0,
    malformed: Annotated[
        int, typer.Option(help="Claims rows with an impossible date or a non-numeric amount.")
    ] = 0,
) -> None:
    """Generate deterministic sample claims, invoices and patients."""
    try:
        with output.working("Generating…"):
            result = sampledata.generate(
                out,
                patients=patients,
                min_claims=min_claims,
                max_claims=max_claims,
                claims=claims,
                max_invoices=max_invoices,
                seed=seed,
                orphans=orphans,
                duplicates=duplicates,
                malformed=malformed,
            )
    except ValueError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"{result.claims_path}: {result.claims_rows} rows")
    typer.echo(f"{result.invoices_path}: {result.invoices_rows} rows")
    typer.echo(f"{result.patients_path}: {result.patients_rows} rows")
