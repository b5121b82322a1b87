"""Atomicity under faults: an exception at any ingest stage, or a killed server, leaves no
partial run, no stray rows and no spool files; earlier runs are untouched."""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import httpx2
import psycopg
import pytest

from claims_recon.engine import sql_store
from claims_recon.engine.duckdb_store import DuckDBSession
from claims_recon.engine.postgres_store import PostgresStore
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import FileReceiver
from claims_recon.sampledata import generate
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, STORES, upload
from tests.servers import start_server

NEW_CLAIMS = SEED_CLAIMS.replace("c1,", "c7,").replace("c2,", "c8,")
NEW_INVOICES = SEED_INVOICES.replace(",c1,", ",c7,").replace(",c2,", ",c8,")


FAULT = "injected fault for patient PHI-4711-INJECTED"
INTERNAL_ERROR = {
    "error": {
        "code": "internal_error",
        "message": "something went wrong on the server; nothing was changed",
        "total": 0,
        "details": [],
    }
}
TABLES = ("audit_events", "datasets", "invoices", "orphans", "results", "runs", "schema_version")
# A run as a user sees it: its record, summary, claims and orphans, byte for byte.
RUN_VIEWS = ("", "/summary", "/reconciliation?limit=1000", "/orphans", "/reconciliation/export")


def _table_counts(store) -> dict[str, int]:
    """Rows of every table of the store (PostgreSQL partitions included), read directly."""
    with store._session() as session:
        names = [
            row[0]
            for row in session.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() ORDER BY table_name"
            ).fetchall()
        ]
        return {
            name: session.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
        }


def _run_views(client, run_id: int) -> list[bytes]:
    responses = [client.get(f"/api/runs/{run_id}{view}") for view in RUN_VIEWS]
    assert [r.status_code for r in responses] == [200] * len(RUN_VIEWS)
    return [r.content for r in responses]


def _break(patch, owner, name: str, *, when=None, error=lambda: RuntimeError(FAULT)) -> None:
    """Make ``owner.name`` raise right after doing its work, so its writes must be undone."""
    original = getattr(owner, name)

    def broken(*args, **kwargs):
        result = original(*args, **kwargs)
        if when is None or when(*args, **kwargs):
            raise error()
        return result

    patch.setattr(owner, name, broken)


def _session_class(store) -> type:
    with store._session() as session:
        return type(session)


def _break_statement(store, patch, fragment: str) -> None:
    """The session raises once a statement containing ``fragment`` has run."""
    _break(patch, _session_class(store), "execute", when=lambda _s, sql, *_: fragment in sql)


@contextmanager
def _commit_fails(store, patch) -> Iterator[None]:
    if isinstance(store, PostgresStore):
        # A deferred constraint trigger fails the COMMIT statement itself, in the server.
        with store._session() as session:
            session.execute(
                "CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql "
                f"AS $f$ BEGIN RAISE EXCEPTION '{FAULT}'; END $f$"
            )
            session.execute(
                "CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON runs "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()"
            )
        try:
            yield
        finally:
            with store._session() as session:
                session.execute("DROP TRIGGER refuse_commit ON runs")
                session.execute("DROP FUNCTION refuse_commit()")
        return
    # DuckDB: the commit fails as an I/O error does (the engine rolls the transaction back).
    original = DuckDBSession.transaction

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with original(self):
            yield
            raise duckdb.IOException(FAULT)

    patch.setattr(DuckDBSession, "transaction", transaction)
    yield


def _kind_is(kind: FileKind):
    """A predicate on a call whose arguments include a received file of ``kind``."""
    return lambda *args, **_: any(getattr(a, "kind", None) is kind for a in args)


def _simple(inject):
    @contextmanager
    def stage(store, patch) -> Iterator[None]:
        inject(store, patch)
        yield

    return stage


