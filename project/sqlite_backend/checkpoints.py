"""WAL checkpoints in a thread of their own rather than inside the requests' commits.

SQLite copies the WAL's pages back into the database file (a checkpoint) when a commit finds the
WAL past 1,000 pages: that commit then writes and syncs both files (up to ~100 ms on the bench
machine, 0.7 ms per message on average in-process under the REST webhook's load) while it still
holds the write lock (``WriterLock``) that every other process's turn is waiting for. Here the
connections Django opens never checkpoint (``wal_autocheckpoint=0``); each process runs one
thread per database file that checkpoints every ``INTERVAL_S`` in PASSIVE mode, which waits for
no reader or writer.

SQLite starts writing the WAL from its beginning again only when a writer finds every frame
copied, which a checkpoint running beside steady writers never leaves it: once the WAL holds
``RESTART_FRAMES`` frames, the thread takes the write lock for a last, short checkpoint of the
frames written meanwhile, and the next writer starts the WAL over.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import urllib.parse

from django.db import OperationalError

from project.sqlite_backend.writer_lock import WriterLock, writer_lock_path

logger = logging.getLogger(__name__)

INTERVAL_S = 0.2
RESTART_FRAMES = 4000  # 16 MB of 4 KB pages; SQLite's own checkpoints start at 1,000

_lock = threading.Lock()
_running: dict[str, Checkpointer] = {}


def _forget_after_fork() -> None:  # a forked child (a Celery worker) starts threads of its own
    global _lock
    _lock = threading.Lock()
    _running.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def ensure_checkpointer(path: str, lock_timeout: float) -> Checkpointer:
    """This process's checkpointer of the database file ``path``, started unless it runs;
    ``lock_timeout``: how long it may wait for the write lock, as the database's writers."""
    with _lock:
        running = _running.get(path)
        if running is not None and running.is_alive():
            return running
        checkpointer = Checkpointer(path, lock_timeout)
        _running[path] = checkpointer
        checkpointer.start()
        return checkpointer


class Checkpointer(threading.Thread):
    """Checkpoints ``path`` every ``interval`` seconds until stopped or the file is removed."""

    def __init__(
        self,
        path: str,
        lock_timeout: float,
        interval: float = INTERVAL_S,
        restart_frames: int = RESTART_FRAMES,
    ) -> None:
        super().__init__(name="sqlite-checkpoints", daemon=True)
        self.path = path
        self.writer_lock = WriterLock(writer_lock_path(path), lock_timeout)
        self.interval = interval
        self.restart_frames = restart_frames
        self.restarts = 0  # last checkpoints under the write lock (tests)
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopping.wait(self.interval):
                if not os.path.exists(self.path):
                    return  # the database is gone (a test's)
                try:
                    if connection is None:  # mode=rw: never creates the file
                        uri = f"file:{urllib.parse.quote(self.path)}?mode=rw"
                        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
                    self.tick(connection)
                except (sqlite3.Error, OperationalError, OSError):
                    logger.warning("A checkpoint of %s failed", self.path, exc_info=True)
        finally:
            if connection is not None:
                connection.close()
            self.writer_lock.close()

    def tick(self, connection: sqlite3.Connection) -> None:
        """A checkpoint beside the writers; once the WAL is long, a last one under the lock."""
        if self.checkpoint(connection) < self.restart_frames:
            return
        self.writer_lock.acquire()
        try:
            self.checkpoint(connection)
        finally:
            self.writer_lock.release()
        self.restarts += 1

    def checkpoint(self, connection: sqlite3.Connection) -> int:
        """A PASSIVE checkpoint; the frames in the WAL (0 when it is not in WAL mode)."""
        _busy, frames, _copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return max(0, int(frames))
