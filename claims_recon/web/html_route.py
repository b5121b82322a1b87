"""A route class for pages: failures become readable HTML pages, never the JSON envelope.

The pages declare the API's own dependencies (so HTML and JSON accept exactly the same
parameters); this class catches what those dependencies and the store raise and renders
it for a person. The API's JSON error handlers stay untouched for ``/api``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from claims_recon.api.errors import validation_problems
from claims_recon.api.privacy import redact_path
from claims_recon.errors import NotFound, ReconError
from claims_recon.web.templating import render

log = logging.getLogger("claims_recon.web")

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class HTMLRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            if request.method == "GET" and (cleaned := _without_blanks(request)) is not None:
                return RedirectResponse(cleaned, status_code=303)
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _invalid(request, exc)
            except NotFound as exc:
                return not_found(request, exc.message)
            except ReconError as exc:
                return _problem_page(request, exc.status_code, exc.message, exc.details)
            except Exception as exc:
                # The message may quote uploaded values (patient data): log the type only.
                log.error(
                    "unexpected %s on page %s", type(exc).__name__, redact_path(request.url.path)
                )
                return render(
                    request,
                    "error.html",
                    {
                        "title": "Something went wrong",
                        "message": "The server could not show this page. Nothing was changed; "
                        "try again, or go back to the list of runs.",
                        "problems": [],
                    },
                    status_code=500,
                )

        return page


def not_found(request: Request, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": "Not found", "message": _sentence(message), "problems": []},
        status_code=404,
    )


def _invalid(request: Request, exc: RequestValidationError) -> Response:
    if any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
        # A malformed run number or claim path names nothing that exists.
        return not_found(request, "there is no such page")
    problems = []
    for problem in validation_problems(exc):
        # The API's message is "name: rule"; the page shows the name in its own column.
        rule = problem.message.removeprefix(f"{problem.column}: ")
        problems.append(
            {
                "name": problem.column or "",
                "value": problem.value,
                "message": rule[:1].upper() + rule[1:],
            }
        )
    return _problem_page(request, 422, "some of the view's settings could not be read", problems)


def _problem_page(request: Request, status: int, message: str, details: list[Any]) -> Response:
    problems = [
        p
        if isinstance(p, dict)
        else {"name": p.column or "", "value": p.value, "message": p.message}
        for p in details
    ]
    return render(
        request,
        "error.html",
        {
            "title": "This view could not be shown",
            "message": _sentence(message),
            "problems": problems,
            "reset": request.url.path,
        },
        status_code=status,
    )


def _without_blanks(request: Request) -> str | None:
    """A GET form sends every field, empty ones included; an empty value means "no filter",
    so redirect to the URL without them, which is the short, canonical link to the view."""
    items = request.query_params.multi_items()
    kept = [(k, v) for k, v in items if v.strip()]
    if len(kept) == len(items):
        return None
    # The raw path keeps a claim ID's escaped characters (%2F, %3F) escaped.
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    return f"{path}?{urlencode(kept)}" if kept else path


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
