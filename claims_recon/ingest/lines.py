"""Physical line numbers for CSV records, found by a vectorised scan of the raw bytes.

The engine numbers data records 1, 2, 3 … in file order (blank lines skipped, the header
is record 0). People count lines in an editor, where a quoted field may span several lines
and blank lines count too. Only rows with problems need a line number, so this runs on the
error path alone, in bounded memory, a chunk at a time.

A newline ends a record when an even number of double quotes precedes it (RFC 4180
escapes a quote by doubling it, which keeps the parity).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

_NL, _CR, _QUOTE = 10, 13, 34
CHUNK_BYTES = 32 * 1024 * 1024


def lines_of_records(
    path: Path,
    ordinals: Iterable[int],
    *,
    count_blank: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
) -> dict[int, int]:
    """Map record ordinals (header = 0) to the 1-based line on which each record starts.

    With ``count_blank`` blank lines count as records too (DuckDB's numbering of rejects).
    """
    wanted = np.unique(np.fromiter(ordinals, dtype=np.int64))
    found: dict[int, int] = {}
    if wanted.size == 0:
        return found
    quote_parity = 0
    newlines_before = 0
    offset = 0
    record_start = 0
    record_start_line = 1
    last_ordinal = -1  # ordinal of the last complete non-blank record
    last_byte = -1
    next_wanted = 0
    with path.open("rb") as handle:
        while next_wanted < wanted.size and (chunk := handle.read(chunk_bytes)):
            data = np.frombuffer(chunk, dtype=np.uint8)
            newlines = np.flatnonzero(data == _NL)
            quotes = np.flatnonzero(data == _QUOTE)
            parity = (np.searchsorted(quotes, newlines) + quote_parity) % 2
            is_end = parity == 0
            ends = newlines[is_end]
            if ends.size:
                end_line_index = np.flatnonzero(is_end) + newlines_before
                ends_global = ends + offset
                starts = np.concatenate(([record_start], ends_global[:-1] + 1))
                start_lines = np.concatenate(([record_start_line], end_line_index[:-1] + 2))
                before_end = np.where(ends > 0, data[np.maximum(ends - 1, 0)], last_byte)
                lengths = ends_global - starts
                blank = (lengths == 0) | ((lengths == 1) & (before_end == _CR))
                if count_blank:
                    blank[:] = False
                kept = np.flatnonzero(~blank)
                first, last = last_ordinal + 1, last_ordinal + kept.size
                hits_end = np.searchsorted(wanted, last, side="right")
                for target in wanted[next_wanted:hits_end]:
                    found[int(target)] = int(start_lines[kept[target - first]])
                next_wanted = int(hits_end)
                last_ordinal = last
                record_start = int(ends_global[-1]) + 1
                record_start_line = int(end_line_index[-1]) + 2
            quote_parity = int((quote_parity + quotes.size) % 2)
            newlines_before += int(newlines.size)
            offset += len(chunk)
            last_byte = int(data[-1])
    # A last record without a trailing newline.
    if (
        next_wanted < wanted.size
        and record_start < offset
        and int(wanted[next_wanted]) == last_ordinal + 1
    ):
        found[int(wanted[next_wanted])] = record_start_line
    return found
