"""One writer per output tree: an advisory ``flock`` on the tree's folder itself."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["TreeLock", "TreeBusy"]


class TreeBusy(RuntimeError):
    """Another run holds the tree."""


class TreeLock:
    """Hold the folder ``root`` exclusively for this process's lifetime (or until :meth:`release`).

    The lock is taken on the folder, so no lock file ever appears in the site tree, and the
    kernel drops it with the process: a SIGKILLed run leaves no stale lock for anyone to clear.
    """

    def __init__(self, root: Path):
        self.root = root
        self._fd: int | None = None

    def acquire(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise TreeBusy(f"another newsbot run is writing {self.root}") from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
