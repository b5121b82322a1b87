"""URLs of pages and views. The view state is written back with the API's parameter names,
so a page's URL, its JSON twin and its export all take the same query string."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from claims_recon.domain.query import Page, ResultFilter, Sort

Items = list[tuple[str, str]]


def href(path: str, items: Items) -> str:
    return f"{path}?{urlencode(items)}" if items else path


def run_path(run_id: int, *rest: str) -> str:
    return "/".join([f"/runs/{run_id}", *rest])


def claim_path(run_id: int, claim_id: str) -> str:
    # Claim IDs are free text: a slash, '?' or '#' must stay part of the ID.
    return run_path(run_id, "claims", quote(claim_id, safe=""))


def filter_items(filt: ResultFilter) -> Items:
    items: Items = [("status", status.value) for status in filt.statuses]
    optional = (
        ("patient_id", filt.patient_id),
        ("claim_id", filt.claim_search),
        ("date_from", filt.date_from.isoformat() if filt.date_from else None),
        ("date_to", filt.date_to.isoformat() if filt.date_to else None),
        ("variance_min", _decimal(filt.variance_min)),
        ("variance_max", _decimal(filt.variance_max)),
    )
    items += [(name, value) for name, value in optional if value is not None]
    if filt.has_refunds is not None:
        items.append(("has_refunds", "true" if filt.has_refunds else "false"))
    return items


def sort_items(sort: Sort) -> Items:
    return [] if sort == Sort() else [("sort", str(sort))]


def page_items(page: Page, default_limit: int) -> Items:
    items: Items = []
    if page.skip:
        items.append(("skip", str(page.skip)))
    if page.limit != default_limit:
        items.append(("limit", str(page.limit)))
    return items


def _decimal(value: object) -> str | None:
    return None if value is None else str(value)
