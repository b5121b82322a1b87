"""Parse and validate an uploaded CSV inside DuckDB, set-based, into a temporary table.

One pass of DuckDB's CSV reader fills a temp table with, per required column, the raw text,
the typed value and the name of the rule it breaks (NULL when fine). Validation is then a
few column scans; loading is an INSERT … SELECT of the typed columns. Structural faults
(wrong number of fields, unterminated quotes, over-long lines) come from DuckDB's reject
tables. Line numbers are computed only for the problems reported.
"""

from __future__ import annotations

import itertools
import re
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
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class StagedFile:
    received: ReceivedFile
    spec: FileSpec
    table: str  # temp table with typed columns named as in the spec
    rows: int
    warnings: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class StageOutcome:
    staged: StagedFile | None
    problems: list[Problem]
    total: int  # all problems found, of which ``problems`` lists at most the cap


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _column_sql(kind: ValueKind, raw: str) -> tuple[str, str]:
    """(typed value expression, rule expression) for one raw VARCHAR column."""
    trimmed = f"trim({raw})"
    empty = f"({raw} IS NULL OR {trimmed} = '')"
    if kind is ValueKind.ID:
        value = f"nullif({trimmed}, '')"
        rule = (
            f"CASE WHEN {empty} THEN 'required' "
            f"WHEN length({trimmed}) > {MAX_ID_LENGTH} THEN 'too_long' "
            f"WHEN regexp_matches({trimmed}, '[\"\\r\\n]') THEN 'id_chars' END"
        )
        return value, rule
    if kind is ValueKind.DATE:
        value = (
            f"CASE WHEN regexp_full_match({trimmed}, '{_DATE_SHAPE}') "
            f"THEN TRY_CAST({trimmed} AS DATE) END"
        )
        rule = f"CASE WHEN {empty} THEN 'required' WHEN ({value}) IS NULL THEN 'date' END"
        return value, rule
    cleaned = (
        f"CASE WHEN starts_with({trimmed}, '(') "
        f"THEN '-' || translate({trimmed}, '()$,', '') "
        f"ELSE translate({trimmed}, '$,', '') END"
    )
    value = (
        f"CASE WHEN regexp_full_match({trimmed}, {_sql_text(AMOUNT_PATTERN)}) "
        f"THEN TRY_CAST({cleaned} AS DECIMAL(18,2)) END"
    )
    rule = f"CASE WHEN {empty} THEN 'required' WHEN ({value}) IS NULL THEN 'amount' END"
    return value, rule


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


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    received: ReceivedFile,
    spec: FileSpec,
    *,
    max_problems: int,
) -> StageOutcome:
    """Read ``received`` into a temp table, or explain every problem (up to the cap)."""
    where = {"file": spec.kind.value, "filename": received.filename}
    if received.problem is not None:
        return StageOutcome(None, [received.problem], 1)
    layout, problems, warnings = parse_header(
        spec, received.filename, read_header_line(received.head)
    )
    if problems:
        return StageOutcome(None, problems[:max_problems], len(problems))

    suffix = next(_counter)
    table = f"stage_{spec.kind.value}_{suffix}"
    rejects = f"rejects_{spec.kind.value}_{suffix}"
    try:
        _create_stage(con, received.path, spec, layout, table, rejects)
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        problem = Problem(rule="csv", message=f"could not be read as CSV ({first_line})", **where)
        return StageOutcome(None, [problem], 1)

    structural, structural_total = _structure_problems(con, received, rejects, max_problems)
    con.execute(f"DROP TABLE IF EXISTS {rejects}")
    con.execute(f"DROP TABLE IF EXISTS {rejects}_scan")
    if structural_total:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return StageOutcome(None, structural, structural_total)

    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if rows == 0:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        problem = Problem(rule="no_rows", message="has a header but no data rows", line=1, **where)
        return StageOutcome(None, [problem], 1)

    found, total = _value_problems(con, received, spec, table, max_problems)
    if total:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return StageOutcome(None, found, total)
    staged = StagedFile(received, spec, table, rows, tuple(warnings))
    return StageOutcome(staged, [], 0)


def _create_stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: FileSpec,
    layout: HeaderLayout,
    table: str,
    rejects: str,
) -> None:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(layout.names))) + "}"
    select = ["row_number() OVER () AS rn"]
    for col in spec.columns:
        raw = f"c{layout.positions[col.name]}"
        value, rule = _column_sql(col.kind, raw)
        name = _quote_ident(col.name)
        select.append(f"{raw} AS {_quote_ident(col.name + '__raw')}")
        select.append(f"{value} AS {name}")
        select.append(f"{rule} AS {_quote_ident(col.name + '__rule')}")
    con.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        SELECT {", ".join(select)}
        FROM read_csv(
            $path, header = true, auto_detect = false, delim = ',', quote = '"',
            escape = '"', new_line = '\\n', columns = {columns}, strict_mode = true,
            store_rejects = true, rejects_table = '{rejects}',
            rejects_scan = '{rejects}_scan', max_line_size = {MAX_LINE_BYTES}
        )
        """,
        {"path": str(path)},
    )


def _structure_problems(
    con: duckdb.DuckDBPyConnection, received: ReceivedFile, rejects: str, cap: int
) -> tuple[list[Problem], int]:
    # DuckDB reports one reject row per missing field; a person wants one per line.
    total = con.execute(f"SELECT count(DISTINCT line) FROM {rejects}").fetchone()[0]
    if not total:
        return [], 0
    rows = con.execute(
        f"""
        SELECT line, arg_min(error_type, column_idx), arg_min(left(csv_line, 200), column_idx)
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


def _value_problems(
    con: duckdb.DuckDBPyConnection,
    received: ReceivedFile,
    spec: FileSpec,
    table: str,
    cap: int,
) -> tuple[list[Problem], int]:
    branches = []
    for order, col in enumerate(spec.columns):
        raw = _quote_ident(col.name + "__raw")
        rule = _quote_ident(col.name + "__rule")
        branches.append(
            f"SELECT rn, {order} AS ord, '{col.name}' AS col, {raw} AS val, {rule} AS rule, "
            f"NULL::BIGINT AS first_rn FROM {table} WHERE {rule} IS NOT NULL"
        )
        if col.unique:
            name = _quote_ident(col.name)
            branches.append(
                f"""
                SELECT rn, {order} AS ord, '{col.name}' AS col, {raw} AS val,
                       'duplicate' AS rule, first_rn
                FROM (
                    SELECT rn, {raw}, min(rn) OVER (PARTITION BY {name}) AS first_rn
                    FROM {table}
                    WHERE {name} IN (
                        SELECT {name} FROM {table} WHERE {name} IS NOT NULL
                        GROUP BY {name} HAVING count(*) > 1
                    )
                ) WHERE rn > first_rn
                """
            )
    union = " UNION ALL ".join(branches)
    total = con.execute(f"SELECT count(*) FROM ({union})").fetchone()[0]
    if not total:
        return [], 0
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
    return problems, int(total)
