"""Many uploads and reads at once against one server process (either store): every run
complete and consistent, none lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from claims_recon.sampledata import generate


def test_parallel_uploads_and_reads(client, tmp_path):
    sets = [generate(tmp_path / f"s{n}", claims=120 + 10 * n, seed=n) for n in range(6)]

    def upload(n: int):
        files = sets[n]
        return client.post(
            "/api/upload",
            files={
                "claims": ("claims.csv", files.claims_path.read_bytes()),
                "invoices": ("invoices.csv", files.invoices_path.read_bytes()),
            },
        )

    def read(_: int) -> list[tuple[int, int, int]]:
        seen = []
        for _ in range(5):
            for run in client.get("/api/runs").json()["data"]:
                page = client.get(f"/api/runs/{run['run_id']}/reconciliation?limit=1").json()
                seen.append((run["run_id"], run["counts"]["total_claims"], page["total"]))
        return seen

    with ThreadPoolExecutor(max_workers=8) as pool:
        uploads = [pool.submit(upload, n) for n in range(6)]
        reads = [pool.submit(read, n) for n in range(3)]
        responses = [u.result() for u in uploads]
        observed = [item for r in reads for item in r.result()]

    assert [r.status_code for r in responses] == [201] * 6
    by_run = {r.json()["run_id"]: sets[n].claims_rows for n, r in enumerate(responses)}
    assert len(by_run) == 6
    assert all(total == claims for _, total, claims in observed)  # never half-written
    runs = client.get("/api/runs").json()
    assert runs["count"] == 6
    assert {r["run_id"]: r["counts"]["total_claims"] for r in runs["data"]} == by_run
