"""Spool files are locked while in use: a sweep takes exactly those a dead process left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from claims_recon.ingest import spool
from claims_recon.ingest.columns import FileKind
from claims_recon.ingest.receiver import FileReceiver

HOLD = """
import sys, time
from pathlib import Path
from claims_recon.ingest import spool
fd, path = spool.create(Path(sys.argv[1]), "claims-", ".csv")
print(path, flush=True)
time.sleep(120)
"""


def test_a_file_is_kept_while_its_process_lives_and_swept_once_it_is_killed(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        path = Path(holder.stdout.readline().strip())
        assert path.parent == tmp_path and path.name.startswith("claims-")
        assert spool.sweep(tmp_path) == 0
        assert path.exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    assert spool.sweep(tmp_path) == 1
    assert list(tmp_path.iterdir()) == []


def test_this_process_files_in_use_are_kept_and_gone_once_discarded(tmp_path):
    receiver = FileReceiver(FileKind.INVOICES, "i.csv", limit=1 << 20, spool_dir=tmp_path)
    receiver.write(b"invoice_id,claim_id,transaction_value\ni1,c1,1.00\n")
    received = receiver.finish()
    fd, _export = spool.create(tmp_path, "export-")
    try:
        assert spool.sweep(tmp_path) == 0
        assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == ["export", "invoices"]
        assert received.path.read_bytes().endswith(b"i1,c1,1.00\n")
    finally:
        received.discard()
        os.close(fd)
    # Closed but not deleted (as a process that died would leave it): swept.
    assert spool.sweep(tmp_path) == 1
    assert list(tmp_path.iterdir()) == []


def test_only_old_unnamed_pending_files_are_swept(tmp_path):
    fresh = tmp_path / ".pending-fresh"
    stale = tmp_path / ".pending-stale"
    fresh.write_bytes(b"")
    stale.write_bytes(b"")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert spool.sweep(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == [".pending-fresh"]


def test_files_that_are_not_spool_files_are_never_touched(tmp_path):
    (tmp_path / "claims_recon.duckdb").write_bytes(b"x")
    (tmp_path / "notes.csv").write_bytes(b"x")
    assert spool.sweep(tmp_path) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims_recon.duckdb", "notes.csv"]
