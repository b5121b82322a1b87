"""Parse, validate and load uploaded CSVs inside DuckDB, set-based and streaming.

Loading is optimistic: ``strict_relation`` reads a file with DuckDB's parallel CSV reader
and yields typed values, NULL wherever a value breaks a rule; the store inserts that into
NOT NULL columns, so any bad row aborts the transaction. Only then does ``check_csv`` read
the file again to count every problem, list them up to the cap and find their line
numbers. Structural faults (wrong number of fields, unterminated quotes, over-long lines)
come from DuckDB's reject tables. A valid file is therefore read once, never materialised.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from claims_recon.domain.money import AMOUNT_PATTERN
from claims_recon.domain.problems import Problem
from claims_recon.ingest.columns import (
    MAX_ID_LENGTH,
    FileSpec,
    HeaderLayout,
    ValueKind,
    parse_header,
    read_header_line,
)
from claims_recon.ingest.lines import lines_of_records
from claims_recon.ingest.receiver import ReceivedFile

MAX_LINE_BYTES = 1024 * 1024
_SHOWN_VALUE_CHARS = 120
_DATE_SHAPE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# The usual shape of an amount; everything else goes through the full AMOUNT_PATTERN.
_PLAIN_AMOUNT = r"-?[0-9]{1,16}(\.[0-9]{1,2})?"
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    problems: list[Problem]
    total: int  # all problems found, of which ``problems`` lists at most the cap


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _cleaned_amount(t: str) -> str:
    return (
        f"CASE WHEN starts_with({t}, '(') THEN '-' || translate({t}, '()$,', '') "
        f"ELSE translate({t}, '$,', '') END"
    )


def rule_sql(kind: ValueKind, t: str) -> str:
    """SQL naming the first rule the trimmed value ``t`` breaks, or NULL when it is fine."""
    required = f"WHEN {t} IS NULL OR {t} = '' THEN 'required'"
    if kind is ValueKind.ID:
        return (
            f"CASE {required} WHEN length({t}) > {MAX_ID_LENGTH} THEN 'too_long' "
            f"WHEN strpos({t}, '\"') > 0 OR strpos({t}, chr(10)) > 0 "
            f"OR strpos({t}, chr(13)) > 0 THEN 'id_chars' END"
        )
    if kind is ValueKind.DATE:
        ok = (
            f"length({t}) = 10 AND regexp_full_match({t}, '{_DATE_SHAPE}') "
            f"AND TRY_CAST({t} AS DATE) IS NOT NULL"
        )
        return f"CASE {required} WHEN NOT ({ok}) THEN 'date' END"
    ok = (
        f"regexp_full_match({t}, '{_PLAIN_AMOUNT}') OR (regexp_full_match({t}, "
        f"{_text(AMOUNT_PATTERN)}) AND TRY_CAST({_cleaned_amount(t)} AS DECIMAL(18, 2)) "
        "IS NOT NULL)"
    )
    return f"CASE {required} WHEN NOT ({ok}) THEN 'amount' END"


def value_sql(kind: ValueKind, t: str, *, quoted: bool = True) -> str:
    """SQL for the typed value of the trimmed value ``t``, or NULL when it breaks a rule.

    The same verdict as ``rule_sql`` (a test holds them together), written flat because it
    runs over every value of every upload: most amounts are plain and are cast directly,
    and only the rest are rewritten and tried against the full pattern. ``quoted=False``
    (the file has no double quote at all) leaves out the search for quotes and line
    breaks in IDs: only a quoted field can hold either.
    """
    if kind is ValueKind.ID:
        chars = (
            f"AND strpos({t}, '\"') = 0 AND strpos({t}, chr(10)) = 0 AND strpos({t}, chr(13)) = 0 "
            if quoted
            else ""
        )
        return f"CASE WHEN {t} <> '' AND length({t}) <= {MAX_ID_LENGTH} {chars}THEN {t} END"
    if kind is ValueKind.DATE:
        return (
            f"CASE WHEN length({t}) = 10 AND regexp_full_match({t}, '{_DATE_SHAPE}') "
            f"THEN TRY_CAST({t} AS DATE) END"
        )
    return (
        f"CASE WHEN regexp_full_match({t}, '{_PLAIN_AMOUNT}') THEN CAST({t} AS DECIMAL(18, 2)) "
        f"WHEN regexp_full_match({t}, {_text(AMOUNT_PATTERN)}) "
        f"THEN TRY_CAST({_cleaned_amount(t)} AS DECIMAL(18, 2)) END"
    )


def _read_csv(path: Path, layout: HeaderLayout, *, rejects: str | None) -> str:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(layout.names))) + "}"
    options = [
        f"{_text(str(path))}",
        "header = true",
        "auto_detect = false",
        "delim = ','",
        "quote = '\"'",
        "escape = '\"'",
        "new_line = '\\n'",
        f"columns = {columns}",
        "strict_mode = true",
        f"max_line_size = {MAX_LINE_BYTES}",
    ]
    if rejects:
        options += [
            "store_rejects = true",
            f"rejects_table = '{rejects}'",
            f"rejects_scan = '{rejects}_scan'",
        ]
    return f"read_csv({', '.join(options)})"


def _trim_sql(value: str, *, ascii_only: bool) -> str:
    """DuckDB's trim: it strips Unicode space separators from both ends.

    In an ASCII file the only such character is ' ', and testing the two ends with LIKE
    costs a third of trim itself, so the values that need nothing (nearly all) skip it.
    """
    if ascii_only:
        ends = f"{value} LIKE ' %' OR {value} LIKE '% '"
        return f"CASE WHEN {ends} THEN trim({value}) ELSE {value} END"
    return f"trim({value})"


def _trimmed(
    spec: FileSpec, layout: HeaderLayout, source: str, *, ascii_only: bool, raw: bool = False
) -> str:
    """A subquery with each required column trimmed, as ``t_<name>`` (and ``r_<name>``)."""
    parts = []
    for col in spec.columns:
        position = layout.positions[col.name]
        trimmed = _trim_sql(f"c{position}", ascii_only=ascii_only)
        parts.append(f"{trimmed} AS {_ident('t_' + col.name)}")
        if raw:
            parts.append(f"c{position} AS {_ident('r_' + col.name)}")
    return f"SELECT {', '.join(parts)} FROM {source}"


def check_csv(
    con: duckdb.DuckDBPyConnection, received: ReceivedFile, spec: FileSpec, *, max_problems: int
) -> CheckOutcome:
    """Every problem of ``received`` (counted in full, listed up to the cap); writes nothing."""
    where = {"file": spec.kind.value, "filename": received.filename}
    layout, problems, _ = read_layout(received, spec)
    if layout is None:
        return CheckOutcome(problems[:max_problems], len(problems))
    try:
        counts = _count_problems(con, received.path, spec, layout)
    except duckdb.Error as exc:
        # Strict parsing stopped at a structural fault: find them all, with lines.
        structural, total = _structure_problems(con, received, layout, max_problems)
        if total:
            return CheckOutcome(structural, total)
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        problem = Problem(rule="csv", message=f"could not be read as CSV ({first_line})", **where)
        return CheckOutcome([problem], 1)
    rows = counts.pop("rows")
    if rows == 0:
        problem = Problem(rule="no_rows", message="has a header but no data rows", line=1, **where)
        return CheckOutcome([problem], 1)
    total = sum(counts.values())
    if total:
        return CheckOutcome(_list_problems(con, received, spec, layout, max_problems), total)
    return CheckOutcome([], 0)


def read_layout(
    received: ReceivedFile, spec: FileSpec
) -> tuple[HeaderLayout | None, list[Problem], list[Problem]]:
    """The header's layout, or the problems that stop the file being read at all."""
    if received.problem is not None:
        return None, [received.problem], []
    layout, problems, warnings = parse_header(
        spec, received.filename, read_header_line(received.head)
    )
    return (None if problems else layout), problems, warnings


