"""Entry point kept for ``uvicorn app.main:app``; the application lives in claims_recon."""

from claims_recon.api.app import create_app

app = create_app()
