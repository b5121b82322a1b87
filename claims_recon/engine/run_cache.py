"""Rows of runs already read, kept in memory by a store that is its file's only writer.

Every request about a run first reads the run's row (its datasets, tolerance and stored
summary): on DuckDB one more statement, about half a millisecond of planning and
execution. Runs never change once committed, so a row read once stays true until its run
is deleted. A deletion moves the generation on after it commits, and a row read before
that (perhaps of the run just deleted) is only kept if no deletion came in between.

Only for a store whose deletions all go through this process: DuckDB holds its file
exclusively. PostgreSQL replicas delete each other's runs, so they read the row each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

MAX_RUNS = 1024


class RunCache:
    def __init__(self, max_runs: int = MAX_RUNS) -> None:
        self._max_runs = max_runs
        self._rows: OrderedDict[int, tuple[Any, ...]] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    @property
    def generation(self) -> int:
        """Take this before reading a row, and hand it to ``put`` with the row."""
        return self._generation

    def get(self, run_id: int) -> tuple[Any, ...] | None:
        with self._lock:
            row = self._rows.get(run_id)
            if row is not None:
                self._rows.move_to_end(run_id)
            return row

    def put(self, run_id: int, row: tuple[Any, ...], generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return  # a deletion committed while the row was being read
            self._rows[run_id] = row
            self._rows.move_to_end(run_id)
            while len(self._rows) > self._max_runs:
                self._rows.popitem(last=False)

    def forget(self, run_id: int) -> None:
        """After a deletion (committed or not): drop the run, and refuse older reads."""
        with self._lock:
            self._generation += 1
            self._rows.pop(run_id, None)