def strict_relation(received: ReceivedFile, spec: FileSpec, layout: HeaderLayout) -> str:
    """A subquery of the file's typed columns (named as in the spec); NULL marks a bad value."""
    columns = []
    for col in spec.columns:
        t = _ident("t_" + col.name)
        value = value_sql(col.kind, t, quoted=received.has_quotes)
        columns.append(f"{value} AS {_ident(col.name)}")
    source = _read_csv(received.path, layout, rejects=None)
    trimmed = _trimmed(spec, layout, source, ascii_only=received.ascii_only)
    return f"(SELECT {', '.join(columns)} FROM ({trimmed}))"


@contextmanager
def _dropping(con: duckdb.DuckDBPyConnection, *tables: str) -> Iterator[None]:
    try:
        yield
    finally:
        for table in tables:
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _count_problems(
    con: duckdb.DuckDBPyConnection, path: Path, spec: FileSpec, layout: HeaderLayout
) -> dict[str, int]:
    measures = ["count(*) AS rows"]
    for col in spec.columns:
        t = _ident("t_" + col.name)
        measures.append(f"count(*) FILTER (WHERE ({rule_sql(col.kind, t)}) IS NOT NULL)")
        if col.unique:
            # Rows beyond the first with the same key.
            measures.append(
                f"count({t}) FILTER (WHERE {t} <> '') - count(DISTINCT nullif({t}, ''))"
            )
    source = _read_csv(path, layout, rejects=None)
    trimmed = _trimmed(spec, layout, source, ascii_only=False)
    result = con.execute(f"SELECT {', '.join(measures)} FROM ({trimmed})")
    row = result.fetchone()
    return {f"m{i}" if i else "rows": int(v) for i, v in enumerate(row)}


