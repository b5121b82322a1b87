"""Benchmark data sets from the project's own generator, generated once and cached.

A set is named ``default`` (the generator's default: 2,000 patients, about 110k claims) or
by its claim count (``1m``, ``10m``, ``250k``, ``5000``). Each lives in
``<data_dir>/<name>-seed<seed>/`` with a manifest written last, so a half-generated set is
never reused.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from claims_recon import sampledata

MANIFEST = "manifest.json"
_SIZE = re.compile(r"^(\d+)([km]?)$")


@dataclass(frozen=True)
class DataSet:
    name: str
    claims_path: Path
    invoices_path: Path
    claims_rows: int
    invoices_rows: int
    bytes: int
    generated_s: float | None  # None when reused from the cache

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["claims_path"] = str(self.claims_path)
        data["invoices_path"] = str(self.invoices_path)
        return data


def sample_claim_ids(data: DataSet, count: int) -> list[str]:
    """Claim ids spread evenly through the claims file, found by seeking, not by reading it."""
    size = data.claims_path.stat().st_size
    ids: list[str] = []
    with data.claims_path.open("rb") as handle:
        handle.readline()  # the header
        body_start = handle.tell()
        for index in range(count):
            handle.seek(body_start + (size - body_start) * index // count)
            if index:
                handle.readline()  # the rest of a line entered in the middle
            line = handle.readline()
            if line.strip():
                ids.append(line.split(b",", 1)[0].decode())
    return list(dict.fromkeys(ids))


def claims_for(name: str) -> int | None:
    """The claim count a size name asks for; None means the generator's default."""
    if name == "default":
        return None
    match = _SIZE.match(name.lower())
    if not match:
        raise ValueError(f"unknown size {name!r}: use default, or a count such as 1m, 250k, 5000")
    number, unit = int(match.group(1)), match.group(2)
    return number * {"": 1, "k": 1_000, "m": 1_000_000}[unit]


def ensure(name: str, data_dir: Path, seed: int) -> DataSet:
    folder = data_dir / f"{name}-seed{seed}"
    cached = _cached(name, folder)
    if cached is not None:
        return cached
    claims = claims_for(name)
    started = time.perf_counter()
    kwargs = {} if claims is None else {"claims": claims}
    made = sampledata.generate(folder, seed=seed, **kwargs)
    generated_s = round(time.perf_counter() - started, 2)
    data = DataSet(
        name=name,
        claims_path=made.claims_path,
        invoices_path=made.invoices_path,
        claims_rows=made.claims_rows,
        invoices_rows=made.invoices_rows,
        bytes=made.claims_path.stat().st_size + made.invoices_path.stat().st_size,
        generated_s=generated_s,
    )
    (folder / MANIFEST).write_text(json.dumps(data.as_json(), indent=2))
    return data


def _cached(name: str, folder: Path) -> DataSet | None:
    try:
        saved = json.loads((folder / MANIFEST).read_text())
        # Names relative to the folder, so a moved cache still counts.
        claims = folder / sampledata.CLAIMS_FILE
        invoices = folder / sampledata.INVOICES_FILE
        size = claims.stat().st_size + invoices.stat().st_size
    except (OSError, ValueError, KeyError):
        return None
    if size != saved["bytes"]:
        return None
    return DataSet(
        name=name,
        claims_path=claims,
        invoices_path=invoices,
        claims_rows=int(saved["claims_rows"]),
        invoices_rows=int(saved["invoices_rows"]),
        bytes=size,
        generated_s=None,
    )
