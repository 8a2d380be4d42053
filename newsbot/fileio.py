"""Atomic file writes: a hidden temp file in the same folder, then ``os.replace``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "write_if_changed", "TEMP_PREFIX", "remove_stale_temps"]

TEMP_PREFIX = ".newsbot-"  # dot-files: Jekyll never publishes one, even if a kill leaves it

_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a web server must read posts
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes, *, fsync: bool = False) -> bool:
    """Write only when the bytes differ, so unchanged files keep their mtime. True if written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data, fsync=fsync)
    return True


def remove_stale_temps(folder: Path) -> int:
    """Remove temp files a killed run left behind in ``folder``; how many were removed."""
    removed = 0
    if folder.is_dir():
        for stale in folder.glob(f"{TEMP_PREFIX}*.tmp"):
            stale.unlink(missing_ok=True)
            removed += 1
    return removed