def _problem_message(rule: str, column: str, value: str | None) -> str:
    shown = (value or "").strip()
    if len(shown) > _SHOWN_VALUE_CHARS:
        shown = shown[:_SHOWN_VALUE_CHARS] + "…"
    if rule == "required":
        return f"{column} is empty"
    if rule == "too_long":
        return f"{column} is longer than {MAX_ID_LENGTH} characters"
    if rule == "id_chars":
        return f"{column} {shown!r} contains a double quote or a line break"
    if rule == "date":
        if re.fullmatch(_DATE_SHAPE, shown):
            return f'"{shown}" is not a real calendar date'
        return f'"{shown}" is not a date; use YYYY-MM-DD, e.g. 2024-03-31'
    if rule == "amount":
        if re.fullmatch(r"[+-]?\$?[0-9,]*\.[0-9]{3,}", shown):
            return f'"{shown}" has more than two decimal places'
        return f'"{shown}" is not an amount; use e.g. 1200.50, -75.00 or 1,200.50'
    return f"{column}: {rule}"


_STRUCTURE_MESSAGES = {
    "MISSING COLUMNS": "has fewer fields than the header",
    "TOO MANY COLUMNS": "has more fields than the header",
    "UNQUOTED VALUE": "has a double quote that is not closed or not at the start of a field",
    "LINE SIZE OVER MAXIMUM": f"is longer than {MAX_LINE_BYTES:,} bytes",
    "INVALID ENCODING": "is not valid UTF-8",
    "INVALID UNICODE": "is not valid UTF-8",
}


def _structure_problems(
    con: duckdb.DuckDBPyConnection, received: ReceivedFile, layout: HeaderLayout, cap: int
) -> tuple[list[Problem], int]:
    """Every structural fault, from DuckDB's reject table (filled by a full materialising
    scan: an aggregate-only scan does not record rejects)."""
    rejects = f"rejects_{received.kind.value}_{next(_counter)}"
    scratch = f"scan_{received.kind.value}_{next(_counter)}"
    source = _read_csv(received.path, layout, rejects=rejects)
    with _dropping(con, scratch, rejects, f"{rejects}_scan"):
        con.execute(f"CREATE TEMP TABLE {scratch} AS SELECT * FROM {source}")
        return _rejected_lines(con, received, rejects, cap)


