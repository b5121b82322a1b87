"""The real server, started the way the README does, on a fresh store each time.

``uvicorn app.main:app --host 127.0.0.1 --port <free port>`` in its own process, with
``CLAIMS_RECON_DATABASE_URL`` pointing at a new DuckDB file in a temporary folder or at a
new PostgreSQL schema that is dropped afterwards. Memory is read from /proc of that process.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    log_path: Path

    def memory_kb(self, field: str = "VmHWM") -> int:
        """A memory figure of the server process: VmHWM (peak RSS) or VmRSS (current)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{field} not found for pid {self.pid}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (all its threads).

        Unlike wall time, this barely moves when other work shares the machine, so it
        keeps a busy run comparable with a quiet one.
        """
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        # Fields after the parenthesised command name; utime and stime are the 12th/13th.
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def duckdb_store(tmp_root: Path | None) -> Iterator[str]:
    """A fresh DuckDB file (its upload spool lands beside it); removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="claims-recon-bench-", dir=tmp_root))
    try:
        yield str(folder / "claims_recon.duckdb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_store(base_url: str) -> Iterator[str]:
    """A fresh schema on the server of ``base_url``; dropped afterwards."""
    import psycopg

    schema = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        separator = "&" if "?" in base_url else "?"
        yield f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def store_url(store: str, tmp_root: Path | None, pg_url: str) -> Iterator[str]:
    if store == "duckdb":
        with duckdb_store(tmp_root) as url:
            yield url
    elif store == "postgresql":
        with postgres_store(pg_url) as url:
            yield url
    else:
        raise ValueError(f"unknown store {store!r}")


@contextmanager
def running_server(
    database_url: str, log_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-{port}.log"
    env = {**os.environ, **(extra_env or {}), "CLAIMS_RECON_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "uvicorn", "app.main:app"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    server = Server(f"http://127.0.0.1:{port}", process.pid, log_path)
    try:
        _wait_ready(server, process)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(server.base_url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /health within {STARTUP_TIMEOUT_S:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
