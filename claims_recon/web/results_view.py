"""What the results browser needs besides the rows: sort links, filter form, pager, exports.

Every link is built from the parsed query, so what the page links to is always a valid,
canonical form of the view being shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from claims_recon.domain.query import Page, ResultQuery, Sort
from claims_recon.domain.status import Status
from claims_recon.web import links
from claims_recon.web.paging import PAGE_SIZES, Pager, pager


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    numeric: bool = False


COLUMNS = (
    Column("claim_id", "Claim"),
    Column("patient_id", "Patient"),
    Column("date_of_service", "Date of service"),
    Column("charges_amount", "Charges", numeric=True),
    Column("invoice_count", "Invoices", numeric=True),
    Column("invoice_total", "Invoiced", numeric=True),
    Column("variance", "Variance", numeric=True),
    Column("status", "Status"),
    Column("has_refunds", "Refunds"),
)


# For the form's "Sort by" control, which is what narrow screens (no table header) use.
SORT_OPTIONS: tuple[tuple[str, str], ...] = (
    ("", "Claim ID, A to Z"),
    ("-claim_id", "Claim ID, Z to A"),
    ("patient_id", "Patient ID, A to Z"),
    ("-patient_id", "Patient ID, Z to A"),
    ("date_of_service", "Date of service, oldest first"),
    ("-date_of_service", "Date of service, newest first"),
    ("charges_amount", "Charges, smallest first"),
    ("-charges_amount", "Charges, largest first"),
    ("invoice_count", "Invoices, fewest first"),
    ("-invoice_count", "Invoices, most first"),
    ("invoice_total", "Invoiced, smallest first"),
    ("-invoice_total", "Invoiced, largest first"),
    ("variance", "Variance, lowest first"),
    ("-variance", "Variance, highest first"),
    ("status", "Status, A to Z"),
    ("-status", "Status, Z to A"),
    ("has_refunds", "Refunds last"),
    ("-has_refunds", "Refunds first"),
)


@dataclass(frozen=True, slots=True)
class SortLink:
    column: Column
    href: str
    aria_sort: str | None  # "ascending" / "descending" on the sorted column only
    hint: str  # what a click does, for the link's accessible name


def results_context(
    run_id: int, query: ResultQuery, total: int, default_limit: int
) -> dict[str, Any]:
    path = links.run_path(run_id, "claims")
    filters = links.filter_items(query.filter)
    sort = links.sort_items(query.sort)
    limit_items = links.page_items(Page(0, query.page.limit), default_limit)

    def at(skip: int) -> str:
        page = links.page_items(replace(query.page, skip=skip), default_limit)
        return links.href(path, filters + sort + page)

    view = filters + sort
    return {
        "sort_links": [_sort_link(path, c, query.sort, filters + limit_items) for c in COLUMNS],
        "pager": pager(total, query.page, at),
        "form": _form_state(query),
        "statuses": list(Status),
        "sort_options": SORT_OPTIONS,
        "page_sizes": sorted({*PAGE_SIZES, query.page.limit, default_limit}),
        "default_limit": default_limit,
        "export_csv": links.href(
            f"/api/runs/{run_id}/reconciliation/export", [("format", "csv"), *view]
        ),
        "export_xlsx": links.href(
            f"/api/runs/{run_id}/reconciliation/export", [("format", "xlsx"), *view]
        ),
        "json_href": links.href(
            f"/api/runs/{run_id}/reconciliation",
            view + links.page_items(query.page, default_limit),
        ),
        "filtered": bool(filters),
        "active_filters": len({name for name, _ in filters}),
        "reset_href": links.href(path, sort + limit_items),
    }


def _sort_link(path: str, column: Column, current: Sort, keep: links.Items) -> SortLink:
    active = current.column == column.key
    # A click on the sorted column flips it; any other column starts ascending.
    target = Sort(column.key, descending=active and not current.descending)
    aria = None
    if active:
        aria = "descending" if current.descending else "ascending"
    direction = "descending" if target.descending else "ascending"
    return SortLink(
        column=column,
        href=links.href(path, keep + links.sort_items(target)),
        aria_sort=aria,
        hint=f"sort by {column.label.lower()}, {direction}",
    )


def _form_state(query: ResultQuery) -> dict[str, Any]:
    f = query.filter
    return {
        "statuses": {s.value for s in f.statuses},
        "patient_id": f.patient_id or "",
        "claim_id": f.claim_search or "",
        "date_from": f.date_from.isoformat() if f.date_from else "",
        "date_to": f.date_to.isoformat() if f.date_to else "",
        "variance_min": "" if f.variance_min is None else str(f.variance_min),
        "variance_max": "" if f.variance_max is None else str(f.variance_max),
        "has_refunds": "" if f.has_refunds is None else ("true" if f.has_refunds else "false"),
        "sort": str(query.sort) if query.sort != Sort() else "",
        "limit": query.page.limit,
    }


__all__ = ["COLUMNS", "Pager", "results_context"]