CLAIMS, INVOICES = FileKind.CLAIMS, FileKind.INVOICES
BAD_INVOICES = NEW_INVOICES.replace("50.00", "fifty", 1)
# name: (fault injector, the invoices file the failing upload sends)
STAGES = {
    "spooling the body to disk": (
        # The claims file is complete on disk, the invoices file half written.
        _simple(
            lambda store, p: _break(
                p,
                FileReceiver,
                "write",
                when=lambda receiver, _chunk: receiver.kind is INVOICES,
                error=lambda: OSError(errno.ENOSPC, FAULT),
            )
        ),
        NEW_INVOICES,
    ),
    "closing a spooled file": (
        _simple(lambda s, p: _break(p, FileReceiver, "finish", when=_kind_is(INVOICES))),
        NEW_INVOICES,
    ),
    "validating the claims file": (
        _simple(lambda s, p: _break(p, sql_store, "read_layout", when=_kind_is(CLAIMS))),
        NEW_INVOICES,
    ),
    "validating the invoices file": (
        _simple(lambda s, p: _break(p, sql_store, "read_layout", when=_kind_is(INVOICES))),
        NEW_INVOICES,
    ),
    "listing the problems of a rejected file": (
        _simple(lambda s, p: p.setattr(s, "_check", _raise)),
        BAD_INVOICES,
    ),
    "beginning the write": (_simple(lambda s, p: _break(p, s, "_begin_write")), NEW_INVOICES),
    "loading invoices": (_simple(lambda s, p: _break(p, s, "_load_invoices")), NEW_INVOICES),
    "checking invoice keys for duplicates": (
        _simple(
            lambda s, p: _break(p, s, "_duplicate_keys", when=lambda _c, kind, _k: kind is INVOICES)
        ),
        NEW_INVOICES,
    ),
    "recording the invoices file": (
        _simple(lambda s, p: _break(p, s, "_record_dataset", when=_kind_is(INVOICES))),
        NEW_INVOICES,
    ),
    "loading claims": (_simple(lambda s, p: _break(p, s, "_claims_relation")), NEW_INVOICES),
    "drawing the run number": (
        _simple(lambda s, p: _break(p, s, "_before_reconcile")),
        NEW_INVOICES,
    ),
    "reconciling (results inserted)": (
        _simple(lambda s, p: _break_statement(s, p, "INSERT INTO results")),
        NEW_INVOICES,
    ),
    "checking claim keys for duplicates": (
        _simple(
            lambda s, p: _break(p, s, "_duplicate_keys", when=lambda _c, kind, _k: kind is CLAIMS)
        ),
        NEW_INVOICES,
    ),
    "recording the claims file": (
        _simple(lambda s, p: _break(p, s, "_record_dataset", when=_kind_is(CLAIMS))),
        NEW_INVOICES,
    ),
    "finding orphans": (
        _simple(lambda s, p: _break_statement(s, p, "INSERT INTO orphans")),
        NEW_INVOICES,
    ),
    "summarising": (
        _simple(lambda s, p: _break(p, sql_store, "_compute_summary")),
        NEW_INVOICES,
    ),
    "writing the run record": (
        _simple(lambda s, p: _break_statement(s, p, "INSERT INTO runs")),
        NEW_INVOICES,
    ),
    "finishing the run's indexes": (
        _simple(lambda s, p: _break(p, s, "_run_written")),
        NEW_INVOICES,
    ),
    "recording the upload on the audit trail": (
        _simple(
            lambda s, p: _break(
                p, s, "_insert_event", when=lambda _cur, event, _run: event.action == "upload"
            )
        ),
        NEW_INVOICES,
    ),
    "committing": (_commit_fails, NEW_INVOICES),
}


def _raise(*_args, **_kwargs):
    raise RuntimeError(FAULT)


