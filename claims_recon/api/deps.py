"""Dependencies the routers declare. The settings and the store live on ``app.state``."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Query, Request

from claims_recon.config import Settings
from claims_recon.domain.problems import Problem
from claims_recon.domain.query import SORTABLE, Page, ResultFilter, ResultQuery, Sort
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
        int | None,
        Query(ge=1, le=1000, description="Rows to return (default 100, at most 1000)."),
    ] = None,
) -> Page:
    size = settings.page_size_default if limit is None else limit
    if size > settings.page_size_max:
        raise InvalidRequest(
            f"limit must be at most {settings.page_size_max}",
            details=[_param_problem("limit", str(limit), f"at most {settings.page_size_max}")],
        )
    return Page(skip=skip, limit=size)


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)


_ONE_STATUS = "(" + "|".join(_any_case(s.value) for s in Status) + ")"
STATUS_PATTERN = rf"^ *{_ONE_STATUS}( *, *{_ONE_STATUS})* *,? *$"
# A real calendar date (leap years included), so the schema says exactly what is accepted.
_YEAR = "([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_LEAP_YEAR = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    "|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-8]))"
)
ISO_DATE = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
# Empty values mean "not given", as a web form sends them.
DATE_PATTERN = f"^({ISO_DATE})?$"
AMOUNT_PARAM_PATTERN = r"^(-?[0-9]{1,16}(\.[0-9]{1,2})?)?$"
SORT_PATTERN = "^-?(" + "|".join(sorted(SORTABLE)) + ")$"


# What a person should send instead, by parameter, when a value does not fit the pattern.
PARAMETER_HINTS = {
    "status": "use BALANCED, UNDERPAID, OVERPAID or NO_INVOICES (repeat or comma-separate)",
    "sort": "use a column (" + ", ".join(sorted(SORTABLE)) + "), with '-' for descending",
    "date_from": "use a real date, YYYY-MM-DD",
    "date_to": "use a real date, YYYY-MM-DD",
    "variance_min": "use an amount with at most two decimals, e.g. -100.00",
    "variance_max": "use an amount with at most two decimals, e.g. 250",
}


def filter_params(
    status: Annotated[
        list[Annotated[str, Query(pattern=STATUS_PATTERN)]] | None,
        Query(
            description="One or more statuses (repeat the parameter or separate with commas; "
            "any case): BALANCED, UNDERPAID, OVERPAID, NO_INVOICES.",
            examples=[["UNDERPAID", "OVERPAID"]],
        ),
    ] = None,
    patient_id: Annotated[str | None, Query(max_length=128)] = None,
    claim_id: Annotated[
        str | None, Query(max_length=128, description="Case-insensitive part of a claim_id.")
    ] = None,
    date_from: Annotated[
        str | None,
        Query(
            pattern=DATE_PATTERN,
            description="Earliest date of service (YYYY-MM-DD).",
            examples=["2024-01-01"],
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(
            pattern=DATE_PATTERN,
            description="Latest date of service (YYYY-MM-DD).",
            examples=["2024-12-31"],
        ),
    ] = None,
    variance_min: Annotated[
        str | None,
        Query(pattern=AMOUNT_PARAM_PATTERN, description="Lowest variance, e.g. -100.00."),
    ] = None,
    variance_max: Annotated[
        str | None,
        Query(pattern=AMOUNT_PARAM_PATTERN, description="Highest variance, e.g. 0."),
    ] = None,
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
        patient_id=patient_id or None,
        claim_search=claim_id or None,
        date_from=_date("date_from", date_from),
        date_to=_date("date_to", date_to),
        variance_min=Decimal(variance_min) if variance_min else None,
        variance_max=Decimal(variance_max) if variance_max else None,
        has_refunds=has_refunds,
    )


def _date(name: str, text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{name}: {text!r} is not a real calendar date",
            details=[_param_problem(name, text, "a real calendar date, YYYY-MM-DD")],
        ) from None


def sort_param(
    sort: Annotated[
        str | None,
        Query(
            pattern=SORT_PATTERN,
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
