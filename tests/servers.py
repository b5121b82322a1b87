"""Running the real server (the README's command) as a subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


UVICORN = (sys.executable, "-m", "uvicorn", "app.main:app", "--no-access-log")
# The console script, as installed by `pip install -r requirements.txt`.
CLAIMS_RECON = (str(Path(sys.executable).with_name("claims-recon")), "serve")


def start_server(
    database_url: str,
    workdir: Path,
    *,
    command: tuple[str, ...] = UVICORN,
    cwd: Path = ROOT,
    **env: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server on 127.0.0.1 and wait until /health answers."""
    port = free_port()
    environment = {**os.environ, "CLAIMS_RECON_DATABASE_URL": database_url, **env}
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=cwd,
        env=environment,
        # uvicorn writes its access log to stdout and the rest to stderr: keep both.
        stdout=(workdir / f"server-{port}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx2.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx2.HTTPError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"the server did not start; see {workdir}/server-{port}.log")
