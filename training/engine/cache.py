"""The training cache: node outputs and stored component states, keyed by node fingerprint.

A directory with an SQLite index (``index.sqlite``) and one folder per entry
(``entries/<fingerprint>/state/...`` and ``output.pickle``). Entries are written into a unique
temporary folder and renamed into place, so a reader never sees half an entry and two processes
can train at once. The index records every file's size: an entry whose files went missing or
were truncated is dropped on lookup (its node then retrains). Past the size limit, the least
recently used entries are evicted.

Settings: ``PARLEY_CACHE_DIR`` (default ``~/.cache/parley``) and ``PARLEY_CACHE_MAX_MB``
(default 1024; 0 disables the cache).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path("~/.cache/parley")
DEFAULT_MAX_MB = 1024
_OUTPUT = "output.pickle"
_STATE = "state"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    fingerprint TEXT PRIMARY KEY,
    node TEXT NOT NULL,
    files TEXT NOT NULL,
    metrics TEXT NOT NULL,
    size INTEGER NOT NULL,
    created REAL NOT NULL,
    last_used REAL NOT NULL
)
"""


class CacheCorrupted(Exception):
    """An entry's files are missing or unreadable."""


@dataclass(frozen=True)
class CacheEntry:
    fingerprint: str
    node: str
    directory: Path
    size: int
    metrics: dict[str, Any]

    @property
    def state_dir(self) -> Path:
        return self.directory / _STATE


class TrainingCache:
    def __init__(self, directory: Path, *, max_mb: float = DEFAULT_MAX_MB) -> None:
        self.directory = directory.expanduser()
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.enabled = max_mb > 0
        if self.enabled:
            (self.directory / "entries").mkdir(parents=True, exist_ok=True)
            (self.directory / "tmp").mkdir(parents=True, exist_ok=True)
            with self._connection() as db:
                db.execute(_SCHEMA)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TrainingCache:
        env = os.environ if environ is None else environ
        directory = Path(env.get("PARLEY_CACHE_DIR") or DEFAULT_DIR)
        raw_max = env.get("PARLEY_CACHE_MAX_MB") or str(DEFAULT_MAX_MB)
        try:
            max_mb = float(raw_max)
        except ValueError:
            message = f"PARLEY_CACHE_MAX_MB must be a number of megabytes, not {raw_max!r}"
            raise ValueError(message) from None
        return cls(directory, max_mb=max_mb)

    @classmethod
    def disabled(cls) -> TrainingCache:
        return cls(DEFAULT_DIR, max_mb=0)

    def lookup(self, fingerprint: str) -> CacheEntry | None:
        """The entry with all its files in place (marked as used), or None."""
        if not self.enabled:
            return None
        with self._connection() as db:
            row = db.execute(
                "SELECT node, files, metrics, size FROM entries WHERE fingerprint = ?",
                (fingerprint,),
            ).fetchone()
        if row is None:
            return None
        node, files, metrics, size = row
        directory = self._entry_dir(fingerprint)
        if not _files_intact(directory, json.loads(files)):
            self.drop(fingerprint)
            return None
        with self._connection() as db:
            db.execute(
                "UPDATE entries SET last_used = ? WHERE fingerprint = ?", (_now(), fingerprint)
            )
        return CacheEntry(fingerprint, node, directory, size, json.loads(metrics))

    def load_output(self, entry: CacheEntry) -> Any:
        try:
            with (entry.directory / _OUTPUT).open("rb") as file:
                return pickle.load(file)
        except Exception as error:  # truncated, garbled or gone: any unpickling error
            raise CacheCorrupted(f"cache entry {entry.fingerprint[:12]} ({entry.node})") from error

    def restore_state(self, entry: CacheEntry, target: Path) -> None:
        """Copy the entry's stored component state into ``target`` (which must not exist)."""
        try:
            copy_tree(entry.state_dir, target)
        except OSError as error:
            shutil.rmtree(target, ignore_errors=True)
            raise CacheCorrupted(f"cache entry {entry.fingerprint[:12]} ({entry.node})") from error

    def store(
        self,
        fingerprint: str,
        *,
        node: str,
        state_dir: Path,
        output: Any,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        if not self.enabled:
            return
        staging = self.directory / "tmp" / uuid.uuid4().hex
        try:
            copy_tree(state_dir, staging / _STATE)
            with (staging / _OUTPUT).open("wb") as file:
                pickle.dump(output, file, protocol=pickle.HIGHEST_PROTOCOL)
            files = _file_sizes(staging)
            target = self._entry_dir(fingerprint)
            # Another process's whole copy is kept: replacing it would leave a moment without
            # it, in which that process's lookup would drop the entry as broken.
            if not _files_intact(target, files):
                if target.exists():  # a broken entry (an interrupted store): replaced
                    _remove(target, self.directory / "tmp")
                try:
                    staging.rename(target)
                except OSError:  # another process stored it in between: theirs is as good
                    return
            size = sum(files.values())
            with self._connection() as db:
                now = _now()
                db.execute(
                    "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        fingerprint,
                        node,
                        json.dumps(files),
                        json.dumps(dict(metrics or {}), default=repr),
                        size,
                        now,
                        now,
                    ),
                )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.evict()

    def drop(self, fingerprint: str) -> None:
        if not self.enabled:
            return
        with self._connection() as db:
            db.execute("DELETE FROM entries WHERE fingerprint = ?", (fingerprint,))
        _remove(self._entry_dir(fingerprint), self.directory / "tmp")

    def evict(self) -> list[str]:
        """Drop the least recently used entries until the cache fits its size limit."""
        if not self.enabled:
            return []
        with self._connection() as db:
            rows = db.execute(
                "SELECT fingerprint, size FROM entries ORDER BY last_used DESC"
            ).fetchall()
        total = 0
        evicted: list[str] = []
        for fingerprint, size in rows:
            total += size
            if total > self.max_bytes:
                evicted.append(fingerprint)
        for fingerprint in evicted:
            self.drop(fingerprint)
        return evicted

    def fingerprints(self) -> list[str]:
        if not self.enabled:
            return []
        with self._connection() as db:
            rows = db.execute("SELECT fingerprint FROM entries ORDER BY last_used").fetchall()
        return [row[0] for row in rows]

    def size(self) -> int:
        if not self.enabled:
            return 0
        with self._connection() as db:
            (total,) = db.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()
        return int(total)

    def _entry_dir(self, fingerprint: str) -> Path:
        return self.directory / "entries" / fingerprint

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # one short-lived connection per operation: safe across threads and processes
        connection = sqlite3.connect(self.directory / "index.sqlite", timeout=60)
        with closing(connection) as db, db:  # commits (or rolls back), then closes
            yield db


def copy_tree(source: Path, target: Path) -> None:
    """Copy a folder, hard-linking files where possible (stored files are never modified in
    place, only replaced or removed)."""
    shutil.copytree(source, target, copy_function=_link_or_copy)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _file_sizes(directory: Path) -> dict[str, int]:
    return {
        path.relative_to(directory).as_posix(): path.stat().st_size
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def _files_intact(directory: Path, files: dict[str, int]) -> bool:
    try:
        return all((directory / name).stat().st_size == size for name, size in files.items())
    except OSError:
        return False


def _remove(directory: Path, trash: Path) -> None:
    """Remove a folder, first renaming it away so that no reader sees it half deleted."""
    doomed = trash / f"doomed-{uuid.uuid4().hex}"
    try:
        directory.rename(doomed)
    except OSError:
        return
    shutil.rmtree(doomed, ignore_errors=True)


def _now() -> float:
    return time.time()
