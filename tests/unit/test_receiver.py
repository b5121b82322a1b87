"""Receiving bytes: hashing, limits, text checks and newline handling, before any parsing."""

from __future__ import annotations

import hashlib
import io

import pytest

from claims_recon.errors import PayloadTooLarge
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import FileReceiver, receive_stream


def _receive(data: bytes, tmp_path, **options):
    return receive_stream(
        FileKind.CLAIMS, "c.csv", io.BytesIO(data), limit=options.pop("limit", 10**6),
        spool_dir=tmp_path, **options,
    )  # fmt: skip


def test_hash_and_size_are_of_the_bytes_sent(tmp_path):
    data = b"a,b\r\n1,2\r\n"
    received = _receive(data, tmp_path)
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert received.size_bytes == len(data)
    assert received.path.read_bytes() == b"a,b\n1,2\n"  # line breaks unified on disk


def test_old_mac_and_mixed_line_breaks_become_lf(tmp_path):
    received = _receive(b"a\rb\r\nc\nd\r", tmp_path)
    assert received.path.read_bytes() == b"a\nb\nc\nd\n"


def test_cr_split_across_chunks_is_one_break(tmp_path):
    receiver = FileReceiver(FileKind.CLAIMS, "c.csv", limit=100, spool_dir=tmp_path)
    receiver.write(b"a\r")
    receiver.write(b"\nb")
    assert receiver.finish().path.read_bytes() == b"a\nb"


@pytest.mark.parametrize(
    ("data", "rule", "line"),
    [
        (b"", "empty_file", None),
        (b"a,b\n\xe9t\xe9\n", "encoding", 2),
        (b"a,b\n1,2\n\x00\x01", "binary", 3),
        (b"a,b\n1,\xe2\x82", "encoding", None),  # ends inside a character
    ],
)
def test_unusable_content(tmp_path, data, rule, line):
    problem = _receive(data, tmp_path).problem
    assert problem is not None and problem.rule == rule
    if line is not None:
        assert problem.line == line


@pytest.mark.parametrize(
    ("data", "too_many"),
    [(b"h\n1\n2\n", False), (b"h\n1\n2", False), (b"h\n1\n2\n3\n", True), (b"h\n1\n2\n3", True)],
)
def test_row_limit_counts_lines_after_the_header(tmp_path, data, too_many):
    problem = _receive(data, tmp_path, max_rows=2).problem
    assert (problem is not None and problem.rule == "too_many_rows") is too_many


def test_size_limit_stops_early_and_leaves_no_file(tmp_path):
    receiver = FileReceiver(FileKind.CLAIMS, "c.csv", limit=10, spool_dir=tmp_path)
    receiver.write(b"12345")
    with pytest.raises(PayloadTooLarge):
        receiver.write(b"678901")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("split", range(1, 12))
def test_crlf_split_between_chunks_is_one_line_break(tmp_path, split):
    data = b"h\r\n1\r\n2\r\n"  # two rows, whatever the chunking
    receiver = FileReceiver(FileKind.CLAIMS, "c.csv", limit=100, spool_dir=tmp_path, max_rows=2)
    receiver.write(data[:split])
    receiver.write(data[split:])
    received = receiver.finish()
    assert received.problem is None
    assert received.path.read_bytes() == b"h\n1\n2\n"
    received.discard()


@pytest.mark.parametrize(
    ("chunks", "has_quotes", "ascii_only"),
    [
        ([b"a,b\n1,2\n"], False, True),
        ([b'a,b\n"1",2\n'], True, True),
        ([b"a,b\n", b"1,\xc2\xa02\n"], False, False),
        ([b"a,b\n1,2\n", b'3,"x"\n', b"\xe2\x80\x83"], True, False),
    ],
)
def test_quotes_and_non_ascii_anywhere_in_the_file_are_noticed(
    tmp_path, chunks, has_quotes, ascii_only
):
    receiver = FileReceiver(FileKind.CLAIMS, "c.csv", limit=100, spool_dir=tmp_path)
    for chunk in chunks:
        receiver.write(chunk)
    received = receiver.finish()
    assert (received.has_quotes, received.ascii_only) == (has_quotes, ascii_only)
