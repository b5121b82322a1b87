"""What every SQL store shares: the run lifecycle and every query, written once.

A concrete store (DuckDB, PostgreSQL) supplies a ``Session`` that executes the portable SQL
of ``rules`` and a few hooks for what really differs: how a validated file is bulk-loaded,
how an export is streamed, and how concurrent writers are kept apart.
"""

from __future__ import annotations

import datetime as dt
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from typing import Any

import numpy as np
import simplejson

from claims_recon.config import Settings
from claims_recon.domain.models import (
    AuditEvent,
    AuditPage,
    ClaimDetail,
    FileInfo,
    InvoicePage,
    InvoiceRow,
    MonthBreakdown,
    PatientBalance,
    ProblemPublic,
    ResultPage,
    ResultRow,
    RunPublic,
    StatusBreakdown,
    StatusCounts,
    Summary,
    Timings,
    VarianceBucket,
)
from claims_recon.domain.problems import Problem
from claims_recon.domain.query import Page, ResultFilter, ResultQuery, Sort
from claims_recon.domain.status import Status, Tolerance
from claims_recon.engine import rules
from claims_recon.engine.base import BatchStream, Event
from claims_recon.engine.csv_stage import CheckOutcome, read_layout
from claims_recon.engine.explain import explain_claim
from claims_recon.engine.order_cache import OrderCache
from claims_recon.engine.schema import MIGRATIONS, SCHEMA_VERSION
from claims_recon.engine.session import Session
from claims_recon.errors import InvalidRequest, NotFound, RejectedUpload, StoreUnavailable
from claims_recon.ingest.columns import SPECS, FileKind, FileSpec, HeaderLayout
from claims_recon.ingest.receiver import ReceivedFile

TOP_PATIENTS = 10
# Pages that end within this many rows of a view's top are sorted by the engine directly;
# deeper ones are cut from the view's remembered ordering.
DIRECT_PAGE_ROWS = 1000

_RUN_COLUMNS = """
    r.run_id, r.created_at, r.tolerance_amount, r.tolerance_percent,
    r.total_claims, r.balanced, r.underpaid, r.overpaid, r.no_invoices, r.orphan_invoices,
    r.timings, r.warnings, r.claims_from_run_id, r.invoices_from_run_id,
    c.filename, c.size_bytes, c.sha256, c.row_count,
    i.filename, i.size_bytes, i.sha256, i.row_count
"""
_RUN_FROM = """
    FROM runs r
    JOIN datasets c ON c.dataset_id = r.claims_dataset_id
    JOIN datasets i ON i.dataset_id = r.invoices_dataset_id
"""


class BadData(Exception):
    """A loaded file broke a rule that only shows across rows (no rows, duplicate keys)."""


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def _json(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True)


