"""Form posts that change data must come from this site's own pages.

Without sign-in (the default for one analyst on one machine) there is no CSRF token, so a
page on any other site could otherwise submit a hidden form to the server on the user's
machine and delete a run. Browsers say where a request comes from (``Sec-Fetch-Site``, or
at least ``Origin``); tools such as curl say neither.
"""

from __future__ import annotations

from starlette.requests import Request

from claims_recon.api.access import is_same_site
from claims_recon.errors import ReconError


class CrossSiteRequest(ReconError):
    code = "cross_site"
    status_code = 403


def is_same_origin(request: Request) -> bool:
    return is_same_site(request.headers)
