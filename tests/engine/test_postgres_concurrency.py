"""Several server processes on one PostgreSQL database: parallel uploads and reads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx2
import pytest

from claims_recon.sampledata import generate
from tests.servers import start_server


@pytest.fixture
def two_servers(postgres_schema_url, tmp_path):
    with ExitStack() as stack:
        bases = []
        for _ in range(2):
            process, base = start_server(postgres_schema_url, tmp_path, CLAIMS_RECON_POOL_SIZE="4")
            stack.callback(process.wait, 10)
            stack.callback(process.terminate)
            bases.append(base)
        yield bases


def test_parallel_uploads_through_two_processes_make_complete_runs(two_servers, tmp_path):
    sets = []
    for n in range(6):
        folder = tmp_path / f"set{n}"
        files = generate(folder, claims=150 + 25 * n, seed=100 + n, orphans=n)
        sets.append((folder, files.claims_rows))

    def upload(n: int) -> httpx2.Response:
        folder, _ = sets[n]
        with (folder / "claims.csv").open("rb") as c, (folder / "invoices.csv").open("rb") as i:
            return httpx2.post(
                f"{two_servers[n % 2]}/api/upload",
                files={"claims": ("claims.csv", c), "invoices": ("invoices.csv", i)},
                timeout=60,
            )

    seen_incomplete: list[str] = []

    def read(n: int) -> None:
        base = two_servers[n % 2]
        for _ in range(5):
            for run in httpx2.get(f"{base}/api/runs", timeout=30).json()["data"]:
                page = httpx2.get(
                    f"{base}/api/runs/{run['run_id']}/reconciliation?limit=1", timeout=30
                ).json()
                if page["total"] != run["counts"]["total_claims"]:
                    seen_incomplete.append(f"run {run['run_id']}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        uploads = [pool.submit(upload, n) for n in range(6)]
        readers = [pool.submit(read, n) for n in range(4)]
        responses = [u.result() for u in uploads]
        for r in readers:
            r.result()

    assert [r.status_code for r in responses] == [201] * 6
    expected = {r.json()["run_id"]: sets[n][1] for n, r in enumerate(responses)}
    assert len(expected) == 6  # six distinct runs
    assert seen_incomplete == []  # no reader ever saw a half-written run
    for base in two_servers:
        runs = httpx2.get(f"{base}/api/runs", timeout=30).json()
        assert runs["count"] == 6
        for run in runs["data"]:
            assert run["counts"]["total_claims"] == expected[run["run_id"]]
            summary = httpx2.get(f"{base}/api/runs/{run['run_id']}/summary", timeout=30).json()
            assert summary["total_claims"] == expected[run["run_id"]]
