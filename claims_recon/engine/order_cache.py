"""Remembered orderings of a run's results, so deep pages need no sort.

A page deep in a sorted or filtered view would make the engine sort (or count through)
every matching row on each request: hundreds of milliseconds for a million claims. The
first deep request of a view therefore fetches the ``seq`` of every matching row, in
order, as one integer array; later pages of that view are slices of it. Runs never change
after they are written, so an ordering stays true until its run is deleted. Memory is
bounded by a byte budget, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

MAX_COUNTS = 4096


class OrderCache:
    """Orderings (arrays of ``seq``) and row counts of views, per run."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, Hashable], np.ndarray] = OrderedDict()
        self._counts: OrderedDict[tuple[int, Hashable], int] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, run_id: int, view: Hashable) -> np.ndarray | None:
        with self._lock:
            order = self._entries.get((run_id, view))
            if order is not None:
                self._entries.move_to_end((run_id, view))
            return order

    def put(self, run_id: int, view: Hashable, order: np.ndarray) -> None:
        if order.nbytes > self._max_bytes:
            return
        with self._lock:
            old = self._entries.pop((run_id, view), None)
            if old is not None:
                self._bytes -= old.nbytes
            self._entries[(run_id, view)] = order
            self._bytes += order.nbytes
            while self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    def count(self, run_id: int, view: Hashable) -> int | None:
        with self._lock:
            return self._counts.get((run_id, view))

    def put_count(self, run_id: int, view: Hashable, count: int) -> None:
        with self._lock:
            self._counts[(run_id, view)] = count
            self._counts.move_to_end((run_id, view))
            while len(self._counts) > MAX_COUNTS:
                self._counts.popitem(last=False)

    def forget_run(self, run_id: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == run_id]:
                self._bytes -= self._entries.pop(key).nbytes
            for key in [k for k in self._counts if k[0] == run_id]:
                del self._counts[key]
