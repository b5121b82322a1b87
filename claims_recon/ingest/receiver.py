"""Receiving a file's bytes as they arrive: to disk, hashed, size-limited, checked as text.

Every check here runs per chunk in C (hashing, byte search, the incremental UTF-8 decoder),
so a gigabyte streams through without Python touching individual rows.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from claims_recon.domain.problems import Problem
from claims_recon.errors import PayloadTooLarge
from claims_recon.ingest import spool
from claims_recon.ingest.columns import MAX_HEADER_BYTES, FileKind

READ_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A file that arrived completely; ``problem`` is set when it is not usable text."""

    kind: FileKind
    filename: str
    path: Path
    size_bytes: int
    sha256: str
    head: bytes  # the first bytes, enough to hold the header line
    problem: Problem | None
    owned: bool  # True when ``path`` is a spool file that must be deleted afterwards
    # What the whole file's bytes allow the loader to skip (the safe answers by default):
    # without any double quote no field is quoted, so no value holds a quote or a line
    # break; in pure ASCII the only space a trim can strip is ' '.
    has_quotes: bool = True
    ascii_only: bool = False
    # The spool file's open handle: it holds the file's lock, so no sweep takes it meanwhile.
    held: BinaryIO | None = field(default=None, compare=False, repr=False)

    def discard(self) -> None:
        if self.owned:
            self.path.unlink(missing_ok=True)
        if self.held is not None:
            self.held.close()


class FileReceiver:
    """Accumulates one file's chunks. Use ``write`` for each chunk, then ``finish``."""

    def __init__(
        self,
        kind: FileKind,
        filename: str,
        *,
        limit: int,
        spool_dir: Path | None,
        already_used: int = 0,
        max_rows: int | None = None,
    ) -> None:
        self.kind = kind
        self.filename = filename
        self._limit = limit
        self._max_rows = max_rows
        self._used_before = already_used
        self._hash = hashlib.sha256()
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._size = 0
        self._newlines = 0
        self._head = bytearray()
        self._problem: Problem | None = None
        self._pending_cr = False
        self._last_byte = b""
        self._has_quotes = False
        self._ascii_only = True
        fd, self.path = spool.create(spool_dir, f"{kind.value}-", ".csv")
        self._file: BinaryIO = os.fdopen(fd, "wb")

    @property
    def size(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self._used_before + self._size + len(chunk) > self._limit:
            self.abort()
            raise PayloadTooLarge(
                f"the upload is larger than the limit of {self._limit:,} bytes",
            )
        if len(self._head) < MAX_HEADER_BYTES:
            self._head += chunk[: MAX_HEADER_BYTES - len(self._head)]
        if self._problem is None:
            self._check_text(chunk)
        # Each a single pass in C, and skipped once decided.
        if not self._has_quotes and b'"' in chunk:
            self._has_quotes = True
        if self._ascii_only and not chunk.isascii():
            self._ascii_only = False
        self._hash.update(chunk)
        self._file.write(self._unify_newlines(chunk))
        self._size += len(chunk)
        self._last_byte = chunk[-1:]

    def _unify_newlines(self, chunk: bytes) -> bytes:
        """CRLF, lone CR (old Mac exports) and mixtures all become LF on disk.

        The hash covers the original bytes; line numbers stay those a person sees, because
        each original line break remains exactly one LF.
        """
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
            self._pending_cr = True
        if b"\r" not in chunk:
            return chunk
        return chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    def _check_text(self, chunk: bytes) -> None:
        nul = chunk.find(b"\x00")
        try:
            self._decoder.decode(chunk if nul < 0 else chunk[:nul])
        except UnicodeDecodeError as exc:
            self._fail(
                "encoding",
                f"is not UTF-8 text (byte 0x{chunk[exc.start]:02x} at byte offset "
                f"{self._size + exc.start:,}); save it as UTF-8 CSV",
                chunk[: exc.start],
            )
            return
        if nul >= 0:
            self._fail(
                "binary",
                "contains a NUL byte, so it is binary data, not a CSV text file",
                chunk[:nul],
            )
            return
        # Each CRLF, LF or lone CR is one line break (most files have no CR at all, and
        # counting them is the slowest scan here).
        self._newlines += chunk.count(b"\n")
        if b"\r" in chunk:
            self._newlines += chunk.count(b"\r") - chunk.count(b"\r\n")
        if self._last_byte == b"\r" and chunk.startswith(b"\n"):
            self._newlines -= 1  # a CRLF split between two chunks is still one break

    def _fail(self, rule: str, message: str, before: bytes) -> None:
        breaks = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n")
        line = self._newlines + breaks + 1
        self._problem = Problem(
            rule=rule, message=message, file=self.kind.value, filename=self.filename, line=line
        )

    def finish(self) -> ReceivedFile:
        if self._pending_cr:
            self._file.write(b"\n")
        self._file.flush()  # complete on disk for the engine; kept open, so still locked
        problem = self._problem
        if problem is None:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self._fail("encoding", "ends in the middle of a UTF-8 character", b"")
                problem = self._problem
        if problem is None and self._size == 0:
            problem = Problem(
                rule="empty_file",
                message="is empty; expected a header line and at least one row",
                file=self.kind.value,
                filename=self.filename,
            )
        # Each data row needs a line of its own, so this bound is known before any parsing.
        lines = self._newlines + (0 if self._last_byte in (b"\n", b"\r") else 1)
        if problem is None and self._max_rows is not None and lines - 1 > self._max_rows:
            problem = Problem(
                rule="too_many_rows",
                message=f"has {lines - 1:,} lines after the header; at most "
                f"{self._max_rows:,} rows are accepted per file",
                file=self.kind.value,
                filename=self.filename,
            )
        return ReceivedFile(
            kind=self.kind,
            filename=self.filename,
            path=self.path,
            size_bytes=self._size,
            sha256=self._hash.hexdigest(),
            head=bytes(self._head),
            problem=problem,
            owned=True,
            has_quotes=self._has_quotes,
            ascii_only=self._ascii_only,
            held=self._file,
        )

    def abort(self) -> None:
        self.path.unlink(missing_ok=True)
        self._file.close()


def receive_stream(
    kind: FileKind,
    filename: str,
    stream: BinaryIO,
    *,
    limit: int,
    spool_dir: Path | None,
    max_rows: int | None = None,
) -> ReceivedFile:
    """Spool a readable binary stream (used by the CLI and tests; the API feeds chunks)."""
    receiver = FileReceiver(kind, filename, limit=limit, spool_dir=spool_dir, max_rows=max_rows)
    try:
        while chunk := stream.read(READ_CHUNK):
            receiver.write(chunk)
    except BaseException:
        receiver.abort()
        raise
    return receiver.finish()