class SqlStore(ABC):
    """The shared implementation of ``Store``; subclasses provide the engine hooks."""

    #: Exceptions that mean "the uploaded data broke a rule" while loading optimistically.
    data_errors: tuple[type[BaseException], ...] = ()
    #: True when a plain scan of a run's results returns them in seq order, so that an
    #: export in the default order streams without sorting (and holding) every row.
    _scans_in_seq_order = False

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._orders = OrderCache(settings.order_cache_mb * 1024 * 1024)

    # -- engine hooks ----------------------------------------------------------------

    @abstractmethod
    def _session(self) -> AbstractContextManager[Session]:
        """A session for one unit of work (its connection is released afterwards)."""

    def _write_guard(self) -> AbstractContextManager[object]:
        """Held while a run is written or deleted; transactions alone suffice by default."""
        return nullcontext()

    @abstractmethod
    def _check(self, received: ReceivedFile, spec: FileSpec, max_problems: int) -> CheckOutcome:
        """Every problem of a file (the failure path)."""

    @abstractmethod
    def _load_invoices(
        self, session: Session, received: ReceivedFile, layout: HeaderLayout, dataset_id: int
    ) -> None:
        """Append the typed invoices under ``dataset_id``; a bad value must raise."""

    @abstractmethod
    def _claims_relation(
        self, session: Session, received: ReceivedFile, layout: HeaderLayout
    ) -> str:
        """A relation of the typed claims, NULL where a value is bad, for ``rules``."""

    def _duplicate_keys(self, cur: Session, kind: FileKind, key: int) -> int:
        """Non-zero when a key repeats: invoices of dataset ``key``, or claims of run ``key``."""
        if kind is FileKind.INVOICES:
            sql, params = rules.DUPLICATE_INVOICES, {"invoices_dataset_id": key}
        else:
            sql, params = rules.DUPLICATE_CLAIMS, {"run_id": key}
        return int(cur.execute(sql, params).fetchone()[0])

    def _begin_write(self, cur: Session) -> None:
        """Called first in the transaction that writes a run."""
        return None

    def _before_reconcile(self, cur: Session, run_id: int) -> None:
        """Called once the run's number is drawn, before its results are written."""
        return None

    def _run_written(self, cur: Session, run_id: int) -> None:
        """Called after every row of the run is written, before the transaction commits."""
        return None

    def _seqs_in_order(
        self, cur: Session, where: str, order: str, params: dict[str, object]
    ) -> np.ndarray:
        """The seq of every result row matching ``where``, sorted by ``order``."""
        stream = self._stream(f"SELECT seq FROM results WHERE {where} ORDER BY {order}", params)
        parts = [batch.column(0).to_numpy() for batch in stream.batches]
        return np.concatenate(parts).astype(np.int32) if parts else np.empty(0, np.int32)

    @abstractmethod
    def _stream(self, sql: str, params: dict[str, object]) -> BatchStream:
        """Every row of a query as Arrow batches of bounded size."""

    @abstractmethod
    def close(self) -> None: ...

    # -- schema ------------------------------------------------------------------------

    def _migrate(self, extra: dict[int, tuple[str, ...]] | None = None, lock_sql: str = "") -> None:
        """Apply the missing migrations (and the engine's own extras) in one transaction."""
        with self._write_guard(), self._session() as cur, cur.transaction():
            if lock_sql:
                cur.execute(lock_sql)
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = cur.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
            if current > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"the database has schema version {current}, newer than this program "
                    f"({SCHEMA_VERSION}); upgrade claims-recon"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in (*MIGRATIONS[version], *(extra or {}).get(version, ())):
                    cur.execute(statement)
                cur.execute("INSERT INTO schema_version VALUES ($v)", {"v": version})

    # -- runs -----------------------------------------------------------------------

    def create_run(
        self,
        claims: ReceivedFile | None,
        invoices: ReceivedFile | None,
        tolerance: Tolerance,
        *,
        max_problems: int,
        receive_ms: float = 0.0,
        audit: Callable[[RunPublic], Event] | None = None,
    ) -> RunPublic:
        started = time.perf_counter()
        sent = {r.kind: r for r in (claims, invoices) if r is not None}
        if not sent:
            raise InvalidRequest("send at least one file: 'claims', 'invoices' or both")
        with self._session() as cur:
            layouts: dict[FileKind, HeaderLayout] = {}
            warnings: list[Problem] = []
            for kind, received in sent.items():
                layout, _, found = read_layout(received, SPECS[kind])
                if layout is None:
                    self._reject(sent, max_problems)
                    raise AssertionError("a file without a layout always has a problem")
                layouts[kind] = layout
                warnings.extend(found)
            failure: BaseException | None = None
            with self._write_guard():
                previous = None if len(sent) == 2 else self._latest_run(cur, sent)
                try:
                    with cur.transaction():
                        self._begin_write(cur)
                        run_id = self._write_run(
                            cur, sent, layouts, warnings, previous, tolerance, receive_ms, started
                        )
                        run = self._read_run(cur, run_id)
                        if audit is not None:
                            self._insert_event(cur, audit(run), run_id)
                except (*self.data_errors, BadData) as exc:
                    failure = exc
            if failure is not None:
                # Loading is optimistic; on any data error, find and explain every problem.
                self._reject(sent, max_problems)
                raise failure
        return run

    def _reject(self, sent: dict[FileKind, ReceivedFile], max_problems: int) -> None:
        """Raise RejectedUpload listing every problem of the sent files, if there are any."""
        problems: list[Problem] = []
        total = 0
        for kind in (FileKind.CLAIMS, FileKind.INVOICES):
            if kind in sent:
                outcome = self._check(sent[kind], SPECS[kind], max_problems)
                problems.extend(outcome.problems)
                total += outcome.total
        if total:
            files = sorted({p.filename or p.file or "" for p in problems})
            raise RejectedUpload(
                f"the upload was rejected: {total:,} problem{'s' if total != 1 else ''} "
                f"in {', '.join(files)}; nothing was stored",
                details=problems[:max_problems],
                total=total,
            )

    def _latest_run(self, cur: Session, sent: dict[FileKind, ReceivedFile]) -> tuple[int, int, int]:
        row = cur.execute(
            "SELECT run_id, claims_dataset_id, invoices_dataset_id FROM runs "
            "ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            missing = "claims" if FileKind.CLAIMS not in sent else "invoices"
            raise InvalidRequest(
                f"no {missing} file was sent and there is no earlier run to take "
                f"{missing} from; send both files for the first run"
            )
        return int(row[0]), int(row[1]), int(row[2])

    def _record_dataset(
        self, cur: Session, dataset_id: int, received: ReceivedFile, rows: int
    ) -> None:
        cur.execute(
            "INSERT INTO datasets VALUES ($id, $kind, $filename, $size, $sha, $rows, $now)",
            {
                "id": dataset_id,
                "kind": received.kind.value,
                "filename": received.filename,
                "size": received.size_bytes,
                "sha": received.sha256,
                "rows": rows,
                "now": _utcnow(),
            },
        )

    def _write_run(
        self,
        cur: Session,
        sent: dict[FileKind, ReceivedFile],
        layouts: dict[FileKind, HeaderLayout],
        warnings: list[Problem],
        previous: tuple[int, int, int] | None,
        tolerance: Tolerance,
        receive_ms: float,
        started: float,
    ) -> int:
        """Everything of one run, inside the caller's transaction."""
        # Files are loaded before numbers are drawn, so that a rejected upload rarely
        # consumes a run number (sequences do not roll back in every engine).
        params: dict[str, object] = {}
        from_run: dict[FileKind, int | None] = {FileKind.CLAIMS: None, FileKind.INVOICES: None}

        if FileKind.INVOICES in sent:
            received = sent[FileKind.INVOICES]
            dataset_id = int(cur.execute("SELECT nextval('dataset_ids')").fetchone()[0])
            self._load_invoices(cur, received, layouts[FileKind.INVOICES], dataset_id)
            rows = cur.execute(
                "SELECT count(*) FROM invoices WHERE dataset_id = $id", {"id": dataset_id}
            ).fetchone()[0]
            duplicates = self._duplicate_keys(cur, FileKind.INVOICES, dataset_id)
            if not rows or duplicates:
                raise BadData
            self._record_dataset(cur, dataset_id, received, rows)
            params["invoices_dataset_id"] = dataset_id
        else:
            assert previous is not None
            params["invoices_dataset_id"] = previous[2]
            from_run[FileKind.INVOICES] = previous[0]

        if FileKind.CLAIMS in sent:
            claims_relation = self._claims_relation(
                cur, sent[FileKind.CLAIMS], layouts[FileKind.CLAIMS]
            )
        else:
            assert previous is not None
            claims_relation = rules.CLAIMS_OF_RUN
            from_run[FileKind.CLAIMS] = previous[0]
        run_id = int(cur.execute("SELECT nextval('run_ids')").fetchone()[0])
        params["run_id"] = run_id
        self._before_reconcile(cur, run_id)
        reconcile_params = dict(params)
        if from_run[FileKind.CLAIMS] is not None:
            reconcile_params["claims_run_id"] = from_run[FileKind.CLAIMS]
        cur.execute(
            rules.reconcile_sql(claims_relation),
            {
                **reconcile_params,
                "tolerance_amount": tolerance.amount,
                "tolerance_percent": tolerance.percent,
            },
        )
        claim_rows = cur.execute(
            "SELECT count(*) FROM results WHERE run_id = $run_id", {"run_id": run_id}
        ).fetchone()[0]
        if FileKind.CLAIMS in sent:
            duplicates = self._duplicate_keys(cur, FileKind.CLAIMS, run_id)
            if not claim_rows or duplicates:
                raise BadData
            dataset_id = int(cur.execute("SELECT nextval('dataset_ids')").fetchone()[0])
            self._record_dataset(cur, dataset_id, sent[FileKind.CLAIMS], claim_rows)
            params["claims_dataset_id"] = dataset_id
        else:
            assert previous is not None
            params["claims_dataset_id"] = previous[1]

        cur.execute(
            rules.ORPHANS,
            {"run_id": run_id, "invoices_dataset_id": params["invoices_dataset_id"]},
        )
        summary = _compute_summary(cur, run_id)
        reconcile_ms = _ms(started)
        timings = Timings(
            receive_ms=receive_ms,
            reconcile_ms=reconcile_ms,
            total_ms=round(receive_ms + reconcile_ms, 1),
        )
        cur.execute(
            """
            INSERT INTO runs VALUES (
                $run_id, $created_at, $claims_dataset_id, $invoices_dataset_id,
                $claims_from, $invoices_from, $tolerance_amount, $tolerance_percent,
                $total, $balanced, $underpaid, $overpaid, $no_invoices, $orphans,
                $timings, $warnings, $summary
            )
            """,
            {
                **params,
                "created_at": _utcnow(),
                "claims_from": from_run[FileKind.CLAIMS],
                "invoices_from": from_run[FileKind.INVOICES],
                "tolerance_amount": tolerance.amount,
                "tolerance_percent": tolerance.percent,
                "total": summary.total_claims,
                "balanced": summary.balanced,
                "underpaid": summary.underpaid,
                "overpaid": summary.overpaid,
                "no_invoices": summary.no_invoices,
                "orphans": summary.orphan_invoices,
                "timings": _json(timings.model_dump()),
                "warnings": _json([w.as_dict() for w in warnings]),
                "summary": _json(summary.model_dump(mode="python")),
            },
        )
        self._run_written(cur, run_id)
        return run_id

    def latest_run_id(self) -> int | None:
        with self._session() as cur:
            row = cur.execute("SELECT max(run_id) FROM runs").fetchone()
        return None if row[0] is None else int(row[0])

    def list_runs(self, page: Page) -> tuple[list[RunPublic], int]:
        with self._session() as cur:
            total = cur.execute("SELECT count(*) FROM runs").fetchone()[0]
            rows = cur.execute(
                f"SELECT {_RUN_COLUMNS} {_RUN_FROM} ORDER BY r.run_id DESC "
                "LIMIT $limit OFFSET $skip",
                {"limit": page.limit, "skip": page.skip},
            ).fetchall()
        return [_run_from_row(row) for row in rows], int(total)

    def get_run(self, run_id: int) -> RunPublic:
        with self._session() as cur:
            return self._read_run(cur, run_id)

    def _read_run(self, cur: Session, run_id: int) -> RunPublic:
        row = cur.execute(
            f"SELECT {_RUN_COLUMNS} {_RUN_FROM} WHERE r.run_id = $run_id", {"run_id": run_id}
        ).fetchone()
        if row is None:
            raise NotFound(f"run {run_id} does not exist")
        return _run_from_row(row)

    def _require_run(self, cur: Session, run_id: int) -> tuple[Any, ...]:
        row = cur.execute(
            "SELECT run_id, claims_dataset_id, invoices_dataset_id, tolerance_amount, "
            "tolerance_percent, summary, total_claims FROM runs WHERE run_id = $run_id",
            {"run_id": run_id},
        ).fetchone()
        if row is None:
            raise NotFound(f"run {run_id} does not exist")
        return row

    def delete_run(self, run_id: int, audit: Event | None = None) -> None:
        self._orders.forget_run(run_id)
        with self._write_guard(), self._session() as cur, cur.transaction():
            self._before_delete(cur)
            _, claims_ds, invoices_ds, *_ = self._require_run(cur, run_id)
            if audit is not None:
                self._insert_event(cur, audit, run_id)
            self._erase_run_rows(cur, run_id)
            cur.execute("DELETE FROM runs WHERE run_id = $run_id", {"run_id": run_id})
            for kind, dataset_id in (("claims", claims_ds), ("invoices", invoices_ds)):
                still_used = cur.execute(
                    f"SELECT count(*) FROM runs WHERE {kind}_dataset_id = $id",
                    {"id": dataset_id},
                ).fetchone()[0]
                if still_used:
                    continue
                if kind == "invoices":
                    self._erase_invoices(cur, dataset_id)
                cur.execute("DELETE FROM datasets WHERE dataset_id = $id", {"id": dataset_id})

    def _before_delete(self, cur: Session) -> None:
        """Called first in a deletion's transaction."""
        return None

    def _erase_run_rows(self, cur: Session, run_id: int) -> None:
        cur.execute("DELETE FROM results WHERE run_id = $run_id", {"run_id": run_id})
        cur.execute("DELETE FROM orphans WHERE run_id = $run_id", {"run_id": run_id})

    def _erase_invoices(self, cur: Session, dataset_id: int) -> None:
        cur.execute("DELETE FROM invoices WHERE dataset_id = $id", {"id": dataset_id})

    # -- audit and retention -----------------------------------------------------------

    def record_event(
        self,
        actor: str,
        action: str,
        *,
        run_id: int | None = None,
        row_count: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        # One statement, its own transaction: it appends only, so it neither waits for the
        # writer lock of a running upload nor costs a page view more than one commit.
        with self._session() as cur:
            self._insert_event(cur, Event(actor, action, row_count, detail or {}), run_id)

    def _insert_event(self, cur: Session, event: Event, run_id: int | None) -> None:
        cur.execute(
            "INSERT INTO audit_events VALUES (nextval('audit_ids'), $at, $actor, $action, "
            "$run_id, $rows, $detail)",
            {
                "at": _utcnow(),
                "actor": event.actor,
                "action": event.action,
                "run_id": run_id,
                "rows": event.row_count,
                "detail": _json(dict(event.detail)),
            },
        )

    def audit(self, page: Page) -> AuditPage:
        with self._session() as cur:
            total = cur.execute("SELECT count(*) FROM audit_events").fetchone()[0]
            rows = cur.execute(
                "SELECT event_id, occurred_at, actor, action, run_id, row_count, detail "
                "FROM audit_events ORDER BY event_id DESC LIMIT $limit OFFSET $skip",
                {"limit": page.limit, "skip": page.skip},
            ).fetchall()
        return AuditPage(
            data=[
                AuditEvent(
                    event_id=e,
                    at=at.replace(tzinfo=dt.UTC),
                    actor=actor,
                    action=action,
                    run_id=run_id,
                    row_count=count,
                    detail=simplejson.loads(detail, use_decimal=True),
                )
                for e, at, actor, action, run_id, count, detail in rows
            ],
            total=int(total),
            skip=page.skip,
            limit=page.limit,
        )

    def runs_created_before(self, moment: dt.datetime) -> list[int]:
        with self._session() as cur:
            rows = cur.execute(
                "SELECT run_id FROM runs WHERE created_at < $moment ORDER BY run_id",
                {"moment": moment.astimezone(dt.UTC).replace(tzinfo=None)},
            ).fetchall()
        return [int(r[0]) for r in rows]

    # -- reading a run --------------------------------------------------------------

    def summary(self, run_id: int) -> Summary:
        with self._session() as cur:
            row = self._require_run(cur, run_id)
        return Summary.model_validate(simplejson.loads(row[5], use_decimal=True))

    def count_results(self, run_id: int, filt: ResultFilter) -> int:
        with self._session() as cur:
            total_claims = self._require_run(cur, run_id)[6]
            return self._count(cur, run_id, filt, int(total_claims))

    def _count(self, cur: Session, run_id: int, filt: ResultFilter, total_claims: int) -> int:
        if filt == ResultFilter():
            return total_claims
        known = self._orders.count(run_id, filt)
        if known is None:
            params: dict[str, object] = {"run_id": run_id}
            where = rules.result_where(filt, params)
            known = int(
                cur.execute(f"SELECT count(*) FROM results WHERE {where}", params).fetchone()[0]
            )
            self._orders.put_count(run_id, filt, known)
        return known

    def results(self, run_id: int, query: ResultQuery) -> ResultPage:
        filt, sort, page = query.filter, query.sort, query.page
        with self._session() as cur:
            total_claims = int(self._require_run(cur, run_id)[6])
            if filt == ResultFilter() and sort.column == "claim_id":
                # Rows are numbered in claim_id order: the page is a range of seq.
                total = total_claims
                first = total - page.skip - page.limit + 1 if sort.descending else page.skip + 1
                rows = cur.execute(
                    f"SELECT {rules.RESULT_SELECT} FROM results WHERE run_id = $run_id "
                    "AND seq BETWEEN $low AND $high "
                    f"ORDER BY {rules.result_order(sort)}",
                    {"run_id": run_id, "low": max(first, 1), "high": first + page.limit - 1},
                ).fetchall()
            else:
                if page.skip + page.limit <= DIRECT_PAGE_ROWS:
                    # Near the top of a view the engine's top-N is cheap; it runs on the
                    # narrow columns only, and the page's rows are fetched afterwards.
                    total = self._count(cur, run_id, filt, total_claims)
                    params: dict[str, object] = {"run_id": run_id}
                    where = rules.result_where(filt, params)
                    found = cur.execute(
                        f"SELECT seq FROM results WHERE {where} "
                        f"ORDER BY {rules.result_order(sort)} LIMIT $limit OFFSET $skip",
                        {**params, "limit": page.limit, "skip": page.skip},
                    ).fetchall()
                    seqs = np.array([row[0] for row in found], dtype=np.int32)
                else:
                    order = self._ordering(cur, run_id, filt, sort)
                    total = len(order)
                    seqs = order[page.skip : page.skip + page.limit]
                rows = self._rows_by_seq(cur, run_id, seqs)
        return ResultPage(
            run_id=run_id,
            data=[_result_row(r) for r in rows],
            total=int(total),
            skip=page.skip,
            limit=page.limit,
        )

    def _ordering(self, cur: Session, run_id: int, filt: ResultFilter, sort: Sort) -> np.ndarray:
        """The seq of every row of a view, in the view's order (remembered)."""
        view = (filt, sort)
        order = self._orders.get(run_id, view)
        if order is None:
            params: dict[str, object] = {"run_id": run_id}
            where = rules.result_where(filt, params)
            # On the caller's session: a pool of one connection must not wait for itself.
            order = self._seqs_in_order(cur, where, rules.result_order(sort), params)
            self._orders.put(run_id, view, order)
            self._orders.put_count(run_id, filt, len(order))
        return order

    #: How a store picks a page's rows by their seq numbers (``$seqs``, an integer list).
    #: A join with the wanted numbers (rather than IN) lets DuckDB fetch the other columns
    #: for those rows only.
    _rows_by_seq_sql = (
        f"SELECT seq, {rules.RESULT_SELECT} FROM results "
        "JOIN (SELECT unnest(CAST($seqs AS INTEGER[])) AS wanted) w ON w.wanted = seq "
        "WHERE run_id = $run_id AND seq BETWEEN $low AND $high"
    )

    def _rows_by_seq(self, cur: Session, run_id: int, seqs: np.ndarray) -> list[tuple[Any, ...]]:
        """The rows with these seq numbers, in the order given."""
        if not len(seqs):
            return []
        found = cur.execute(
            self._rows_by_seq_sql,
            {
                "run_id": run_id,
                "low": int(seqs.min()),
                "high": int(seqs.max()),
                "seqs": [int(s) for s in seqs],
            },
        ).fetchall()
        by_seq = {row[0]: row[1:] for row in found}
        return [by_seq[int(s)] for s in seqs]

    def orphans(self, run_id: int, page: Page) -> InvoicePage:
        with self._session() as cur:
            self._require_run(cur, run_id)
            params = {"run_id": run_id}
            total = cur.execute(
                "SELECT count(*) FROM orphans WHERE run_id = $run_id", params
            ).fetchone()[0]
            rows = cur.execute(
                "SELECT invoice_id, claim_id, transaction_value FROM orphans "
                "WHERE run_id = $run_id ORDER BY claim_id, invoice_id LIMIT $limit OFFSET $skip",
                {**params, "limit": page.limit, "skip": page.skip},
            ).fetchall()
        return InvoicePage(
            run_id=run_id,
            data=[InvoiceRow(invoice_id=a, claim_id=b, transaction_value=c) for a, b, c in rows],
            total=int(total),
            skip=page.skip,
            limit=page.limit,
        )

    def claim(self, run_id: int, claim_id: str) -> ClaimDetail:
        with self._session() as cur:
            _, _, invoices_ds, tol_amount, tol_percent, *_ = self._require_run(cur, run_id)
            row = cur.execute(
                f"SELECT {rules.RESULT_SELECT} FROM results "
                "WHERE run_id = $run_id AND claim_id = $claim_id",
                {"run_id": run_id, "claim_id": claim_id},
            ).fetchone()
            if row is None:
                raise NotFound(f"claim {claim_id!r} is not in run {run_id}")
            invoices = cur.execute(
                "SELECT invoice_id, claim_id, transaction_value FROM invoices "
                "WHERE dataset_id = $ds AND claim_id = $claim_id ORDER BY invoice_id",
                {"ds": invoices_ds, "claim_id": claim_id},
            ).fetchall()
        result = _result_row(row)
        tolerance = Tolerance(amount=tol_amount, percent=tol_percent)
        return explain_claim(
            run_id,
            result,
            [InvoiceRow(invoice_id=a, claim_id=b, transaction_value=c) for a, b, c in invoices],
            tolerance,
        )

    def export_results(self, run_id: int, filt: ResultFilter, sort: Sort) -> BatchStream:
        params: dict[str, object] = {"run_id": run_id}
        where = rules.result_where(filt, params)
        with self._session() as cur:
            self._require_run(cur, run_id)
        sql = f"SELECT {rules.RESULT_SELECT} FROM results WHERE {where}"
        if sort != Sort() or not self._scans_in_seq_order:
            sql += f" ORDER BY {rules.result_order(sort)}"
        return self._stream(sql, params)

    def export_orphans(self, run_id: int) -> BatchStream:
        with self._session() as cur:
            self._require_run(cur, run_id)
        return self._stream(
            "SELECT invoice_id, claim_id, transaction_value FROM orphans "
            "WHERE run_id = $run_id ORDER BY claim_id, invoice_id",
            {"run_id": run_id},
        )


def _compute_summary(cur: Session, run_id: int) -> Summary:
    params = {"run_id": run_id}
    result = cur.execute(rules.SUMMARY_TOTALS, params)
    names = [column[0] for column in result.description]
    values = dict(zip(names, result.fetchone(), strict=True))
    orphan_count, orphan_total = cur.execute(rules.SUMMARY_ORPHANS, params).fetchone()
    found = {
        Status(s): (n, c, i, v)
        for s, n, c, i, v in cur.execute(rules.SUMMARY_BY_STATUS, params).fetchall()
    }
    # Every status, always in the same order, so clients need not fill gaps or sort.
    by_status = []
    for status in Status:
        count, charges, invoiced, variance = found.get(status, (0, 0, 0, 0))
        by_status.append(
            StatusBreakdown(
                status=status,
                count=count,
                charges=_cents(charges),
                invoiced=_cents(invoiced),
                variance=_cents(variance),
            )
        )
    by_month = [
        MonthBreakdown(
            month=f"{int(y):04d}-{int(m):02d}",
            claims=n,
            charges=_cents(c),
            invoiced=_cents(i),
            variance=_cents(v),
        )
        for y, m, n, c, i, v in cur.execute(rules.SUMMARY_BY_MONTH, params).fetchall()
    ]
    top = [
        PatientBalance(patient_id=p, open_balance=_cents(b), claims=n)
        for p, b, n in cur.execute(
            rules.SUMMARY_TOP_PATIENTS, {**params, "top": TOP_PATIENTS}
        ).fetchall()
    ]
    counts = dict(cur.execute(rules.variance_distribution_sql(), params).fetchall())
    buckets = [
        VarianceBucket(label=label, lower=lower, upper=upper, count=int(counts.get(index, 0)))
        for index, (label, lower, upper) in enumerate(rules.variance_buckets())
    ]
    money = {k: _cents(v) for k, v in values.items() if isinstance(v, Decimal)}
    return Summary(
        run_id=run_id,
        **{k: int(v) for k, v in values.items() if not isinstance(v, Decimal)},
        **money,
        orphan_invoices=int(orphan_count),
        orphan_total=_cents(orphan_total),
        by_status=by_status,
        by_month=by_month,
        top_patients=top,
        variance_distribution=buckets,
    )


def _utcnow() -> dt.datetime:
    """Naive UTC: stored as TIMESTAMP so reading it back needs no time-zone database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _cents(value: Decimal | int) -> Decimal:
    # Engines differ in the scale of an empty sum's 0; money always leaves with two places.
    return Decimal(value).quantize(Decimal("0.01"))


def _result_row(row: tuple[Any, ...]) -> ResultRow:
    return ResultRow(
        claim_id=row[0],
        patient_id=row[1],
        date_of_service=row[2],
        charges_amount=row[3],
        invoice_count=row[4],
        invoice_total=row[5],
        variance=row[6],
        status=Status(row[7]),
        has_refunds=row[8],
    )


def _run_from_row(row: tuple[Any, ...]) -> RunPublic:
    (
        run_id, created_at, tol_amount, tol_percent,
        total, balanced, underpaid, overpaid, no_invoices, orphans,
        timings, warnings, claims_from, invoices_from,
        c_name, c_size, c_sha, c_rows, i_name, i_size, i_sha, i_rows,
    ) = row  # fmt: skip
    return RunPublic(
        run_id=run_id,
        created_at=created_at.replace(tzinfo=dt.UTC),
        claims=FileInfo(
            filename=c_name, size_bytes=c_size, sha256=c_sha, rows=c_rows, from_run_id=claims_from
        ),
        invoices=FileInfo(
            filename=i_name, size_bytes=i_size, sha256=i_sha, rows=i_rows, from_run_id=invoices_from
        ),
        tolerance_amount=tol_amount,
        tolerance_percent=tol_percent,
        counts=StatusCounts(
            total_claims=total,
            balanced=balanced,
            underpaid=underpaid,
            overpaid=overpaid,
            no_invoices=no_invoices,
            orphan_invoices=orphans,
        ),
        timings=Timings.model_validate(simplejson.loads(timings)),
        warnings=[ProblemPublic.model_validate(w) for w in simplejson.loads(warnings)],
    )
