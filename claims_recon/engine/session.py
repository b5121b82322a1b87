"""The small surface a store's SQL runs through, the same for every engine.

SQL in this package names its parameters ``$name`` (DuckDB's own style); a session for
another driver converts them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Result(Protocol):
    description: Sequence[Sequence[Any]] | None

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Session(Protocol):
    def execute(self, sql: str, params: Mapping[str, object] | None = None) -> Result: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Commit on success, roll back on any exception (which propagates)."""