@pytest.mark.parametrize("stage", list(STAGES))
def test_an_exception_at_any_stage_leaves_no_trace(client, settings, monkeypatch, caplog, stage):
    assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
    store = client.app.state.store
    first_run = _run_views(client, 1)
    before = _table_counts(store)
    assert set(TABLES) <= set(before)
    assert before["runs"] == 1 and before["results"] == 2

    inject, invoices = STAGES[stage]
    caplog.clear()
    with monkeypatch.context() as patch, inject(store, patch):
        response = upload(client, NEW_CLAIMS, invoices)
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    # The server logs the exception's type, never its text (which may carry patient data).
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and re.fullmatch(r"unexpected \w+ on POST /api/upload/", errors[0])
    assert "PHI-4711" not in caplog.text

    assert _table_counts(store) == before
    assert list(settings.resolved_upload_dir().iterdir()) == []
    assert _run_views(client, 1) == first_run
    assert client.get("/api/runs").json()["count"] == 1
    # And the store takes the next upload.
    retry = upload(client, NEW_CLAIMS, NEW_INVOICES)
    assert retry.status_code == 201, retry.text
    assert retry.json()["summary"]["underpaid"] == 1
    assert retry.json()["summary"]["balanced"] == 1
    assert [r["run_id"] for r in client.get("/api/runs").json()["data"]] == [
        retry.json()["run_id"],
        1,
    ]


def _direct_counts(database: str) -> dict[str, int]:
    """Every table's rows, read with the engine's own client while no server runs."""
    sql = (
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() ORDER BY table_name"
    )
    opened = psycopg.connect(database) if database.startswith("postgresql") else None
    with opened or duckdb.connect(database) as conn:
        names = [row[0] for row in conn.execute(sql).fetchall()]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _served_views(base: str, run_id: int) -> list[bytes]:
    responses = [httpx2.get(f"{base}/api/runs/{run_id}{view}") for view in RUN_VIEWS]
    assert [r.status_code for r in responses] == [200] * len(RUN_VIEWS)
    return [r.content for r in responses]


def _wait_for(condition, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.005)
    pytest.fail(f"timed out waiting for {what}")


def _stop(process) -> None:
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def big_files(tmp_path_factory):
    # Large enough that reconciling takes a second or more after the stage is logged.
    return generate(tmp_path_factory.mktemp("big"), claims=300_000, seed=5)


TRANSFER, RECONCILING = "during the transfer", "while reconciling"


def test_a_deletion_that_cannot_be_recorded_deletes_nothing(client, monkeypatch):
    assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
    store = client.app.state.store
    first_run = _run_views(client, 1)
    before = _table_counts(store)

    with monkeypatch.context() as patch:
        _break(
            patch, store, "_insert_event", when=lambda _cur, event, _run: event.action == "delete"
        )
        response = client.delete("/api/runs/1")
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert _table_counts(store) == before
    assert _run_views(client, 1) == first_run

    assert client.delete("/api/runs/1").status_code == 204
    newest = client.get("/api/audit").json()["data"][0]
    assert (newest["action"], newest["run_id"]) == ("delete", 1)
    assert client.get("/api/runs/1").status_code == 404


