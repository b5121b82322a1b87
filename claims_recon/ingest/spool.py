"""Spool files: upload bodies and export files kept on disk while a request uses them.

Each file is locked (``flock``) by the process using it from the moment it appears under its
name until it is deleted. A process that is killed leaves its files behind, and the kernel
drops its locks; a sweep deletes exactly the files no living process holds, so replicas that
share the folder never lose a file in use, and a killed upload's patient data does not wait
for any timeout.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from pathlib import Path

SPOOL_PATTERNS = ("claims-*.csv", "invoices-*.csv", "export-*")
# A file is created under this prefix, locked, then renamed: a sweep never sees it unlocked.
_PENDING = ".pending-"
_PENDING_MAX_AGE_S = 3600.0


def create(spool_dir: Path | None, prefix: str, suffix: str = "") -> tuple[int, Path]:
    """A new empty spool file (None: the system temp folder): its descriptor, which holds
    the lock until it is closed, and its path."""
    if spool_dir is not None:
        spool_dir.mkdir(parents=True, exist_ok=True)
    fd, pending = tempfile.mkstemp(prefix=_PENDING, dir=spool_dir)
    pending_path = Path(pending)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else knows the file yet
        path = pending_path.with_name(prefix + pending_path.name[len(_PENDING) :] + suffix)
        os.rename(pending_path, path)
    except BaseException:
        os.close(fd)
        pending_path.unlink(missing_ok=True)
        raise
    return fd, path


def sweep(spool_dir: Path | None) -> int:
    """Delete the spool files that no living process holds; returns how many."""
    if spool_dir is None or not spool_dir.is_dir():
        return 0
    removed = 0
    for pattern in SPOOL_PATTERNS:
        for path in spool_dir.glob(pattern):
            removed += _remove_if_unheld(path)
    # A process killed between creating and naming a file leaves an empty pending file.
    cutoff = time.time() - _PENDING_MAX_AGE_S
    for path in spool_dir.glob(_PENDING + "*"):
        try:
            if path.stat().st_mtime < cutoff:
                removed += _remove_if_unheld(path)
        except FileNotFoundError:
            continue
    return removed


def _remove_if_unheld(path: Path) -> int:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0  # its request finished with it meanwhile
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # a living process (maybe this one) is using it
        path.unlink(missing_ok=True)
        return 1
    finally:
        os.close(fd)
