from __future__ import annotations

from fastapi import APIRouter, Request

from claims_recon.api.deps import ActorDep, SettingsDep, StoreDep
from claims_recon.api.json import ExactJSONResponse
from claims_recon.api.responses import ERRORS
from claims_recon.api.upload_flow import receive_and_reconcile
from claims_recon.domain.models import UploadResult

router = APIRouter(prefix="/api", tags=["upload"])

_FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "claims": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV: claim_id,patient_id,date_of_service,"
                            "charges_amount. Optional if an earlier run has claims.",
                        },
                        "invoices": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV: invoice_id,claim_id,transaction_value. "
                            "Optional if an earlier run has invoices.",
                        },
                        "tolerance_amount": {
                            "type": "string",
                            "example": "0.50",
                            "description": "Absolute tolerance in money (default 0).",
                        },
                        "tolerance_percent": {
                            "type": "string",
                            "example": "1",
                            "description": "Tolerance as a percent of the charges (default 0).",
                        },
                    },
                }
            }
        },
    }
}


async def _upload(
    request: Request, settings: SettingsDep, store: StoreDep, actor: ActorDep
) -> ExactJSONResponse:
    result = await receive_and_reconcile(request, store, settings, actor)
    return ExactJSONResponse(result, status_code=201)


_route = {
    "response_model": UploadResult,
    "status_code": 201,
    "responses": ERRORS,
    "openapi_extra": _FORM_SCHEMA,
    "summary": "Upload claims and/or invoices and reconcile them into a new run",
    "description": "Streams the files to disk, validates every row, and creates an "
    "immutable run atomically. A file left out is taken from the latest run (payments "
    "often arrive after claims). A rejected upload stores nothing and lists every problem "
    "with file, line, column, value and rule.",
}
router.add_api_route("/upload", _upload, methods=["POST"], **_route)
router.add_api_route("/upload/", _upload, methods=["POST"], include_in_schema=False, **_route)
