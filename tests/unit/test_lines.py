"""Record ordinals map to the lines a person sees in an editor."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from claims_recon.ingest.lines import lines_of_records


def _write(tmp_path, data: bytes):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    return path


def test_blank_lines_and_multiline_fields(tmp_path):
    path = _write(tmp_path, b'h1,h2\na,1\n\n"b\nx",2\nc,3\n\n\nd,4')
    assert lines_of_records(path, [1, 2, 3, 4]) == {1: 2, 2: 4, 3: 6, 4: 9}


def test_tiny_chunks_give_the_same_answer(tmp_path):
    path = _write(tmp_path, b'h1,h2\na,1\n\n"b\n""x""\n",2\nc,3\n\n\nd,4\n')
    expected = lines_of_records(path, [1, 2, 3, 4])
    for size in (1, 2, 3, 5, 7):
        assert lines_of_records(path, [1, 2, 3, 4], chunk_bytes=size) == expected
    assert expected == {1: 2, 2: 4, 3: 7, 4: 10}


def test_counting_blank_lines_as_records(tmp_path):
    path = _write(tmp_path, b"h\na\n\nb\n")
    assert lines_of_records(path, [1, 2, 3], count_blank=True) == {1: 2, 2: 3, 3: 4}


def test_no_ordinals_reads_nothing(tmp_path):
    assert lines_of_records(tmp_path / "missing.csv", []) == {}


field = st.text(alphabet='ab,"\n', max_size=6)
row = st.lists(field, min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(row, st.integers(min_value=0, max_value=2)), min_size=1, max_size=12))
def test_agrees_with_the_csv_module(tmp_path_factory, rows):
    """Python's csv module knows the physical line of each record; so must we."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["header"])
    for values, blanks in rows:
        writer.writerow(values)
        buffer.write("\n" * blanks)
    text = buffer.getvalue()
    path = tmp_path_factory.mktemp("lines") / "f.csv"
    path.write_text(text, newline="")

    expected: dict[int, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    ordinal, start_line = -1, 1
    for record in reader:
        if record:  # the csv module yields [] for a blank line
            ordinal += 1
            expected[ordinal] = start_line
        start_line = reader.line_num + 1
    assert lines_of_records(path, expected.keys(), chunk_bytes=4) == expected
