"""``claims-recon serve``: the same app as ``uvicorn app.main:app``."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from claims_recon.cli.options import Database
from claims_recon.config import Settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    database: Database = None,
    reload: Annotated[bool, typer.Option(help="Restart when the code changes.")] = False,
    allow_unauthenticated: Annotated[
        bool,
        typer.Option(help="Serve other machines although no API tokens are configured."),
    ] = False,
) -> None:
    """Serve the API and web app (http://HOST:PORT)."""
    settings = Settings()
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_tokens:
        if not allow_unauthenticated:
            raise typer.BadParameter(
                "no API tokens are configured (CLAIMS_RECON_API_TOKENS), so only "
                "127.0.0.1 may be served; configure tokens or pass --allow-unauthenticated",
                param_hint="--host",
            )
        os.environ["CLAIMS_RECON_ALLOW_REMOTE_WITHOUT_AUTH"] = "true"
    if database:
        # The app builds its settings from the environment (also in reload workers).
        os.environ["CLAIMS_RECON_DATABASE_URL"] = database
    # The factory by its import path, so that it can be found from any working directory
    # and rebuilt by reload workers.
    uvicorn.run(
        "claims_recon.api.app:create_app", factory=True, host=host, port=port, reload=reload
    )
