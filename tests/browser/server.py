"""The real server in a subprocess: ``uvicorn app.main:app`` on a free loopback port with its
own DuckDB file, started the way a user starts it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
UVICORN = [sys.executable, "-m", "uvicorn", "app.main:app"]


@dataclass
class Server:
    base: str
    log: Path

    def url(self, path: str) -> str:
        return self.base + path

    def json(self, path: str) -> Any:
        """GET a JSON endpoint; amounts come back as exact Decimals."""
        with urllib.request.urlopen(self.url(path), timeout=10) as response:
            return json.load(response, parse_float=Decimal)

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url(path), timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(folder: Path, settings: dict[str, str] | None = None) -> Iterator[Server]:
    """``settings``: extra ``CLAIMS_RECON_*`` environment variables for this server."""
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {
        **os.environ,
        "CLAIMS_RECON_DATABASE_URL": str(folder / "claims_recon.duckdb"),
        "PYTHONUNBUFFERED": "1",  # the log is read by a test while the server runs
        **(settings or {}),
    }
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*UVICORN, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Server(f"http://127.0.0.1:{port}", log_path)
        try:
            _wait_healthy(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_healthy(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{server.log.read_text()}")
        try:
            if server.json("/health") == {"status": "ok"}:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy:\n{server.log.read_text()}")