def _rejected_lines(
    con: duckdb.DuckDBPyConnection, received: ReceivedFile, rejects: str, cap: int
) -> tuple[list[Problem], int]:
    # DuckDB reports one reject row per missing field; a person wants one per line. A
    # fault of the whole line (one too long) has no column: it must not drop out of arg_min.
    total = con.execute(f"SELECT count(DISTINCT line) FROM {rejects}").fetchone()[0]
    if not total:
        return [], 0
    rows = con.execute(
        f"""
        SELECT line, arg_min(error_type, coalesce(column_idx, -1)),
               arg_min(left(csv_line, 200), coalesce(column_idx, -1))
        FROM {rejects} GROUP BY line ORDER BY line LIMIT {cap}
        """
    ).fetchall()
    # DuckDB counts a record per line it reads (blank lines included); map to real lines.
    physical = lines_of_records(received.path, (line - 1 for line, _, _ in rows), count_blank=True)
    problems = []
    for line, error_type, csv_line in rows:
        message = _STRUCTURE_MESSAGES.get(str(error_type), f"is not valid CSV ({error_type})")
        problems.append(
            Problem(
                rule="csv_structure",
                message=f"line {message}",
                file=received.kind.value,
                filename=received.filename,
                line=physical.get(line - 1, line),
                value=(csv_line or "").strip()[:_SHOWN_VALUE_CHARS] or None,
            )
        )
    return problems, int(total)


def _list_problems(
    con: duckdb.DuckDBPyConnection,
    received: ReceivedFile,
    spec: FileSpec,
    layout: HeaderLayout,
    cap: int,
) -> list[Problem]:
    """The first ``cap`` problems in file order, with line numbers (the failure path)."""
    table = f"problems_{spec.kind.value}_{next(_counter)}"
    source = _read_csv(received.path, layout, rejects=None)
    with _dropping(con, table):
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT row_number() OVER () AS rn, * "
            f"FROM ({_trimmed(spec, layout, source, ascii_only=False, raw=True)})"
        )
        branches = []
        for order, col in enumerate(spec.columns):
            t, r = _ident("t_" + col.name), _ident("r_" + col.name)
            branches.append(
                f"SELECT rn, {order} AS ord, '{col.name}' AS col, {r} AS val, "
                f"rule, NULL::BIGINT AS first_rn FROM ("
                f"SELECT rn, {r}, {rule_sql(col.kind, t)} AS rule FROM {table}"
                ") WHERE rule IS NOT NULL"
            )
            if col.unique:
                branches.append(
                    f"""
                    SELECT rn, {order} AS ord, '{col.name}' AS col, {r} AS val,
                           'duplicate' AS rule, first_rn
                    FROM (
                        SELECT rn, {r}, min(rn) OVER (PARTITION BY {t}) AS first_rn
                        FROM {table}
                        WHERE {t} IN (
                            SELECT {t} FROM {table} WHERE {t} <> ''
                            GROUP BY {t} HAVING count(*) > 1
                        )
                    ) WHERE rn > first_rn
                    """
                )
        union = " UNION ALL ".join(branches)
        rows = con.execute(f"SELECT * FROM ({union}) ORDER BY rn, ord LIMIT {cap}").fetchall()
    ordinals = {r[0] for r in rows} | {r[5] for r in rows if r[5] is not None}
    lines = lines_of_records(received.path, ordinals)
    problems = []
    for rn, _, col, val, rule, first_rn in rows:
        if rule == "duplicate":
            first_line = lines.get(first_rn, "?")
            message = (
                f'{col} "{(val or "").strip()}" appears more than once (first on line {first_line})'
            )
        else:
            message = _problem_message(rule, col, val)
        problems.append(
            Problem(
                rule=rule,
                message=message,
                file=received.kind.value,
                filename=received.filename,
                line=lines.get(rn),
                column=col,
                value=None if val is None else val[:_SHOWN_VALUE_CHARS],
            )
        )
    return problems
