"""A bounded load test against the server on loopback: fixed clients, fixed duration.

Uses ``wrk`` when it is installed (a C client leaves the two cores to the server), and
Python threads otherwise (whose own CPU use lowers the requests/s they can show). Either
way only 127.0.0.1 is targeted and the test ends by itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from http_client import Connection, HttpError
from stats import latency_summary

WRK_THREADS = 2
WRK_TIMEOUT_S = 10
# Python clients never send more than this many requests, whatever the duration.
MAX_PYTHON_REQUESTS = 200_000


def run_load(
    base_url: str, paths: Sequence[str], *, clients: int, duration_s: float, tool: str
) -> dict[str, object]:
    if urlsplit(base_url).hostname != "127.0.0.1":
        raise ValueError("the load test only targets 127.0.0.1")
    chosen = tool if tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    if chosen == "wrk":
        result = _wrk(base_url, paths, clients, duration_s)
    else:
        result = _threads(base_url, paths, clients, duration_s)
    setup = {"tool": chosen, "clients": clients, "duration_s": duration_s, "paths": list(paths)}
    return setup | result


def _lua_script(paths: Sequence[str]) -> str:
    # Each wrk thread cycles through the paths in turn, so the mix is the same for all.
    listed = ", ".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    return (
        f"local paths = {{{listed}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        '  return wrk.format("GET", paths[(i % #paths) + 1])\n'
        "end\n"
    )


def _wrk(base_url: str, paths: Sequence[str], clients: int, duration_s: float) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua_script(paths))
    try:
        command = ["wrk", f"-t{WRK_THREADS}", f"-c{clients}", f"-d{int(duration_s)}s"]
        command += ["--latency", f"--timeout={WRK_TIMEOUT_S}s", "-s", script.name, base_url]
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + 60, check=True
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    return parse_wrk(completed.stdout)


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[match.group(2)]
    return float(match.group(1)) * scale


def parse_wrk(output: str) -> dict[str, object]:
    percentiles = {
        int(q): _duration_ms(v) for q, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.M)
    }
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return {
        "requests": requests,
        "requests_per_s": round(rate, 1),
        "errors": errors,
        "p50_ms": round(percentiles.get(50, float("nan")), 2),
        "p99_ms": round(percentiles.get(99, float("nan")), 2),
        "raw": output,
    }


def _threads(
    base_url: str, paths: Sequence[str], clients: int, duration_s: float
) -> dict[str, object]:
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration_s
    per_client = max(1, MAX_PYTHON_REQUESTS // clients)

    def client(offset: int) -> None:
        conn = Connection(base_url, timeout=30)
        mine: list[float] = []
        failures = 0
        index = offset
        try:
            while time.monotonic() < deadline and index - offset < per_client:
                try:
                    mine.append(conn.timed_get(paths[index % len(paths)]))
                except (OSError, HttpError):
                    failures += 1
                index += 1
        finally:
            conn.close()
            with lock:
                samples.extend(mine)
                errors[0] += failures

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    summary = latency_summary(samples)
    return {
        "requests": len(samples),
        "requests_per_s": round(len(samples) / elapsed, 1),
        "errors": errors[0],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
    }
