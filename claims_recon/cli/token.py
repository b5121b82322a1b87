"""``claims-recon token``: make API tokens; only their hashes go into the configuration."""

from __future__ import annotations

from typing import Annotated

import typer

from claims_recon.access import new_token, token_hash

app = typer.Typer(help="API tokens.", no_args_is_help=True, rich_markup_mode=None)


@app.command("new")
def new(
    name: Annotated[str, typer.Argument(help="Who the token is for (shown in the audit).")],
) -> None:
    """Print a new token (give it to NAME) and the entry for CLAIMS_RECON_API_TOKENS."""
    if not name.strip() or any(c in name for c in ",:"):
        raise typer.BadParameter("a name must be non-empty, without ',' or ':'")
    token = new_token()
    typer.echo(f"token (give this to {name}; it is not stored anywhere):")
    typer.echo(f"  {token}")
    typer.echo("entry for CLAIMS_RECON_API_TOKENS (comma-separate several):")
    typer.echo(f"  {name}:{token_hash(token)}")
