"""Every page of every view is the same slice of the fully sorted view, however it is found.

The store answers a page in one of three ways (a range of seq, the engine's top-N near the
top of a view, or a slice of the view's remembered ordering deeper down); each must give
exactly the rows a plain sort would.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from claims_recon.domain.query import Page, ResultFilter, ResultQuery, Sort
from claims_recon.domain.status import Status, Tolerance
from claims_recon.engine import open_store
from claims_recon.engine.sql_store import DIRECT_PAGE_ROWS
from claims_recon.ingest.columns import FileKind
from tests.engine.helpers import CLAIMS_HEADER, INVOICES_HEADER, received

CLAIM_COUNT = 2 * DIRECT_PAGE_ROWS + 300


def _rows() -> tuple[list[tuple], list[tuple]]:
    rng = random.Random(7)
    claims, invoices = [], []
    ids = list(range(CLAIM_COUNT))
    rng.shuffle(ids)  # files are rarely in claim order
    for n in ids:
        # Few distinct values, so sorts have long runs of ties to break.
        charges = Decimal(rng.choice([100, 150, 200])).quantize(Decimal("0.01"))
        claims.append((f"C{n:05d}", f"P{n % 37:03d}", f"2023-0{1 + n % 9}-1{n % 10}", charges))
        for k in range(rng.choice([0, 1, 1, 2])):  # about a quarter have no invoices
            paid = charges / 2 if k == 0 else Decimal(rng.choice([-10, 0, 50]))
            invoices.append((f"I{n:05d}-{k}", f"C{n:05d}", paid))
    return claims, invoices


@pytest.fixture
def store(settings, tmp_path):
    claims, invoices = _rows()
    store = open_store(settings)
    store.create_run(
        received(FileKind.CLAIMS, CLAIMS_HEADER, claims, tmp_path),
        received(FileKind.INVOICES, INVOICES_HEADER, invoices, tmp_path),
        Tolerance(amount=Decimal("0"), percent=Decimal("0")),
        max_problems=10,
    )
    yield store
    store.close()


def _expected(store, filt: ResultFilter, sort: Sort) -> list[str]:
    """The documented order, applied here to the view's rows (read in one export query):
    by the column, missing values last, ties by claim_id."""
    stream = store.export_results(1, filt, Sort())
    rows = [row for batch in stream.batches for row in batch.to_pylist()]
    by_claim = sorted(rows, key=lambda r: r["claim_id"])
    present = [r for r in by_claim if r[sort.column] is not None]
    missing = [r for r in by_claim if r[sort.column] is None]
    present.sort(key=lambda r: r[sort.column], reverse=sort.descending)  # stable
    return [r["claim_id"] for r in present + missing]


VIEWS = [
    (ResultFilter(), Sort("claim_id")),
    (ResultFilter(), Sort("claim_id", descending=True)),
    (ResultFilter(), Sort("variance", descending=True)),
    (ResultFilter(), Sort("invoice_total")),
    (ResultFilter(), Sort("patient_id", descending=True)),
    (ResultFilter(), Sort("status")),
    (ResultFilter(statuses=(Status.UNDERPAID,)), Sort("claim_id")),
    (ResultFilter(statuses=(Status.UNDERPAID, Status.NO_INVOICES)), Sort("variance")),
    (ResultFilter(patient_id="P003"), Sort("charges_amount", descending=True)),
    (ResultFilter(has_refunds=False), Sort("date_of_service", descending=True)),
]


@pytest.mark.parametrize(("filt", "sort"), VIEWS, ids=lambda v: str(v))
def test_every_page_is_the_slice_of_the_sorted_view(store, filt, sort):
    expected = _expected(store, filt, sort)
    assert len(expected) > 50

    for skip, limit in [(0, 100), (DIRECT_PAGE_ROWS - 50, 100), (DIRECT_PAGE_ROWS + 17, 100),
                        (len(expected) - 30, 100), (len(expected) + 5, 10)]:  # fmt: skip
        page = store.results(1, ResultQuery(filter=filt, sort=sort, page=Page(skip, limit)))
        assert page.total == len(expected)
        assert [r.claim_id for r in page.data] == expected[skip : skip + limit], (skip, limit)


def test_a_deleted_run_is_forgotten(store, settings, tmp_path):
    deep = ResultQuery(sort=Sort("variance"), page=Page(DIRECT_PAGE_ROWS + 1, 10))
    assert len(store.results(1, deep).data) == 10
    store.delete_run(1)
    with pytest.raises(Exception, match="does not exist"):
        store.results(1, deep)


def test_a_default_order_export_of_many_row_groups_is_in_claim_order(tmp_path):
    # DuckDB exports the default order by scanning, without sorting: the scan must give
    # the rows in claim order even when they span several row groups read in parallel.
    from claims_recon.config import Settings
    from claims_recon.sampledata import generate

    made = generate(tmp_path / "data", claims=300_000, seed=11)
    header, *rows = made.claims_path.read_text().splitlines()
    made.claims_path.write_text("\n".join([header, *reversed(rows)]) + "\n")  # out of order
    store = open_store(Settings(database_url=str(tmp_path / "s.duckdb"), threads=2))
    try:
        spool = tmp_path / "spool"
        store.create_run(
            receive(FileKind.CLAIMS, made.claims_path, spool),
            receive(FileKind.INVOICES, made.invoices_path, spool),
            Tolerance(amount=Decimal("0"), percent=Decimal("0")),
            max_problems=10,
        )
        stream = store.export_results(1, ResultFilter(), Sort())
        ids = [i for batch in stream.batches for i in batch.column("claim_id").to_pylist()]
        assert len(ids) == 300_000
        assert ids == sorted(ids)
    finally:
        store.close()


def receive(kind, path, spool):
    from claims_recon.ingest.receiver import receive_stream

    with path.open("rb") as handle:
        return receive_stream(kind, path.name, handle, limit=1 << 31, spool_dir=spool)


def test_deep_pages_work_with_a_pool_of_one_connection(settings, tmp_path):
    # Regression: building an ordering once took a second connection from the pool while
    # the page's own was held, so a pool of one waited for itself.
    claims, invoices = _rows()
    store = open_store(settings.model_copy(update={"pool_size": 1, "connect_timeout": 5}))
    try:
        store.create_run(
            received(FileKind.CLAIMS, CLAIMS_HEADER, claims, tmp_path),
            received(FileKind.INVOICES, INVOICES_HEADER, invoices, tmp_path),
            Tolerance(amount=Decimal("0"), percent=Decimal("0")),
            max_problems=10,
        )
        deep = ResultQuery(sort=Sort("variance"), page=Page(DIRECT_PAGE_ROWS + 1, 10))
        assert len(store.results(1, deep).data) == 10
    finally:
        store.close()
