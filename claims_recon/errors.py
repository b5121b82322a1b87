"""Errors the service raises on purpose. No web imports: the API and the CLI translate them.

Every error carries a stable ``code``, a human ``message`` and optional ``details``; the API
renders them in one envelope, the CLI as compiler-style lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from claims_recon.domain.problems import Problem


class ReconError(Exception):
    """Base of all deliberate errors."""

    code = "error"
    status_code = 400

    def __init__(
        self, message: str, *, details: Sequence[Problem] = (), total: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)
        self.total = len(self.details) if total is None else total


class NotFound(ReconError):
    code = "not_found"
    status_code = 404


class InvalidRequest(ReconError):
    """The request itself (not a file's content) is unusable."""

    code = "invalid_request"
    status_code = 422


class RejectedUpload(ReconError):
    """One or more uploaded files broke the rules; nothing was stored."""

    code = "rejected_upload"
    status_code = 422


class PayloadTooLarge(ReconError):
    code = "payload_too_large"
    status_code = 413


class UnsupportedMediaType(ReconError):
    code = "unsupported_media_type"
    status_code = 415


class ExportTooLarge(ReconError):
    code = "export_too_large"
    status_code = 422


class StoreUnavailable(ReconError):
    code = "store_unavailable"
    status_code = 503
