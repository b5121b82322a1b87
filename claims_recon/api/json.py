"""JSON with exact money: Decimals are written as number literals, never through float."""

from __future__ import annotations

from typing import Any

import simplejson
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from starlette.responses import JSONResponse


class ExactJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        if isinstance(content, BaseModel):
            content = content.model_dump(mode="python")
        return simplejson.dumps(
            content,
            use_decimal=True,
            ensure_ascii=False,
            separators=(",", ":"),
            default=_fallback,
        ).encode("utf-8")


def _fallback(value: Any) -> Any:
    # Dates, datetimes and enums: whatever FastAPI would have made of them.
    return jsonable_encoder(value)
