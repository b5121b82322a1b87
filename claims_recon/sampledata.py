"""Deterministic, vectorised sample data: claims.csv, invoices.csv and patients.csv.

Every random draw comes from one ``numpy`` generator tree seeded by ``seed``, every row is built
with array operations and every CSV line with Arrow string kernels, so ten million claims take
seconds rather than hours and the same options always give byte-identical files.

Money is integer cents from the first draw to the written text; Arrow's decimal formatting turns
cents into ``1250.00`` without a float ever touching an amount.

Rows are produced in chunks so that memory stays bounded whatever the requested size. Each claims
chunk draws from its own child seed, so the bytes do not depend on thread timing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CLAIMS_HEADER = ("claim_id", "patient_id", "date_of_service", "charges_amount")
INVOICES_HEADER = ("invoice_id", "claim_id", "transaction_value")
PATIENTS_HEADER = ("patient_id", "first_name", "last_name", "date_of_birth")

CLAIMS_FILE = "claims.csv"
INVOICES_FILE = "invoices.csv"
PATIENTS_FILE = "patients.csv"

DEFAULT_PATIENTS = 2000
DEFAULT_SEED = 42
# A claim split into more payments than this stops looking like billing data, and every payment
# must still get at least one cent of the smallest possible underpayment (50.00 / 10).
MAX_INVOICES_LIMIT = 100

# Bounds the memory of one chunk (about 250k claims and 625k invoices with the defaults); larger
# chunks are no faster, only bigger. Changing these changes the data a given seed produces.
CHUNK_CLAIMS = 250_000
CHUNK_INVOICES = 1_250_000

MIN_CHARGES_CENTS = 5_000
MAX_CHARGES_CENTS = 500_000
SERVICE_FIRST = date(2023, 1, 1)
SERVICE_LAST = date(2024, 12, 31)
BIRTH_FIRST = date(1930, 1, 1)
BIRTH_LAST = date(2022, 12, 31)

BALANCED_SHARE = 0.25  # of all claims
UNDERPAID_SHARE = 0.5  # of the claims with invoices that are not balanced
REFUND_SHARE = 0.05  # of the claims with two or more invoices

# Minimum digits per id, so that the default data set looks like P000123 / C00001234 / I000004567.
PATIENT_ID_DIGITS = 6
CLAIM_ID_DIGITS = 8
INVOICE_ID_DIGITS = 9

BAD_DATES = ("2023-02-30", "2023-02-29", "2024-04-31", "2023-06-31", "2024-02-30")
BAD_AMOUNTS = ("12,x", "abc", "1.2.3", "12.5O")

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra",
    "Maria", "Wei", "Aisha", "Mohammed", "Priya", "Carlos", "Sofia", "Hiroshi", "Olga", "Kwame",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Clark", "Nguyen", "Kim",
    "Patel", "Chen", "Okafor", "Kowalski", "Schmidt", "Rossi", "Tanaka", "Ivanova", "O'Brien",
)  # fmt: skip

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class GeneratedFiles:
    """Where the three files were written and how many data rows (header excluded) each has."""

    claims_path: Path
    invoices_path: Path
    patients_path: Path
    claims_rows: int
    invoices_rows: int
    patients_rows: int


@dataclass(frozen=True)
class _Layout:
    """Sizes fixed before the first row is written: id widths must hold for every chunk."""

    claim_ends: np.ndarray  # cumulative claims per patient; patient p owns [ends[p-1], ends[p])
    max_invoices: int
    orphans: int
    patient_digits: int
    claim_digits: int
    invoice_digits: int

    @property
    def patients(self) -> int:
        return len(self.claim_ends)

    @property
    def claims(self) -> int:
        return int(self.claim_ends[-1]) if len(self.claim_ends) else 0

    @property
    def chunk_claims(self) -> int:
        return max(1, min(CHUNK_CLAIMS, CHUNK_INVOICES // max(1, self.max_invoices)))


@dataclass(frozen=True)
class _Anomalies:
    """Injected defects, drawn up front so that chunking cannot change which rows get them."""

    duplicate_sources: np.ndarray  # claim index per extra row, in output order
    malformed_rows: np.ndarray  # sorted claim indices
    malformed_columns: np.ndarray  # index into CLAIMS_HEADER of the broken value
    malformed_values: np.ndarray  # CSV-ready text (already quoted where needed)
    orphan_cents: np.ndarray


@dataclass(frozen=True)
class _Payments:
    """Invoices of one chunk, grouped by claim in claim order."""

    owner: np.ndarray  # chunk-local claim index of each invoice
    cents: np.ndarray


def generate(
    out_dir: Path | str,
    *,
    patients: int | None = None,
    min_claims: int = 10,
    max_claims: int = 100,
    claims: int | None = None,
    max_invoices: int = 5,
    seed: int = DEFAULT_SEED,
    orphans: int = 0,
    duplicates: int = 0,
    malformed: int = 0,
) -> GeneratedFiles:
    """Write claims.csv, invoices.csv and patients.csv into ``out_dir``.

    ``patients`` (default 2000) each get a uniform ``min_claims``..``max_claims`` claims; pass
    ``claims`` instead to get exactly that many claims, with as many patients as it takes.
    ``orphans``, ``duplicates`` and ``malformed`` inject exactly that many defective rows.
    Files appear only once complete, so a failed run never leaves half-written data behind.
    """
    _check_options(
        patients=patients,
        min_claims=min_claims,
        max_claims=max_claims,
        claims=claims,
        max_invoices=max_invoices,
        seed=seed,
        orphans=orphans,
        duplicates=duplicates,
        malformed=malformed,
    )
    plan_seed, patients_seed, anomalies_seed, chunks_seed = np.random.SeedSequence(seed).spawn(4)
    per_patient = _claims_per_patient(
        np.random.default_rng(plan_seed),
        patients=DEFAULT_PATIENTS if patients is None and claims is None else patients,
        min_claims=min_claims,
        max_claims=max_claims,
        claims=claims,
    )
    layout = _layout(per_patient, max_invoices=max_invoices, orphans=orphans)
    if duplicates + malformed > layout.claims:
        raise ValueError(
            f"duplicates + malformed ({duplicates + malformed}) cannot exceed the number of "
            f"claims ({layout.claims}): each needs a distinct claim to copy or break"
        )
    anomalies = _draw_anomalies(
        np.random.default_rng(anomalies_seed),
        claims=layout.claims,
        duplicates=duplicates,
        malformed=malformed,
        orphans=orphans,
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / CLAIMS_FILE, out / INVOICES_FILE, out / PATIENTS_FILE)
    with _staged(paths) as (claims_file, invoices_file, patients_file):
        _write_patients(patients_file, np.random.default_rng(patients_seed), layout)
        invoice_rows = _write_claims_and_invoices(
            claims_file, invoices_file, chunks_seed, layout, anomalies
        )
    return GeneratedFiles(
        claims_path=paths[0],
        invoices_path=paths[1],
        patients_path=paths[2],
        claims_rows=layout.claims + duplicates,
        invoices_rows=invoice_rows,
        patients_rows=layout.patients,
    )


def _check_options(
    *,
    patients: int | None,
    min_claims: int,
    max_claims: int,
    claims: int | None,
    max_invoices: int,
    seed: int,
    orphans: int,
    duplicates: int,
    malformed: int,
) -> None:
    counts = {
        "patients": patients,
        "min_claims": min_claims,
        "max_claims": max_claims,
        "claims": claims,
        "max_invoices": max_invoices,
        "seed": seed,
        "orphans": orphans,
        "duplicates": duplicates,
        "malformed": malformed,
    }
    for name, value in counts.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be zero or more, got {value}")
    if patients is not None and claims is not None:
        raise ValueError("give either patients or claims, not both: claims sizes the patients")
    if min_claims > max_claims:
        raise ValueError(f"min_claims ({min_claims}) is greater than max_claims ({max_claims})")
    if claims and max_claims == 0:
        raise ValueError(f"claims={claims} needs max_claims of at least 1")
    if max_invoices > MAX_INVOICES_LIMIT:
        raise ValueError(f"max_invoices must be at most {MAX_INVOICES_LIMIT}, got {max_invoices}")


def _claims_per_patient(
    rng: np.random.Generator,
    *,
    patients: int | None,
    min_claims: int,
    max_claims: int,
    claims: int | None,
) -> np.ndarray:
    if claims is None:
        return rng.integers(min_claims, max_claims, size=patients or 0, endpoint=True)
    if claims == 0:
        return np.zeros(0, dtype=np.int64)
    mean = max((min_claims + max_claims) / 2, 0.5)
    drawn: list[np.ndarray] = []
    total = 0
    while total < claims:
        # Sized from the expected mean, so this nearly always runs once.
        batch = rng.integers(
            min_claims, max_claims, size=int((claims - total) / mean) + 16, endpoint=True
        )
        drawn.append(batch)
        total += int(batch.sum())
    counts = np.concatenate(drawn)
    ends = np.cumsum(counts)
    used = int(np.searchsorted(ends, claims)) + 1
    counts = counts[:used]
    # The last patient takes whatever is left, which is what makes the total exact.
    counts[-1] -= int(ends[used - 1]) - claims
    return counts


def _layout(per_patient: np.ndarray, *, max_invoices: int, orphans: int) -> _Layout:
    claim_ends = np.cumsum(per_patient, dtype=np.int64)
    claims = int(claim_ends[-1]) if len(claim_ends) else 0
    return _Layout(
        claim_ends=claim_ends,
        max_invoices=max_invoices,
        orphans=orphans,
        patient_digits=_digits(len(per_patient), PATIENT_ID_DIGITS),
        claim_digits=_digits(claims + orphans, CLAIM_ID_DIGITS),
        # An upper bound, since the real invoice count is only known after the last chunk.
        invoice_digits=_digits(claims * max_invoices + orphans, INVOICE_ID_DIGITS),
    )


def _digits(largest: int, minimum: int) -> int:
    return max(minimum, len(str(largest)))


def _draw_anomalies(
    rng: np.random.Generator, *, claims: int, duplicates: int, malformed: int, orphans: int
) -> _Anomalies:
    picked = rng.choice(claims, size=duplicates + malformed, replace=False)
    order = np.argsort(picked[duplicates:])
    broken_rows = picked[duplicates:][order]
    bad_date = rng.random(malformed)[order] < 0.5
    date_values = np.array([_csv_field(v) for v in BAD_DATES])
    amount_values = np.array([_csv_field(v) for v in BAD_AMOUNTS])
    values = np.where(
        bad_date,
        date_values[rng.integers(0, len(date_values), malformed)],
        amount_values[rng.integers(0, len(amount_values), malformed)],
    )
    return _Anomalies(
        duplicate_sources=picked[:duplicates],
        malformed_rows=broken_rows,
        malformed_columns=np.where(bad_date, 2, 3),
        malformed_values=values,
        orphan_cents=rng.integers(MIN_CHARGES_CENTS, MAX_CHARGES_CENTS, orphans, endpoint=True),
    )


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@contextmanager
def _staged(paths: Sequence[Path]) -> Iterator[list[BinaryIO]]:
    """Write to temporary names and rename only when every file is complete."""
    partial = [p.with_name(p.name + ".partial") for p in paths]
    files = [p.open("wb") for p in partial]
    try:
        yield files
    except BaseException:
        for f, p in zip(files, partial, strict=True):
            f.close()
            p.unlink(missing_ok=True)
        raise
    for f in files:
        f.close()
    for tmp, final in zip(partial, paths, strict=True):
        os.replace(tmp, final)


def _write_patients(out: BinaryIO, rng: np.random.Generator, layout: _Layout) -> None:
    first_names = pa.array(FIRST_NAMES)
    last_names = pa.array(LAST_NAMES)
    out.write(_header(PATIENTS_HEADER))
    for start in range(0, layout.patients, CHUNK_CLAIMS):
        numbers = np.arange(start + 1, min(start + CHUNK_CLAIMS, layout.patients) + 1)
        n = len(numbers)
        first = first_names.take(rng.integers(0, len(FIRST_NAMES), n))
        last = last_names.take(rng.integers(0, len(LAST_NAMES), n))
        birth = rng.integers(_day(BIRTH_FIRST), _day(BIRTH_LAST), n, endpoint=True)
        ids = _id_strings("P", numbers, layout.patient_digits)
        out.write(_csv_lines([ids, first, last, _date_strings(birth)]))


def _write_claims_and_invoices(
    claims_out: BinaryIO,
    invoices_out: BinaryIO,
    chunks_seed: np.random.SeedSequence,
    layout: _Layout,
    anomalies: _Anomalies,
) -> int:
    """Stream the claims in chunks; returns the number of invoice rows written.

    Invoice text is formatted and written on a second thread while the next chunk is drawn:
    Arrow kernels and file writes release the GIL, so two cores are both kept busy. A single
    worker writes chunks in submission order, which keeps the bytes deterministic.
    """
    claims_out.write(_header(CLAIMS_HEADER))
    invoices_out.write(_header(INVOICES_HEADER))
    starts = range(0, layout.claims, layout.chunk_claims)
    duplicate_rows: list[list[pa.Array]] = []
    duplicate_sources = np.sort(anomalies.duplicate_sources)
    next_invoice = 1
    with ThreadPoolExecutor(max_workers=1) as invoice_writer:
        pending: Future[None] | None = None
        for start, seed in zip(starts, chunks_seed.spawn(len(starts)), strict=True):
            stop = min(start + layout.chunk_claims, layout.claims)
            rng = np.random.default_rng(seed)
            columns, charges = _claim_columns(rng, layout, start, stop)
            payments = _draw_payments(rng, charges, layout.max_invoices)
            if pending is not None:
                pending.result()  # at most one chunk in flight bounds the memory
            pending = invoice_writer.submit(
                _write_invoices, invoices_out, layout, payments, columns[0], next_invoice
            )
            next_invoice += len(payments.cents)

            local = _within(duplicate_sources, start, stop)
            duplicate_rows.append([col.take(local) for col in columns])
            claims_out.write(_csv_lines(_break_values(columns, anomalies, start, stop)))
        if pending is not None:
            pending.result()

    claims_out.write(_csv_lines(_duplicate_columns(duplicate_rows, anomalies, duplicate_sources)))
    invoices_out.write(_csv_lines(_orphan_columns(layout, anomalies, next_invoice)))
    return next_invoice - 1 + layout.orphans


def _write_invoices(
    out: BinaryIO, layout: _Layout, payments: _Payments, claim_ids: pa.Array, first_id: int
) -> None:
    invoice_ids = np.arange(first_id, first_id + len(payments.cents))
    columns = [
        _id_strings("I", invoice_ids, layout.invoice_digits),
        claim_ids.take(payments.owner),
        _cents_strings(payments.cents),
    ]
    out.write(_csv_lines(columns))


def _claim_columns(
    rng: np.random.Generator, layout: _Layout, start: int, stop: int
) -> tuple[list[pa.Array], np.ndarray]:
    n = stop - start
    claim_index = np.arange(start, stop)
    patient_number = np.searchsorted(layout.claim_ends, claim_index, side="right") + 1
    service_day = rng.integers(_day(SERVICE_FIRST), _day(SERVICE_LAST), n, endpoint=True)
    charges = rng.integers(MIN_CHARGES_CENTS, MAX_CHARGES_CENTS, n, endpoint=True)
    columns = [
        _id_strings("C", claim_index + 1, layout.claim_digits),
        _id_strings("P", patient_number, layout.patient_digits),
        _service_date_strings(service_day),
        _cents_strings(charges),
    ]
    return columns, charges


def _draw_payments(rng: np.random.Generator, charges: np.ndarray, max_invoices: int) -> _Payments:
    """Decide each claim's outcome, then split its paid total into exact invoice amounts."""
    n = len(charges)
    counts = rng.integers(0, max_invoices, n, endpoint=True)
    has_invoices = counts > 0
    # Claims without invoices can never balance, so the rest carry the whole balanced quarter.
    balanced_odds = (
        min(1.0, BALANCED_SHARE * (max_invoices + 1) / max_invoices) if max_invoices else 0
    )
    outcome = rng.random(n)
    balanced = has_invoices & (outcome < balanced_odds)
    underpaid = has_invoices & ~balanced
    underpaid &= outcome < balanced_odds + (1 - balanced_odds) * UNDERPAID_SHARE
    overpaid = has_invoices & ~balanced & ~underpaid

    # Underpaid: 10% .. charges - 0.01; overpaid: charges + 0.01 .. 150%.
    low = np.where(underpaid, charges // 10, charges + 1)
    high = np.where(underpaid, charges - 1, charges + charges // 2)
    paid = rng.integers(low, high, endpoint=True)
    paid = np.where(underpaid | overpaid, paid, np.where(balanced, charges, 0))

    refunded = (counts >= 2) & (rng.random(n) < REFUND_SHARE)
    refund = rng.integers(100, charges // 2, endpoint=True)
    return _split(rng, paid, counts, refunded, refund)


def _split(
    rng: np.random.Generator,
    paid: np.ndarray,
    counts: np.ndarray,
    refunded: np.ndarray,
    refund: np.ndarray,
) -> _Payments:
    """Split ``paid`` over each claim's invoices; the sum per claim is exact to the cent.

    A refunded claim reserves its last invoice for a reversal: that one is ``-refund`` and its
    first invoice is ``refund`` higher, so the claim's total does not move.
    """
    n = len(paid)
    owner = np.repeat(np.arange(n), counts)
    first = np.cumsum(counts) - counts
    positive = counts - refunded
    position = np.arange(len(owner)) - first[owner]
    reversal = position >= positive[owner]

    weights = rng.integers(50, 150, len(owner), endpoint=True)
    weights[reversal] = 0
    weight_sum = _sum_by_claim(weights, first, counts)
    # One cent up front keeps every payment positive; the rest is shared by weight.
    spread = paid - positive
    cents = spread[owner] * weights // np.maximum(weight_sum[owner], 1) + 1
    cents[reversal] = 0
    # Integer division drops a few cents; the last payment picks them up.
    has_invoices = counts > 0
    short = paid - _sum_by_claim(cents, first, counts)
    cents[(first + positive - 1)[has_invoices]] += short[has_invoices]

    cents[first[refunded]] += refund[refunded]
    cents[(first + counts - 1)[refunded]] = -refund[refunded]
    return _Payments(owner=owner, cents=cents)


def _sum_by_claim(values: np.ndarray, first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    sums = np.zeros(len(counts), dtype=np.int64)
    nonempty = counts > 0
    if nonempty.any():
        sums[nonempty] = np.add.reduceat(values, first[nonempty])
    return sums


def _within(sorted_rows: np.ndarray, start: int, stop: int) -> np.ndarray:
    lo, hi = np.searchsorted(sorted_rows, [start, stop])
    return sorted_rows[lo:hi] - start


def _break_values(
    columns: list[pa.Array], anomalies: _Anomalies, start: int, stop: int
) -> list[pa.Array]:
    lo, hi = np.searchsorted(anomalies.malformed_rows, [start, stop])
    if lo == hi:
        return columns
    rows = anomalies.malformed_rows[lo:hi] - start
    targets = anomalies.malformed_columns[lo:hi]
    values = anomalies.malformed_values[lo:hi]
    broken = list(columns)
    for column in np.unique(targets):
        mask = np.zeros(len(columns[column]), dtype=bool)
        mask[rows[targets == column]] = True
        replacement = pa.array(values[targets == column], pa.string())
        broken[column] = pc.replace_with_mask(columns[column], pa.array(mask), replacement)
    return broken


def _duplicate_columns(
    rows: list[list[pa.Array]], anomalies: _Anomalies, sorted_sources: np.ndarray
) -> list[pa.Array]:
    """Copies of the chosen claims, in the random order they were drawn in."""
    if not rows:
        return []
    in_source_order = [pa.concat_arrays(parts) for parts in zip(*rows, strict=True)]
    order = np.searchsorted(sorted_sources, anomalies.duplicate_sources)
    return [col.take(order) for col in in_source_order]


def _orphan_columns(layout: _Layout, anomalies: _Anomalies, next_invoice: int) -> list[pa.Array]:
    """Invoices for claim ids just past the last real claim, so they match nothing."""
    count = layout.orphans
    return [
        _id_strings("I", np.arange(next_invoice, next_invoice + count), layout.invoice_digits),
        _id_strings(
            "C", np.arange(layout.claims + 1, layout.claims + count + 1), layout.claim_digits
        ),
        _cents_strings(anomalies.orphan_cents),
    ]


def _day(d: date) -> int:
    return (d - _EPOCH).days


def _header(names: Sequence[str]) -> bytes:
    return (",".join(names) + "\n").encode()


def _id_strings(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers``, built as one fixed-width byte matrix."""
    n = len(numbers)
    width = len(prefix) + digits
    chars = np.empty((n, width), dtype=np.uint8)
    chars[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    rest = np.asarray(numbers, dtype=np.int64)
    for column in range(width - 1, len(prefix) - 1, -1):
        rest, digit = np.divmod(rest, 10)
        chars[:, column] = digit + ord("0")
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


def _cents_strings(cents: np.ndarray) -> pa.Array:
    """Exact ``-75.40`` text: the cents become the unscaled value of a DECIMAL(18, 2)."""
    cents = np.asarray(cents, dtype=np.int64)
    # decimal128 stores 16-byte little-endian two's complement; the high word is the sign.
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    decimals = pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words)])
    return decimals.cast(pa.string())


def _date_strings(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), pa.date32()).cast(pa.string())


_SERVICE_DATES = _date_strings(np.arange(_day(SERVICE_FIRST), _day(SERVICE_LAST) + 1))


def _service_date_strings(days: np.ndarray) -> pa.Array:
    # Only 731 distinct dates exist, so looking them up beats formatting millions of them.
    return _SERVICE_DATES.take(days - _day(SERVICE_FIRST))


def _csv_lines(columns: Sequence[pa.Array]) -> memoryview | bytes:
    """The rows as CSV text: fields joined by commas, each line ended by a newline.

    Every field is generated here and needs no quoting, except injected malformed values,
    which arrive already quoted.
    """
    if not columns or len(columns[0]) == 0:
        return b""
    *head, last = columns
    lines = pc.binary_join_element_wise(*head, pc.binary_join_element_wise(last, "\n", ""), ",")
    if lines.null_count:
        raise AssertionError("a generated value was null and would drop its line")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[len(lines)]]
