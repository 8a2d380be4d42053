"""Atomic file writes: a hidden temp file in the same folder, then ``os.replace``."""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

__all__ = ["write_atomic", "write_if_changed", "TEMP_PREFIX", "remove_stale_temps"]

TEMP_PREFIX = ".newsbot-"  # dot-files: Jekyll never publishes one, even if a kill leaves it
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_serial = itertools.count()


def write_atomic(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new, never half.

    The temp file is created with mode 0666 less the umask (as ``open`` would), named for this
    process so that two writers never collide.
    """
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}.{next(_serial)}.tmp")
    try:
        fd = os.open(tmp, _FLAGS, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, _FLAGS, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes, *, fsync: bool = False, new: bool = False) -> bool:
    """Write only when the bytes differ, so unchanged files keep their mtime. True if written.

    ``new``: the caller knows the file does not exist yet, so it is not read first.
    """
    if not new and same_bytes(path, data):
        return False
    write_atomic(path, data, fsync=fsync)
    return True


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether ``path`` exists and holds exactly ``data`` (a size check first: no read if not)."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError):
        return False


def remove_stale_temps(folder: Path) -> int:
    """Remove temp files a killed run left behind in ``folder``; how many were removed."""
    removed = 0
    try:
        with os.scandir(folder) as entries:  # streamed: a folder of 200,000 posts is not listed
            for entry in entries:
                if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(".tmp"):
                    os.unlink(entry.path)
                    removed += 1
    except (FileNotFoundError, NotADirectoryError):
        pass
    return removed


def read_regular(path: str | Path, limit: int) -> bytes:
    """At most ``limit`` bytes of ``path``: a regular file only, not through a symbolic link (a
    FIFO named like a post would block, a link to /dev/zero never end, a link out of the tree be
    read). Anything else raises ``OSError``.

    >>> read_regular("/dev/null", 10)
    Traceback (most recent call last):
    ...
    OSError: /dev/null is not a regular file
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        return handle.read(limit)
