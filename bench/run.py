"""claims-recon benchmark: the real server over HTTP against the floors of the same work.

    .venv/bin/python bench/run.py [--sizes default,1m] [--runs 5] [--stores duckdb,postgresql]
                                  [--out bench/results/latest.json]

For each size: generate (or reuse) the data set; time the floors and the naive baseline in
their own processes; then per store, upload into a fresh store and server ``--runs`` times,
and browse, export and load-test the last run. Prints a markdown table, writes all raw
figures as JSON. Not part of the test suite; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import data_sets
import report
from http_client import probing, sample_latencies, stream_download, upload
from loadtest import run_load
from machine import REPO, machine_info, postgres_version
from server import Server, running_server, store_url
from stats import latency_summary

BENCH = Path(__file__).resolve().parent
DEFAULT_PG_URL = "postgresql://root@127.0.0.1:5432/test"
# Deep pages sit at skip=100,000 in a million claims; other sizes keep that proportion.
DEEP_SKIP_PER_CLAIM = 0.1
CLAIM_SAMPLES = 50
Json = dict[str, Any]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Other work on the machine skews every figure. Before each phase the benchmark waits (up
# to SETTLE_S) for idle CPUs, then records how busy they were over the last second: unlike
# the load average, that no longer counts the benchmark's own previous phase.
PHASES: list[Json] = []
SETTLE_S = 30.0
IDLE_BELOW = 0.10


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of all CPUs' time spent busy over the next ``seconds`` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, all

    idle_before, total_before = sample()
    time.sleep(seconds)
    idle_after, total_after = sample()
    total = total_after - total_before
    return 0.0 if total <= 0 else 1.0 - (idle_after - idle_before) / total


def mark(label: str) -> None:
    started = time.monotonic()
    busy = cpu_busy()
    while busy > IDLE_BELOW and time.monotonic() - started < SETTLE_S:
        busy = cpu_busy()
    PHASES.append(
        {
            "phase": label,
            "cpu_busy": round(busy, 3),
            "waited_s": round(time.monotonic() - started, 1),
            "load1": round(os.getloadavg()[0], 2),
        }
    )


def wait_for_quiet(max_wait_s: float, threshold: float = 0.5) -> None:
    """Wait (up to ``max_wait_s``) until the machine looks idle, e.g. after a build."""
    deadline = time.monotonic() + max_wait_s
    while os.getloadavg()[0] > threshold and time.monotonic() < deadline:
        log(f"waiting for a quiet machine (load {os.getloadavg()[0]:.2f})")
        time.sleep(15)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter
    )
    add = parser.add_argument
    add("--sizes", default="default,1m", help="comma-separated: default, 1m, 10m, 250k, …")
    add("--runs", type=int, default=5, help="repetitions of uploads and floors (median)")
    add("--stores", default="duckdb,postgresql", help="comma-separated: duckdb, postgresql")
    add("--out", type=Path, default=BENCH / "results" / "latest.json", help="raw figures")
    add("--markdown", type=Path, default=BENCH / "results" / "latest.md", help="the table")
    add("--data-dir", type=Path, default=BENCH / "data", help="cache of generated data sets")
    add("--tmp-dir", type=Path, default=None, help="where fresh DuckDB stores go (default: TMP)")
    add("--seed", type=int, default=42, help="generator seed")
    add("--pg-url", default=DEFAULT_PG_URL, help="PostgreSQL server for the team store")
    add("--requests", type=int, default=200, help="timed requests per endpoint")
    add("--warmup", type=int, default=10, help="untimed requests per endpoint first")
    add("--endpoint-budget", type=float, default=60.0, help="seconds at most per endpoint")
    add("--load-clients", type=int, default=50, help="concurrent clients in the load test")
    add("--load-seconds", type=float, default=30.0, help="duration of the load test")
    add("--load-tool", choices=("auto", "wrk", "python"), default="auto")
    add(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra server environment, e.g. CLAIMS_RECON_MEMORY_LIMIT=1GB (repeatable)",
    )
    add("--wait-idle", type=float, default=0.0, help="wait up to N s for load average < 0.5")
    add("--baseline-runs", type=int, default=None, help="naive baseline runs (default --runs)")
    add(
        "--baseline-max-claims",
        type=int,
        default=2_000_000,
        help="skip the naive baseline above this many claims (it needs ~1.5 GB per 1M)",
    )
    return parser.parse_args(argv)


# -- references -------------------------------------------------------------------------


def _json_process(command: list[str]) -> Json:
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_floors(data: data_sets.DataSet, runs: int, tmp_dir: Path | None) -> Json:
    floors: Json = {}
    for mode in ("compute", "persisted", "results-only"):
        mark(f"{data.name} {mode} floor")
        floors[mode] = []
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="claims-recon-floor-", dir=tmp_dir) as tmp:
                command = [sys.executable, str(BENCH / "floors.py"), mode]
                command += ["--claims", str(data.claims_path)]
                command += ["--invoices", str(data.invoices_path)]
                command += ["--db", str(Path(tmp) / "floor.duckdb")]
                floors[mode].append(_json_process(command))
        log(f"  {mode} floor: {[r['seconds'] for r in floors[mode]]} s")
    return floors


def run_baseline(data: data_sets.DataSet, runs: int, max_claims: int) -> list[Json] | Json:
    if data.claims_rows > max_claims:
        return {"skipped": f"more than {max_claims:,} claims (see --baseline-max-claims)"}
    results = []
    mark(f"{data.name} naive baseline")
    for _ in range(runs):
        command = [sys.executable, str(BENCH / "baseline.py")]
        command += ["--claims", str(data.claims_path), "--invoices", str(data.invoices_path)]
        results.append(_json_process(command))
    log(f"  naive baseline: {[r['seconds'] for r in results]} s")
    return results


# -- the server -----------------------------------------------------------------------


def measure_upload(server: Server, data: data_sets.DataSet) -> tuple[int, Json]:
    cpu_before = server.cpu_seconds()
    with probing(server.base_url, "/health") as probe:
        outcome = upload(server.base_url, data.claims_path, data.invoices_path)
    cpu_s = server.cpu_seconds() - cpu_before
    run = outcome.body["run"]
    if run["counts"]["total_claims"] != data.claims_rows:
        raise RuntimeError(f"run {run['run_id']} has {run['counts']['total_claims']} claims")
    figures = {
        "seconds": round(outcome.seconds, 4),
        "server_cpu_s": round(cpu_s, 3),
        "server_timings": run["timings"],
        "peak_rss_kb_after_upload": server.memory_kb("VmHWM"),
        "health": {**latency_summary(probe.samples_ms), "errors": probe.errors}
        | {"samples_ms": [round(s, 3) for s in probe.samples_ms]},
    }
    return int(outcome.body["run_id"]), figures


def browse_paths(run_id: int, deep_skip: int, claim_ids: list[str]) -> dict[str, list[str]]:
    results = f"/api/runs/{run_id}/reconciliation"
    return {
        "health": ["/health"],
        "first_page": [f"{results}?limit=100"],
        "status_page": [f"{results}?status=UNDERPAID&skip={deep_skip}&limit=100"],
        "sorted_page": [f"{results}?sort=-variance&skip={deep_skip}&limit=100"],
        "summary": [f"/api/runs/{run_id}/summary"],
        "claim": [f"/api/runs/{run_id}/claims/{claim_id}" for claim_id in claim_ids],
        # The web page a person browses: the same view rendered as HTML.
        "web_page": [f"/runs/{run_id}/claims?status=UNDERPAID&sort=-variance&skip={deep_skip}"],
    }


def measure_browsing(server: Server, paths: dict[str, list[str]], args: argparse.Namespace) -> Json:
    browse: Json = {}
    for name, endpoint_paths in paths.items():
        first_ms, samples = sample_latencies(
            server.base_url,
            endpoint_paths,
            requests=args.requests,
            warmup=args.warmup,
            budget_s=args.endpoint_budget,
        )
        browse[name] = {"paths": endpoint_paths[:3], "first_ms": round(first_ms, 3)}
        browse[name] |= latency_summary(samples)
        browse[name]["samples_ms"] = [round(s, 3) for s in samples]
        log(
            f"    {name}: first {first_ms:.1f} ms, p50 {browse[name]['p50_ms']} ms, "
            f"p99 {browse[name]['p99_ms']} ms"
        )
    return browse


def measure_export(server: Server, run_id: int) -> Json:
    path = f"/api/runs/{run_id}/reconciliation/export?format=csv"
    outcome = stream_download(server.base_url, path, lambda: server.memory_kb("VmRSS"))
    log(f"    export: {outcome.bytes / 1e6:.0f} MB at {outcome.mb_per_s:.1f} MB/s")
    return {
        "path": path,
        "bytes": outcome.bytes,
        "seconds": round(outcome.seconds, 4),
        "mb_per_s": round(outcome.mb_per_s, 2),
        "rss_before_kb": outcome.rss_before_kb,
        "rss_peak_kb": outcome.rss_peak_kb,
        "rss_growth_kb": outcome.rss_peak_kb - outcome.rss_before_kb,
    }


def load_paths(run_id: int, deep_skip: int) -> list[str]:
    """What many people browsing at once ask for: first pages, filtered pages, summaries."""
    results = f"/api/runs/{run_id}/reconciliation"
    return [
        f"{results}?limit=100",
        f"{results}?skip=1000&limit=100",
        f"{results}?status=UNDERPAID&limit=100",
        f"{results}?status=OVERPAID&skip={deep_skip // 10}&limit=100",
        f"{results}?sort=-variance&limit=100",
        f"/api/runs/{run_id}/summary",
    ]


def measure_last_run(
    server: Server, run_id: int, data: data_sets.DataSet, args: argparse.Namespace
) -> Json:
    deep_skip = deep_skip_for(data)
    mark(f"{data.name} browsing")
    claim_ids = data_sets.sample_claim_ids(data, CLAIM_SAMPLES)
    paths = browse_paths(run_id, deep_skip, claim_ids)
    browse = measure_browsing(server, paths, args)
    export = measure_export(server, run_id)
    load = run_load(
        server.base_url,
        load_paths(run_id, deep_skip),
        clients=args.load_clients,
        duration_s=args.load_seconds,
        tool=args.load_tool,
    )
    log(f"    load: {load['requests_per_s']} req/s, p99 {load['p99_ms']} ms, {load['errors']} err")
    return {
        "browse": browse,
        "export": export,
        "load": load,
        "peak_rss_kb": server.memory_kb("VmHWM"),
    }


def bench_store(store: str, data: data_sets.DataSet, args: argparse.Namespace) -> Json:
    """``--runs`` uploads, each into a fresh store and server; the last run is then browsed."""
    uploads: list[Json] = []
    result: Json = {}
    log_dir = args.out.parent / "logs"
    for index in range(args.runs):
        mark(f"{data.name} {store} upload {index + 1}")
        with (
            store_url(store, args.tmp_dir, args.pg_url) as url,
            running_server(url, log_dir, server_env(args)) as server,
        ):
            run_id, figures = measure_upload(server, data)
            uploads.append(figures)
            log(f"  {store} upload {index + 1}/{args.runs}: {figures['seconds']:.2f} s")
            if index == args.runs - 1:
                result = measure_last_run(server, run_id, data, args)
    return {"upload_mode": "fresh store and server per upload", "uploads": uploads} | result


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = {}
    for item in args.server_env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"--server-env takes NAME=VALUE, not {item!r}")
        env[name] = value
    return env


def deep_skip_for(data: data_sets.DataSet) -> int:
    return round(data.claims_rows * DEEP_SKIP_PER_CLAIM)


# -- the whole run ----------------------------------------------------------------------


def bench_size(name: str, stores: list[str], args: argparse.Namespace) -> Json:
    data = data_sets.ensure(name, args.data_dir, args.seed)
    how = "reused" if data.generated_s is None else f"generated in {data.generated_s} s"
    log(f"{name}: {data.claims_rows:,} claims, {data.invoices_rows:,} invoices ({how})")
    size: Json = {
        "dataset": data.as_json(),
        "deep_skip": deep_skip_for(data),
        "upload_mode": "fresh store and server per upload (median of "
        f"{args.runs}); the last run is browsed",
        "floors": run_floors(data, args.runs, args.tmp_dir),
        "baseline": run_baseline(data, args.baseline_runs or args.runs, args.baseline_max_claims),
        "stores": {},
    }
    for store in stores:
        size["stores"][store] = bench_store(store, data, args)
    return size


def usable_stores(requested: list[str], pg_url: str) -> tuple[list[str], dict[str, str]]:
    skipped = {}
    stores = []
    for store in requested:
        if store == "postgresql" and postgres_version(pg_url) is None:
            skipped[store] = "PostgreSQL is not reachable at --pg-url"
            log(f"skipping postgresql: not reachable at {pg_url.split('@')[-1]}")
            continue
        stores.append(store)
    return stores, skipped


def _stop_on_sigterm() -> None:
    # Turn SIGTERM into an exception, so servers are stopped and schemas dropped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _stop_on_sigterm()
    wait_for_quiet(args.wait_idle)
    requested = [s.strip() for s in args.stores.split(",") if s.strip()]
    stores, skipped = usable_stores(requested, args.pg_url)
    results: Json = {
        "command": "python bench/run.py " + shlex.join(sys.argv[1:] if argv is None else argv),
        "machine": machine_info(args.pg_url if "postgresql" in stores else None),
        "skipped_stores": skipped,
        "server_env": server_env(args),
        "sizes": {},
    }
    started = time.perf_counter()
    for name in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        results["sizes"][name] = bench_size(name, stores, args)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    mark("end")
    results["phases"] = PHASES
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    table = report.markdown(results)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(table + "\n")
    print(table)
    log(f"wrote {args.out} and {args.markdown} in {results['elapsed_s']} s")


if __name__ == "__main__":
    main()
