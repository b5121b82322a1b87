"""Streaming multipart/form-data: file parts go to disk chunk by chunk as they arrive.

FastAPI's own form handling would spool each part into an anonymous temporary file that
DuckDB cannot open by name; here each part is written, hashed and checked in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from claims_recon.domain.problems import Problem
from claims_recon.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import FileReceiver, ReceivedFile

MAX_FIELD_BYTES = 1024
MAX_FILENAME_CHARS = 255
_FIELDS = {"tolerance_amount", "tolerance_percent"}


@dataclass
class UploadForm:
    files: dict[FileKind, ReceivedFile] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        for received in self.files.values():
            received.discard()


class _Collector:
    def __init__(self, limit: int, spool_dir: Path | None, max_rows: int | None) -> None:
        self.form = UploadForm()
        self._limit = limit
        self._max_rows = max_rows
        self._spool_dir = spool_dir
        self._headers: dict[bytes, bytes] = {}
        self._header_field = b""
        self._header_value = b""
        self._receiver: FileReceiver | None = None
        self._field_name: str | None = None
        self._field_value = bytearray()
        self._open: list[FileReceiver] = []
        self._unnamed = False

    def used(self) -> int:
        done = sum(f.size_bytes for f in self.form.files.values())
        return done + (self._receiver.size if self._receiver else 0)

    # python-multipart callbacks
    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = b""
        self._header_value = b""

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if disposition != b"form-data" or not name:
            raise InvalidRequest("each multipart part needs a form-data name")
        if name in (FileKind.CLAIMS.value, FileKind.INVOICES.value):
            kind = FileKind(name)
            if kind in self.form.files:
                raise InvalidRequest(f"the field {name!r} was sent more than once")
            raw_filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self._unnamed = not raw_filename
            filename = Path(raw_filename.replace("\\", "/")).name or f"{name}.csv"
            if len(filename) > MAX_FILENAME_CHARS:
                raise InvalidRequest(
                    f"the {name} file name is longer than {MAX_FILENAME_CHARS} characters"
                )
            self._receiver = FileReceiver(
                kind,
                filename,
                limit=self._limit,
                spool_dir=self._spool_dir,
                already_used=self.used(),
                max_rows=self._max_rows,
            )
            self._open.append(self._receiver)
            self._field_name = None
        elif name in _FIELDS:
            self._field_name = name
            self._field_value = bytearray()
        else:
            expected = "claims, invoices, " + ", ".join(sorted(_FIELDS))
            raise InvalidRequest(
                f"unexpected form field {name!r}; expected {expected}",
                details=[
                    Problem(
                        rule="unexpected_field",
                        message=f"expected one of {expected}",
                        column=name[:MAX_FIELD_BYTES],
                    )
                ],
            )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._receiver is not None:
            self._receiver.write(data[start:end])
        elif self._field_name is not None:
            self._field_value += data[start:end]
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise InvalidRequest(f"the field {self._field_name!r} is too long")

    def on_part_end(self) -> None:
        if self._receiver is not None:
            received = self._receiver.finish()
            self._open.remove(self._receiver)
            self._receiver = None
            if self._unnamed and received.size_bytes == 0:
                # A browser sends a file input left blank as an empty, unnamed part.
                received.discard()
                return
            self.form.files[received.kind] = received
        elif self._field_name is not None:
            self.form.fields[self._field_name] = self._field_value.decode("utf-8", "replace")
            self._field_name = None

    def abort(self) -> None:
        for receiver in self._open:
            receiver.abort()
        self.form.discard()


async def read_upload(
    request: Request, *, limit: int, spool_dir: Path | None, max_rows: int | None = None
) -> UploadForm:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UnsupportedMediaType(
            "send the files as multipart/form-data with fields 'claims' and 'invoices'"
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the upload is larger than the limit of {limit:,} bytes")
    collector = _Collector(limit, spool_dir, max_rows)
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": collector.on_part_begin,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:  # a malformed body
        collector.abort()
        raise InvalidRequest(f"the multipart body could not be parsed ({exc})") from None
    except BaseException:
        # Anything else (a full disk, say) is the server's failure, not a bad request: it
        # ends as the generic 500, and its text, which may quote the body, is not sent.
        collector.abort()
        raise
    if collector._open:
        collector.abort()
        raise InvalidRequest("the multipart body ended in the middle of a file")
    return collector.form
