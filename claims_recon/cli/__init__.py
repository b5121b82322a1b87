"""The ``claims-recon`` command line: a thin adapter over the services.

Exit codes: 0 success (a declined deletion too); 1 an input file was rejected (problems
printed like a compiler: ``claims.csv:17: charges_amount: "12,x" is not an amount``);
2 wrong usage; 3 no such run or claim; 4 any other error (the store cannot be opened, an
export is too large, …).
"""

from __future__ import annotations

import typer

from claims_recon.cli import generate, reconcile, runs, serve, token

app = typer.Typer(
    name="claims-recon",
    help="Reconcile healthcare claims against invoices and payments.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    epilog="Exit codes: 0 success (or a deletion declined), 1 an input file was rejected, "
    "2 wrong usage, 3 no such run or claim, 4 any other error.",
)
app.command("serve")(serve.serve)
app.command("reconcile")(reconcile.reconcile)
app.command("generate")(generate.generate)
app.add_typer(runs.app, name="runs")
app.add_typer(token.app, name="token")


def main() -> None:
    app()