@pytest.mark.parametrize("moment", [TRANSFER, RECONCILING])
@pytest.mark.parametrize("store", STORES)
def test_killing_the_server_mid_upload_leaves_earlier_runs_intact(
    request, tmp_path, big_files, store, moment
):
    if store == "duckdb":
        database = str(tmp_path / "store" / "claims_recon.duckdb")
    else:
        database = request.getfixturevalue("postgres_schema_url")
    spool = tmp_path / "spool"
    env = {"CLAIMS_RECON_UPLOAD_DIR": str(spool)}

    process, base = start_server(database, tmp_path, **env)
    try:
        seed = httpx2.post(
            f"{base}/api/upload",
            files={"claims": ("c.csv", SEED_CLAIMS), "invoices": ("i.csv", SEED_INVOICES)},
        )
        assert seed.status_code == 201
        seed_views = _served_views(base, 1)
    finally:
        _stop(process)
    before = _direct_counts(database)
    assert before["runs"] == 1 and before["results"] == 2 and before["invoices"] == 3
    assert set(TABLES) <= set(before)

    claims = big_files.claims_path.read_bytes()
    invoices = big_files.invoices_path.read_bytes()
    killed = threading.Event()
    first_part = 2 << 20

    def body():
        yield b'--b0undary\r\nContent-Disposition: form-data; name="claims"; filename="c.csv"'
        yield b"\r\n\r\n"
        yield claims[:first_part]
        if moment == TRANSFER:
            killed.wait(60)  # the rest is never sent: the server dies first
        yield claims[first_part:]
        yield (
            b'\r\n--b0undary\r\nContent-Disposition: form-data; name="invoices"; '
            b'filename="i.csv"\r\n\r\n'
        )
        yield invoices
        yield b"\r\n--b0undary--\r\n"

    answered: list[int] = []

    def send():
        with contextlib.suppress(httpx2.HTTPError):  # the server is killed under it
            response = httpx2.post(
                f"{base}/api/upload",
                content=body(),
                headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
                timeout=60,
            )
            answered.append(response.status_code)

    blocker = monitor = None
    blocked_pid = None
    process, base = start_server(database, tmp_path, **env)
    log = tmp_path / f"server-{base.rsplit(':', 1)[1]}.log"
    sender = threading.Thread(target=send)
    try:
        if store == "postgresql" and moment == RECONCILING:
            # The upload can write everything but its run record, and never commit.
            blocker = psycopg.connect(database)
            blocker.execute("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE")
            monitor = psycopg.connect(database, autocommit=True)
        sender.start()
        if moment == TRANSFER:
            _wait_for(
                lambda: any(p.stat().st_size >= 1 << 20 for p in spool.glob("claims-*.csv")),
                "the server to spool the first megabyte",
            )
        else:
            _wait_for(lambda: b"; reconciling" in log.read_bytes(), "the reconciling stage")
            if monitor is not None:
                blocked_pid = _wait_for(
                    lambda: monitor.execute(
                        "SELECT pid FROM pg_locks WHERE relation = 'runs'::regclass AND NOT granted"
                    ).fetchone(),
                    "the upload to wait for its run record",
                )[0]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        killed.set()
        if process.poll() is None:
            process.kill()
        if blocker is not None:
            blocker.close()  # rolls back: the killed upload's backend may go on, and end
        sender.join(60)
    assert not sender.is_alive()
    assert answered == []  # the server died before it could answer (or commit)
    if monitor is not None:
        _wait_for(
            lambda: (
                not monitor.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (blocked_pid,)
                ).fetchone()
            ),
            "the killed upload's database session to end",
        )
        monitor.close()

    # The first open after the kill (DuckDB replays its log here) finds only the seed run.
    after = _direct_counts(database)
    assert after == before
    # No table was left behind either (PostgreSQL: no partition of the killed run).
    partitions = ["invoices_d1", "orphans_r1", "results_r1"] if store == "postgresql" else []
    assert sorted(set(after) - set(TABLES)) == partitions
    process, base = start_server(database, tmp_path, **env)
    try:
        runs = httpx2.get(f"{base}/api/runs").json()
        assert runs["count"] == 1
        assert [run["run_id"] for run in runs["data"]] == [1]
        assert _served_views(base, 1) == seed_views
        # The killed process's files (with patient data) went at the restart: no living
        # process held them, though replicas may share the folder.
        assert list(spool.iterdir()) == []
        # And the store takes the next upload.
        again = httpx2.post(
            f"{base}/api/upload",
            files={"claims": ("c.csv", NEW_CLAIMS), "invoices": ("i.csv", NEW_INVOICES)},
        )
        assert again.status_code == 201, again.text
        assert again.json()["summary"]["underpaid"] == 1
    finally:
        _stop(process)
