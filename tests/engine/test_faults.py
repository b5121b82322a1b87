"""Atomicity under faults: an exception at any ingest stage, or a killed server, leaves no
partial run, no stray rows and no spool files; earlier runs are untouched."""

from __future__ import annotations

import contextlib
import signal
import threading
import time

import httpx2
import pytest

from claims_recon.engine import sql_store
from claims_recon.sampledata import generate
from tests.conftest import SEED_CLAIMS, SEED_INVOICES, upload
from tests.servers import start_server

NEW_CLAIMS = SEED_CLAIMS.replace("c1,", "c7,").replace("c2,", "c8,")
NEW_INVOICES = SEED_INVOICES.replace(",c1,", ",c7,").replace(",c2,", ",c8,")


def _row_counts(store) -> dict[str, int]:
    with store._session() as session:  # the test inspects every table directly
        return {
            table: session.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("runs", "results", "invoices", "orphans", "datasets")
        }


def _fail(*_args, **_kwargs):
    raise RuntimeError("injected fault")


STAGES = {
    "loading invoices": lambda store, mp: mp.setattr(store, "_load_invoices", _fail),
    "reading claims": lambda store, mp: mp.setattr(store, "_claims_relation", _fail),
    "recording a file": lambda store, mp: mp.setattr(store, "_record_dataset", _fail),
    "summarising": lambda store, mp: mp.setattr(sql_store, "_compute_summary", _fail),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_an_exception_at_any_stage_leaves_no_trace(client, settings, monkeypatch, stage):
    assert upload(client, SEED_CLAIMS, SEED_INVOICES).status_code == 201
    store = client.app.state.store
    before = _row_counts(store)
    first_run = client.get("/api/runs/1/reconciliation").json()

    with monkeypatch.context() as patch:
        STAGES[stage](store, patch)
        response = upload(client, NEW_CLAIMS, NEW_INVOICES)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"

    assert _row_counts(store) == before
    assert client.get("/api/runs").json()["count"] == 1
    assert client.get("/api/runs/1/reconciliation").json() == first_run
    assert list(settings.resolved_upload_dir().glob("*")) == []
    # And the store still works.
    assert upload(client, NEW_CLAIMS, NEW_INVOICES).status_code == 201


@pytest.mark.parametrize("moment", ["during the transfer", "while reconciling"])
def test_killing_the_server_mid_upload_leaves_earlier_runs_intact(tmp_path, moment):
    database = str(tmp_path / "store" / "claims_recon.duckdb")
    files = generate(tmp_path / "big", claims=150_000, seed=5)
    process, base = start_server(database, tmp_path)
    try:
        seed = httpx2.post(
            f"{base}/api/upload",
            files={"claims": ("c.csv", SEED_CLAIMS), "invoices": ("i.csv", SEED_INVOICES)},
        )
        assert seed.status_code == 201

        claims = files.claims_path.read_bytes()
        invoices = files.invoices_path.read_bytes()
        sent_everything = threading.Event()

        def body():
            boundary = b"--b0undary"
            yield (
                boundary
                + b'\r\nContent-Disposition: form-data; name="claims"; filename="c.csv"\r\n\r\n'
            )
            for start in range(0, len(claims), 1 << 20):
                yield claims[start : start + (1 << 20)]
                if moment == "during the transfer":
                    time.sleep(0.2)
            yield (
                b"\r\n"
                + boundary
                + b'\r\nContent-Disposition: form-data; name="invoices"; filename="i.csv"\r\n\r\n'
            )
            yield invoices
            yield b"\r\n" + boundary + b"--\r\n"
            sent_everything.set()

        def send():
            with contextlib.suppress(httpx2.HTTPError):  # the server is killed under it
                httpx2.post(
                    f"{base}/api/upload",
                    content=body(),
                    headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
                    timeout=60,
                )

        sender = threading.Thread(target=send)
        sender.start()
        if moment == "during the transfer":
            time.sleep(0.5)
        else:
            assert sent_everything.wait(30)
            time.sleep(0.3)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        sender.join(30)
    finally:
        if process.poll() is None:
            process.kill()

    process, base = start_server(database, tmp_path)
    try:
        runs = httpx2.get(f"{base}/api/runs").json()
        # Either the upload committed completely before the kill, or it left nothing.
        assert runs["count"] in (1, 2)
        for run in runs["data"]:
            page = httpx2.get(f"{base}/api/runs/{run['run_id']}/reconciliation?limit=1").json()
            assert page["total"] == run["counts"]["total_claims"]
        assert httpx2.get(f"{base}/api/runs/1/summary").json()["underpaid"] == 1
        spool = tmp_path / "store" / "uploads"
        assert not spool.exists() or list(spool.iterdir()) == []
    finally:
        process.terminate()
        process.wait(10)
