"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from claims_recon.config import Settings
from claims_recon.services.exports import ExportFormat

Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="CLAIMS_RECON_DATABASE_URL",
        help="The store: a DuckDB file path, ':memory:' or a postgresql:// URL "
        "(default: data/claims_recon.duckdb).",
        show_default=False,
    ),
]
ToleranceAmount = Annotated[str, typer.Option(help="Absolute tolerance in money, e.g. 0.50.")]
TolerancePercent = Annotated[
    str, typer.Option(help="Tolerance as a percent of each claim's charges, e.g. 1.")
]


def settings_for(database: str | None) -> Settings:
    return Settings(database_url=database) if database else Settings()


def format_of(path: Path) -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    try:
        return ExportFormat(suffix)
    except ValueError:
        raise typer.BadParameter(
            f"{path.name}: the file name must end in .csv, .xlsx or .parquet"
        ) from None
