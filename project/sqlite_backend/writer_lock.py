"""An exclusive ``flock`` on a database's ``<database>-writer.lock``: writers of every process
take turns through it (``base``)."""

from __future__ import annotations

import fcntl
import os
import time

from django.db import OperationalError

POLL_S = 0.0002  # how often a waiting writer tries the lock


class WriterLock:
    """An exclusive ``flock`` on ``path``, acquired with a deadline, released at will."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self.held = False

    def acquire(self) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError(
                        f"database is locked: another process has been writing for more than "
                        f"{self.timeout:g} s ({self.path})"
                    ) from None
                time.sleep(POLL_S)
                continue
            self.held = True
            return

    def release(self) -> None:
        if self.held and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.held = False

    def close(self) -> None:
        self.release()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def writer_lock_path(database: str) -> str:
    return f"{database}-writer.lock"
