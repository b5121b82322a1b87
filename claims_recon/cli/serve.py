"""``claims-recon serve``: the same app as ``uvicorn app.main:app``."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from claims_recon.cli.options import Database


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    database: Database = None,
    reload: Annotated[bool, typer.Option(help="Restart when the code changes.")] = False,
) -> None:
    """Serve the API and web app (http://HOST:PORT)."""
    if database:
        # The app builds its settings from the environment (also in reload workers).
        os.environ["CLAIMS_RECON_DATABASE_URL"] = database
    uvicorn.run("app.main:app", host=host, port=port, reload=reload)
