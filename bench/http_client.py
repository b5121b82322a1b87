"""HTTP on loopback with the standard library only: uploads, timed GETs, a streamed export.

``http.client`` keeps each connection alive and adds almost nothing per request, so a
latency is the server's answer plus one loopback round trip, not a client library's cost.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

SEND_CHUNK = 1024 * 1024
READ_CHUNK = 1024 * 1024
UPLOAD_TIMEOUT_S = 3600.0
REQUEST_TIMEOUT_S = 120.0


class HttpError(RuntimeError):
    pass


class Connection:
    """One keep-alive connection; reopened transparently after the server closes it."""

    def __init__(self, base_url: str, timeout: float = REQUEST_TIMEOUT_S) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._timeout = timeout
        self._conn = self._open()

    def _open(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self._conn.request("GET", path)
                response = self._conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._conn.close()
                self._conn = self._open()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, path: str) -> dict[str, object]:
        status, body = self.get(path)
        if status != 200:
            raise HttpError(f"GET {path} answered {status}: {body[:300]!r}")
        return json.loads(body)

    def timed_get(self, path: str) -> float:
        """Milliseconds for one complete 200 response, body read to the end."""
        started = time.perf_counter()
        status, body = self.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise HttpError(f"GET {path} answered {status}: {body[:300]!r}")
        return elapsed

    def close(self) -> None:
        self._conn.close()


def sample_latencies(
    base_url: str, paths: Sequence[str], *, requests: int, warmup: int, budget_s: float
) -> tuple[float, list[float]]:
    """The first request's latency (ms), then ``requests`` sequential GETs cycling through
    ``paths`` after a warm-up.

    The first request is kept apart: it is what a person waits for when they open a view
    nobody has opened since the server started. Stops early when ``budget_s`` is spent, so
    a slow endpoint bounds the run time instead of the request count; the sample size is
    reported beside the percentiles.
    """
    conn = Connection(base_url)
    try:
        first = conn.timed_get(paths[0])
        # Warm-up gets a quarter of the budget at most: a 3-second page needs no ten tries.
        warm_until = time.monotonic() + budget_s / 4
        for index in range(warmup):
            if time.monotonic() > warm_until:
                break
            conn.timed_get(paths[index % len(paths)])
        samples: list[float] = []
        deadline = time.monotonic() + budget_s
        while len(samples) < requests and time.monotonic() < deadline:
            samples.append(conn.timed_get(paths[len(samples) % len(paths)]))
        return first, samples
    finally:
        conn.close()


@dataclass
class UploadOutcome:
    seconds: float
    status: int
    body: dict[str, object]


def _part_header(boundary: str, name: str, filename: str) -> bytes:
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def upload(base_url: str, claims: Path, invoices: Path) -> UploadOutcome:
    """POST both files as multipart to /api/upload, streamed from disk; time to the answer."""
    boundary = uuid.uuid4().hex
    parts = [(_part_header(boundary, "claims", claims.name), claims)]
    parts.append((_part_header(boundary, "invoices", invoices.name), invoices))
    closing = f"--{boundary}--\r\n".encode()
    length = sum(len(head) + path.stat().st_size + 2 for head, path in parts) + len(closing)
    parsed = urlsplit(base_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=UPLOAD_TIMEOUT_S)
    started = time.perf_counter()
    try:
        conn.putrequest("POST", "/api/upload")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        for head, path in parts:
            conn.send(head)
            with path.open("rb") as handle:
                while chunk := handle.read(SEND_CHUNK):
                    conn.send(chunk)
            conn.send(b"\r\n")
        conn.send(closing)
        response = conn.getresponse()
        body = response.read()
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    if response.status != 201:
        raise HttpError(f"upload answered {response.status}: {body[:500]!r}")
    return UploadOutcome(seconds=seconds, status=response.status, body=json.loads(body))


@dataclass
class Probe:
    """Latencies of a GET repeated from a second thread while other work runs."""

    samples_ms: list[float] = field(default_factory=list)
    errors: int = 0


@contextmanager
def probing(base_url: str, path: str, interval_s: float = 0.02) -> Iterator[Probe]:
    """GET ``path`` every ``interval_s`` from a background thread for the duration."""
    probe = Probe()
    stop = threading.Event()

    def loop() -> None:
        conn = Connection(base_url, timeout=30)
        try:
            while not stop.is_set():
                try:
                    probe.samples_ms.append(conn.timed_get(path))
                except (OSError, HttpError, http.client.HTTPException):
                    probe.errors += 1
                stop.wait(interval_s)
        finally:
            conn.close()

    thread = threading.Thread(target=loop, name="probe", daemon=True)
    thread.start()
    try:
        yield probe
    finally:
        stop.set()
        thread.join(timeout=60)


@dataclass
class ExportOutcome:
    bytes: int
    seconds: float
    rss_before_kb: int
    rss_peak_kb: int

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds else 0.0


def stream_download(
    base_url: str, path: str, memory_kb: Callable[[], int], poll_s: float = 0.05
) -> ExportOutcome:
    """Read a streamed response to the end, sampling the server's current RSS meanwhile."""
    rss_before = memory_kb()
    peak = [rss_before]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(poll_s):
            peak[0] = max(peak[0], memory_kb())

    watcher = threading.Thread(target=watch, name="rss", daemon=True)
    watcher.start()
    parsed = urlsplit(base_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=UPLOAD_TIMEOUT_S)
    total = 0
    started = time.perf_counter()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        if response.status != 200:
            raise HttpError(f"GET {path} answered {response.status}: {response.read(300)!r}")
        while chunk := response.read(READ_CHUNK):
            total += len(chunk)
        seconds = time.perf_counter() - started
    finally:
        conn.close()
        stop.set()
        watcher.join()
    peak[0] = max(peak[0], memory_kb())
    return ExportOutcome(total, seconds, rss_before, peak[0])
