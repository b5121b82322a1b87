"""The Jinja environment and rendering a page into a response."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from claims_recon import __version__
from claims_recon.web import formatting

TEMPLATES_DIR = Path(__file__).parent / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    """Built on first use, not at import; every template is autoescaped, always."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(formatting.FILTERS)
    env.globals["version"] = __version__
    env.globals["tolerance"] = formatting.tolerance
    return env


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    # Set by the access control for a signed-in session; absent when sign-in is off.
    csrf_token = getattr(request.state, "csrf_token", None)
    html = (
        environment()
        .get_template(template)
        .render(path=request.url.path, csrf_token=csrf_token, **context)
    )
    return HTMLResponse(html, status_code=status_code)
