"""A bounded load test against the real server on loopback, on either store: many clients at
once get no error and exactly the answers one client gets alone."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import httpx2

from claims_recon.sampledata import generate
from tests.servers import start_server

CLIENTS = 32
REQUESTS_PER_CLIENT = 30


def _paths(run_id: int, claim_ids: list[str]) -> list[str]:
    runs = f"/api/runs/{run_id}"
    paths = [f"{runs}/summary", "/api/summary", f"{runs}/orphans?limit=20", "/api/runs"]
    for skip in (0, 40, 400, 1200):
        paths += [
            f"{runs}/reconciliation?status=UNDERPAID&skip={skip}&limit=25",
            f"{runs}/reconciliation?sort=-variance&skip={skip}&limit=25",
            f"{runs}/reconciliation?sort=patient_id&has_refunds=false&skip={skip}&limit=25",
        ]
    paths += [f"{runs}/claims/{claim}" for claim in claim_ids]
    return paths


def test_many_clients_at_once_get_no_error_and_the_same_answers(settings, tmp_path):
    files = generate(tmp_path / "data", claims=3000, seed=21, orphans=5)
    # A small PostgreSQL pool, so that clients also queue for connections.
    env = {
        "CLAIMS_RECON_UPLOAD_DIR": str(settings.resolved_upload_dir()),
        "CLAIMS_RECON_POOL_SIZE": "4",
    }
    process, base = start_server(settings.database_url, tmp_path, **env)
    try:
        with httpx2.Client(base_url=base, timeout=60) as alone:
            uploaded = alone.post(
                "/api/upload",
                files={
                    "claims": ("claims.csv", files.claims_path.read_bytes()),
                    "invoices": ("invoices.csv", files.invoices_path.read_bytes()),
                },
            )
            assert uploaded.status_code == 201, uploaded.text
            run_id = uploaded.json()["run_id"]
            first = alone.get(f"/api/runs/{run_id}/reconciliation?limit=12").json()["data"]
            paths = _paths(run_id, [row["claim_id"] for row in first])
            # What one client alone is answered: the truth the load is held to.
            expected = {path: alone.get(path) for path in paths}
            assert {r.status_code for r in expected.values()} == {200}

        def client(offset: int) -> list[tuple[str, int, bool]]:
            order = itertools.islice(itertools.cycle(paths), offset, offset + REQUESTS_PER_CLIENT)
            seen = []
            with httpx2.Client(base_url=base, timeout=60) as http:
                for path in order:
                    response = http.get(path)
                    seen.append(
                        (path, response.status_code, response.content == expected[path].content)
                    )
            return seen

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            answered = [item for seen in pool.map(client, range(CLIENTS)) for item in seen]

        assert len(answered) == CLIENTS * REQUESTS_PER_CLIENT
        assert [(p, s) for p, s, _ in answered if s != 200] == []
        assert [p for p, _, same in answered if not same] == []
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = next(tmp_path.glob("server-*.log")).read_text()
    assert " ERROR " not in log and "Traceback" not in log
