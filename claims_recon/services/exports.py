"""Streamed exports of a result view: CSV, XLSX and Parquet from Arrow batches.

CSV streams batch by batch. XLSX and Parquet are container formats written to a temporary
file first (bounded memory), then streamed and deleted.

Text cells that a spreadsheet would run as a formula (starting with = + - @ tab CR LF) are
prefixed with an apostrophe; amounts stay numbers, so a refund of -50.00 is still -50.00.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import xlsxwriter

from claims_recon.domain.query import Page, ResultFilter, Sort
from claims_recon.engine.base import BatchStream, Store
from claims_recon.errors import ExportTooLarge
from claims_recon.ingest import spool

XLSX_MAX_ROWS = 1_048_575  # one row of the sheet's 1,048,576 is the header
STREAM_CHUNK = 1024 * 1024
_FORMULA_START = r"^[=+\-@\t\r\n]"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return {
            ExportFormat.CSV: "text/csv; charset=utf-8",
            ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat.PARQUET: "application/vnd.apache.parquet",
        }[self]


def neutralise_formulas(batch: pa.RecordBatch) -> pa.RecordBatch:
    columns = []
    for column in batch.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.fill_null(pc.match_substring_regex(column, _FORMULA_START), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def export_results(
    store: Store,
    run_id: int,
    filt: ResultFilter,
    sort: Sort,
    fmt: ExportFormat,
    *,
    spool_dir: Path | None,
) -> Iterator[bytes]:
    """The bytes of one filtered, sorted result view in ``fmt``."""
    if fmt is ExportFormat.XLSX:
        _check_fits_sheet(store.count_results(run_id, filt))
    return stream_export(store.export_results(run_id, filt, sort), fmt, spool_dir=spool_dir)


def export_orphans(
    store: Store, run_id: int, fmt: ExportFormat, *, spool_dir: Path | None
) -> Iterator[bytes]:
    if fmt is ExportFormat.XLSX:
        _check_fits_sheet(store.orphans(run_id, Page(0, 1)).total)
    return stream_export(store.export_orphans(run_id), fmt, spool_dir=spool_dir)


def _check_fits_sheet(rows: int) -> None:
    if rows > XLSX_MAX_ROWS:
        raise ExportTooLarge(
            f"{rows:,} rows do not fit in one Excel sheet ({XLSX_MAX_ROWS:,} at most); "
            "export as CSV or Parquet, or filter the view"
        )


def stream_export(
    stream: BatchStream, fmt: ExportFormat, *, spool_dir: Path | None
) -> Iterator[bytes]:
    batches = _never_empty(stream)
    if fmt is ExportFormat.CSV:
        return _csv(batches)
    writer = _write_xlsx if fmt is ExportFormat.XLSX else _write_parquet
    return _via_file(batches, writer, spool_dir)


def _never_empty(stream: BatchStream) -> Iterator[pa.RecordBatch]:
    """At least one (maybe empty) batch, so every format still carries its header."""
    empty = True
    for batch in stream.batches:
        empty = False
        yield batch
    if empty:
        yield pa.RecordBatch.from_pylist([], schema=stream.schema)


def _csv(batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
    header = True
    for batch in batches:
        buffer = io.BytesIO()
        options = pacsv.WriteOptions(include_header=header, quoting_style="needed")
        pacsv.write_csv(neutralise_formulas(batch), buffer, write_options=options)
        header = False
        yield buffer.getvalue()


def _via_file(batches, writer, spool_dir: Path | None) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    # The descriptor holds the file's lock (no sweep takes it) while the writer fills the
    # file by its path and the response streams it.
    fd, path = spool.create(spool_dir, "export-")
    try:
        writer(batches, path)
        with path.open("rb") as handle:
            while chunk := handle.read(STREAM_CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _write_parquet(batches: Iterator[pa.RecordBatch], path: Path) -> None:
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches:
            if writer is None:
                writer = pq.ParquetWriter(path, batch.schema, compression="zstd")
            writer.write_batch(batch)
    finally:
        if writer is not None:
            writer.close()


def _write_xlsx(batches: Iterator[pa.RecordBatch], path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet("results")
        money = workbook.add_format({"num_format": "#,##0.00"})
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        bold = workbook.add_format({"bold": True})
        row_index = 0
        for batch in batches:
            batch = neutralise_formulas(batch)
            if row_index == 0:
                sheet.write_row(0, 0, batch.schema.names, bold)
                sheet.freeze_panes(1, 0)
                row_index = 1
            kinds = [_cell_kind(f.type) for f in batch.schema]
            # xlsxwriter is a cell writer; this loop is inherent to the format.
            for record in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                for col, (value, kind) in enumerate(zip(record, kinds, strict=True)):
                    if value is None:
                        continue
                    if kind == "money":
                        sheet.write_number(row_index, col, float(value), money)
                    elif kind == "date":
                        sheet.write_datetime(row_index, col, value, date)
                    elif kind == "number":
                        sheet.write_number(row_index, col, value)
                    elif kind == "bool":
                        sheet.write_boolean(row_index, col, value)
                    else:
                        sheet.write_string(row_index, col, value)
                row_index += 1
    finally:
        workbook.close()


def _cell_kind(dtype: pa.DataType) -> str:
    if pa.types.is_decimal(dtype):
        return "money"
    if pa.types.is_date(dtype):
        return "date"
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        return "number"
    if pa.types.is_boolean(dtype):
        return "bool"
    return "text"
