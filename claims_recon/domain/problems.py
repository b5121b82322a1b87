"""One problem found in an input: where it is, what it is, and which rule it broke."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    rule: str
    message: str
    file: str | None = None  # "claims" / "invoices" for file problems
    filename: str | None = None
    line: int | None = None  # 1-based, as a person counts lines in the file
    column: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def located(self) -> str:
        """Compiler-style one-liner: ``claims.csv:17: charges_amount: message``."""
        parts = [self.filename or self.file or ""]
        if self.line is not None:
            parts.append(str(self.line))
        head = ":".join(p for p in parts if p)
        col = f" {self.column}:" if self.column else ""
        return f"{head}:{col} {self.message}" if head else f"{col} {self.message}".strip()
