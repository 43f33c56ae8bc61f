"""SQLite, with writers across processes taking turns through a file lock, and the per-statement
work Django's backend repeats on every query done once.

SQLite lets one connection write at a time; a connection that finds the database locked sleeps
and retries (1, 2, 5, 10, ... 100 ms), so under steady writes from two web processes one of them
kept sleeping while the other wrote (``bench.webhook_bench``: a third of both cores idle). Here a
transaction first takes an exclusive ``flock`` on ``<database>-writer.lock``: a waiting writer
polls it every fraction of a millisecond and gets it as soon as the holder commits, and SQLite's
own lock is then always free. The ``timeout`` option bounds the wait, as it bounds SQLite's.
In-memory databases have no file to lock and skip it.

Every message's statements are the same few texts: their ``%s`` placeholders are turned into
SQLite's ``?`` once per text (Django runs a regular expression over each statement on every
execute: 2% of the REST webhook's CPU under load, py-spy), and a UTC time is written as the text
Django writes without going through its time-zone conversion. WAL checkpoints run in a thread
of their own (``checkpoints``), not in the commit of whichever request crosses the WAL's limit.
"""

from __future__ import annotations

import contextlib
import functools
import os
from datetime import UTC, datetime
from typing import Any

from django.db.backends.sqlite3 import base, creation, operations

from project.sqlite_backend.checkpoints import ensure_checkpointer
from project.sqlite_backend.writer_lock import WriterLock, writer_lock_path


class DatabaseCreation(creation.DatabaseCreation):
    """A destroyed test database takes its lock file with it."""

    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        super()._destroy_test_db(test_database_name, verbosity)  # type: ignore[misc]
        if test_database_name and not self.is_in_memory_db(test_database_name):
            with contextlib.suppress(FileNotFoundError):
                os.remove(writer_lock_path(test_database_name))


@functools.lru_cache(maxsize=1024)
def qmark_sql(query: str) -> str:
    """``query``'s ``%s`` placeholders as ``?`` and ``%%`` as ``%``, as Django converts it."""
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return qmark_sql(query)
        return str(super().convert_query(query, param_names=param_names))


class DatabaseOperations(operations.DatabaseOperations):
    def adapt_datetimefield_value(self, value: Any) -> Any:
        # the common case (an aware UTC time, the connection's zone UTC) as Django's
        # make_naive + str would write it
        if type(value) is datetime and value.tzinfo is UTC and self.connection.timezone is UTC:
            return str(value.replace(tzinfo=None))
        return super().adapt_datetimefield_value(value)


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite backend, its transactions (the only writers here) under ``WriterLock``.
    The overridden methods are the private hooks of Django's wrapper (no stubs declare them)."""

    creation_class = DatabaseCreation
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writer_lock: WriterLock | None = None
        if not self.is_in_memory_db():
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
            self.writer_lock = WriterLock(writer_lock_path(self.settings_dict["NAME"]), timeout)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if self.writer_lock is not None:  # a database file: checkpointed by a thread of its own
            connection.execute("PRAGMA wal_autocheckpoint=0")
            ensure_checkpointer(self.settings_dict["NAME"], self.writer_lock.timeout)
        return connection

    def create_cursor(self, name: str | None = None) -> CursorWrapper:
        return self.connection.cursor(factory=CursorWrapper)

    def _start_transaction_under_autocommit(self) -> None:
        if self.writer_lock is not None:
            self.writer_lock.acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in django-stubs
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # not in django-stubs
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # not in django-stubs
        finally:
            if self.writer_lock is not None:
                self.writer_lock.close()

    def _release_writer(self) -> None:
        if self.writer_lock is not None:
            self.writer_lock.release()
