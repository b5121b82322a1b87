"""Dependencies the routers declare. The settings and the store live on ``app.state``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Query, Request

from claims_recon.config import Settings
from claims_recon.domain.problems import Problem
from claims_recon.domain.query import Page, ResultFilter, ResultQuery, Sort
from claims_recon.domain.status import Status
from claims_recon.engine.base import Store
from claims_recon.errors import InvalidRequest


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_actor(request: Request) -> str:
    """Who is asking: set by access control (a token's name, or 'local')."""
    return str(getattr(request.state, "actor", "local"))


SettingsDep = Annotated[Settings, Depends(get_settings)]
ActorDep = Annotated[str, Depends(get_actor)]
StoreDep = Annotated[Store, Depends(get_store)]


def page_params(
    settings: SettingsDep,
    skip: Annotated[int, Query(ge=0, le=10**12, description="Rows to skip.")] = 0,
    limit: Annotated[
        int | None, Query(ge=1, description="Rows to return (default 100, at most 1000).")
    ] = None,
) -> Page:
    size = settings.page_size_default if limit is None else limit
    if size > settings.page_size_max:
        raise InvalidRequest(
            f"limit must be at most {settings.page_size_max}",
            details=[_param_problem("limit", str(limit), f"at most {settings.page_size_max}")],
        )
    return Page(skip=skip, limit=size)


def filter_params(
    status: Annotated[
        list[str] | None,
        Query(
            description="One or more statuses (repeat the parameter or separate with commas): "
            "BALANCED, UNDERPAID, OVERPAID, NO_INVOICES.",
            examples=[["UNDERPAID", "OVERPAID"]],
        ),
    ] = None,
    patient_id: Annotated[str | None, Query(max_length=128)] = None,
    claim_id: Annotated[
        str | None, Query(max_length=128, description="Case-insensitive part of a claim_id.")
    ] = None,
    date_from: Annotated[dt.date | None, Query(description="Earliest date of service.")] = None,
    date_to: Annotated[dt.date | None, Query(description="Latest date of service.")] = None,
    variance_min: Annotated[Decimal | None, Query(ge=-(10**16), le=10**16)] = None,
    variance_max: Annotated[Decimal | None, Query(ge=-(10**16), le=10**16)] = None,
    has_refunds: Annotated[bool | None, Query()] = None,
) -> ResultFilter:
    statuses: list[Status] = []
    for item in status or []:
        for part in item.split(","):
            name = part.strip().upper()
            if not name:
                continue
            try:
                statuses.append(Status(name))
            except ValueError:
                allowed = ", ".join(s.value for s in Status)
                raise InvalidRequest(
                    f"unknown status {part.strip()!r}; use {allowed}",
                    details=[_param_problem("status", part.strip(), f"one of {allowed}")],
                ) from None
    return ResultFilter(
        statuses=tuple(dict.fromkeys(statuses)),
        patient_id=patient_id,
        claim_search=claim_id or None,
        date_from=date_from,
        date_to=date_to,
        variance_min=variance_min,
        variance_max=variance_max,
        has_refunds=has_refunds,
    )


def sort_param(
    sort: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Column to sort by; prefix with '-' for descending, e.g. -variance.",
            examples=["-variance"],
        ),
    ] = None,
) -> Sort:
    try:
        return Sort.parse(sort)
    except ValueError as exc:
        raise InvalidRequest(str(exc), details=[_param_problem("sort", sort, str(exc))]) from None


def _param_problem(name: str, value: str | None, rule: str) -> Problem:
    return Problem(rule="invalid_parameter", message=f"{name}: {rule}", column=name, value=value)


PageDep = Annotated[Page, Depends(page_params)]
FilterDep = Annotated[ResultFilter, Depends(filter_params)]
SortDep = Annotated[Sort, Depends(sort_param)]


def result_query(filt: FilterDep, sort: SortDep, page: PageDep) -> ResultQuery:
    return ResultQuery(filter=filt, sort=sort, page=page)


ResultQueryDep = Annotated[ResultQuery, Depends(result_query)]
