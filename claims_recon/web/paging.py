"""Page-by-page navigation over a server-side result: where each pager link goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from claims_recon.domain.query import Page

PAGE_SIZES = (25, 50, 100, 250, 500)


@dataclass(frozen=True, slots=True)
class Pager:
    first_row: int  # 1-based, 0 when the page is empty
    last_row: int
    total: int
    number: int  # 1-based page number
    pages: int
    first: str | None  # None: the link would lead to the page already shown
    previous: str | None
    next: str | None
    last: str | None


def pager(total: int, page: Page, link: Callable[[int], str]) -> Pager:
    """``link(skip)`` gives the URL of the page starting at row ``skip``."""
    limit = page.limit
    pages = max(1, -(-total // limit))
    last_skip = (pages - 1) * limit
    # A hand-edited skip need not fall on a page boundary; count pages from where it is.
    number = page.skip // limit + 1
    shown = max(0, min(limit, total - page.skip))
    at_start = page.skip == 0
    at_end = page.skip + limit >= total
    return Pager(
        first_row=page.skip + 1 if shown else 0,
        last_row=page.skip + shown,
        total=total,
        number=number,
        pages=max(pages, number),
        first=None if at_start else link(0),
        previous=None if at_start else link(max(0, page.skip - limit)),
        next=None if at_end else link(page.skip + limit),
        last=None if at_end else link(last_skip),
    )
