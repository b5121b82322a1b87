"""What the numbers were measured on: CPU, memory, versions, load."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _commit() -> str | None:
    """The checked-out commit, read from .git's files (no git process is started)."""
    git = REPO / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        loose = git / ref
        if loose.exists():
            return loose.read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return None


def postgres_version(url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=5) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])
    except Exception:  # a missing server only means there is no version to report
        return None


def machine_info(pg_url: str | None) -> dict[str, object]:
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "cores": _usable_cores(),
        "ram_gib": _mem_total_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "duckdb": duckdb.__version__,
        "postgresql": postgres_version(pg_url) if pg_url else None,
        "commit": _commit(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
