"""What each input file must contain, and how its header row is read."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum

from claims_recon.domain.problems import Problem

MAX_ID_LENGTH = 128
MAX_HEADER_BYTES = 64 * 1024


class FileKind(StrEnum):
    CLAIMS = "claims"
    INVOICES = "invoices"


class ValueKind(StrEnum):
    ID = "id"
    DATE = "date"
    AMOUNT = "amount"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    kind: ValueKind
    unique: bool = False


@dataclass(frozen=True, slots=True)
class FileSpec:
    kind: FileKind
    columns: tuple[ColumnSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


CLAIMS = FileSpec(
    FileKind.CLAIMS,
    (
        ColumnSpec("claim_id", ValueKind.ID, unique=True),
        ColumnSpec("patient_id", ValueKind.ID),
        ColumnSpec("date_of_service", ValueKind.DATE),
        ColumnSpec("charges_amount", ValueKind.AMOUNT),
    ),
)
INVOICES = FileSpec(
    FileKind.INVOICES,
    (
        ColumnSpec("invoice_id", ValueKind.ID, unique=True),
        ColumnSpec("claim_id", ValueKind.ID),
        ColumnSpec("transaction_value", ValueKind.AMOUNT),
    ),
)
SPECS = {FileKind.CLAIMS: CLAIMS, FileKind.INVOICES: INVOICES}


def normalise_name(raw: str) -> str:
    """Header names match case-insensitively, ignoring surrounding spaces and a BOM."""
    return raw.replace("\ufeff", "").strip().lower()


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """Where each required column sits in the file, and which columns are ignored."""

    names: tuple[str, ...]  # normalised names of all columns, in file order
    positions: dict[str, int]  # required name -> 0-based position
    ignored: tuple[str, ...]


def read_header_line(data: bytes) -> str:
    """The first line of the file, decoded (the caller has already checked UTF-8)."""
    text = data.decode("utf-8-sig", errors="replace")
    return text.splitlines()[0] if text else ""


def parse_header(
    spec: FileSpec, filename: str, first_line: str
) -> tuple[HeaderLayout, list[Problem], list[Problem]]:
    """Map the header to the spec. Returns (layout, problems, warnings)."""
    where = {"file": spec.kind.value, "filename": filename, "line": 1}
    if not first_line.strip():
        problem = Problem(
            rule="header",
            message=f"the first line must be the header ({','.join(spec.names)}), but it is blank",
            **where,
        )
        return HeaderLayout((), {}, ()), [problem], []
    raw_names = next(csv.reader([first_line]))
    names = tuple(normalise_name(n) for n in raw_names)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in seen and name in spec.names:
            problems.append(
                Problem(
                    rule="header",
                    message=f"column {name!r} appears twice in the header",
                    column=name,
                    **where,
                )
            )
        seen.setdefault(name, position)
    missing = [n for n in spec.names if n not in seen]
    if missing:
        found = ", ".join(repr(n) for n in names) or "nothing"
        problems.append(
            Problem(
                rule="missing_column",
                message=f"missing required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (expected {','.join(spec.names)}; found {found})",
                column=", ".join(missing),
                **where,
            )
        )
    ignored = tuple(n for n in names if n not in spec.names)
    for name in ignored:
        warnings.append(
            Problem(
                rule="ignored_column",
                message=f"column {name or '(unnamed)'!r} is not used and was ignored",
                column=name,
                **where,
            )
        )
    positions = {n: seen[n] for n in spec.names if n in seen}
    return HeaderLayout(names, positions, ignored), problems, warnings
