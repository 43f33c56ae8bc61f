"""SQLite writers of several connections (processes) take turns through a file lock."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, connection
from django.db.backends.sqlite3 import base as django_sqlite
from django.db.backends.sqlite3.operations import DatabaseOperations as DjangoOperations

from project.sqlite_backend import checkpoints
from project.sqlite_backend.base import DatabaseWrapper, WriterLock, qmark_sql
from project.sqlite_backend.checkpoints import Checkpointer, ensure_checkpointer


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker: Any, tmp_path: Path) -> Any:
    """These tests open their own database files, not the test database; the checkpointers
    their connections start end with them."""
    with django_db_blocker.unblock():
        yield
    for running in list(checkpoints._running.values()):
        if running.path.startswith(str(tmp_path)):
            running.stop()
            running.join(timeout=5)


def wrapper(path: Path, timeout: float) -> DatabaseWrapper:
    settings: dict[str, Any] = {
        "NAME": str(path),
        "OPTIONS": {"timeout": timeout, "transaction_mode": "IMMEDIATE"},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TEST": {},
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
    }
    return DatabaseWrapper(settings, alias=f"writer-{id(settings)}")


def test_given_a_held_lock_when_another_waits_past_its_timeout_then_a_clear_error(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "writer.lock")
    first, second = WriterLock(path, timeout=1), WriterLock(path, timeout=0.05)
    first.acquire()
    try:
        with pytest.raises(OperationalError, match="another process has been writing"):
            second.acquire()
    finally:
        first.close()
    second.acquire()  # free once the holder let go
    second.close()


def test_given_a_transaction_in_one_connection_when_another_begins_then_it_waits_until_commit(
    tmp_path: Path,
) -> None:
    first, second = wrapper(tmp_path / "db.sqlite3", 5), wrapper(tmp_path / "db.sqlite3", 0.05)
    first.ensure_connection()
    second.ensure_connection()
    first.cursor().execute("CREATE TABLE note (text TEXT)")

    first._start_transaction_under_autocommit()
    first.cursor().execute("INSERT INTO note VALUES ('first')")
    with pytest.raises(OperationalError, match="another process has been writing"):
        second._start_transaction_under_autocommit()
    first._commit()
    second._start_transaction_under_autocommit()
    second.cursor().execute("INSERT INTO note VALUES ('second')")
    second._commit()

    rows = first.cursor().execute("SELECT text FROM note ORDER BY rowid").fetchall()
    assert [text for (text,) in rows] == ["first", "second"]
    assert (tmp_path / "db.sqlite3-writer.lock").exists()
    first.close()
    second.close()


def test_given_a_rolled_back_transaction_when_another_begins_then_the_lock_is_free(
    tmp_path: Path,
) -> None:
    first, second = wrapper(tmp_path / "db.sqlite3", 5), wrapper(tmp_path / "db.sqlite3", 0.05)
    first.ensure_connection()
    second.ensure_connection()

    first._start_transaction_under_autocommit()
    first._rollback()
    second._start_transaction_under_autocommit()
    second._commit()

    first.close()
    second.close()


def test_given_an_in_memory_database_when_wrapped_then_no_lock_file() -> None:
    assert wrapper(Path(":memory:"), 5).writer_lock is None


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 1",
        "SELECT * FROM t WHERE a = %s AND b = %s",
        "INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s) RETURNING id",
        "SELECT * FROM t WHERE a LIKE '100%%' AND b = %s",
        "SELECT '%%s' || %s",
    ],
)
def test_given_a_statement_when_converted_then_as_django_converts_it(query: str) -> None:
    django_cursor = django_sqlite.SQLiteCursorWrapper.convert_query
    assert qmark_sql(query) == django_cursor(None, query)  # type: ignore[arg-type]
    assert qmark_sql(query) is qmark_sql(query)  # converted once


def test_given_a_cursor_when_it_executes_then_each_text_is_converted_once(tmp_path: Path) -> None:
    db = wrapper(tmp_path / "db.sqlite3", 5)
    db.ensure_connection()
    cursor = db.create_cursor()
    cursor.execute("SELECT %(a)s + %(b)s", {"a": 1, "b": 2})
    assert cursor.fetchall() == [(3,)]
    hits = qmark_sql.cache_info().hits
    for _ in range(2):
        cursor.execute("SELECT %s || '%%'", ["50"])
        assert cursor.fetchall() == [("50%",)]
    assert qmark_sql.cache_info().hits > hits  # the second through the converted text
    db.close()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 22, 4, 5, 6, 789, tzinfo=UTC),
        datetime(2026, 11, 22, 4, 5, 6, tzinfo=UTC),  # no microseconds: none written
        datetime(2026, 11, 22, 4, 5, 6, 789, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Paris")),
        None,
    ],
)
def test_given_a_time_when_adapted_then_the_text_django_writes(
    value: datetime | None, tmp_path: Path
) -> None:
    db = wrapper(tmp_path / "db.sqlite3", 5)
    ours = db.ops.adapt_datetimefield_value(value)
    assert ours == DjangoOperations(db).adapt_datetimefield_value(value)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's settings")
def test_given_the_settings_then_scratch_tables_and_sorts_stay_in_memory(db: None) -> None:
    """Statement scratch files were created and removed on every message (strace)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA temp_store")
        assert cursor.fetchone() == (2,)  # MEMORY


def test_given_a_database_file_when_connected_then_a_thread_checkpoints_instead_of_commits(
    tmp_path: Path,
) -> None:
    db = wrapper(tmp_path / "db.sqlite3", 5)
    db.ensure_connection()

    assert db.cursor().execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    running = ensure_checkpointer(str(tmp_path / "db.sqlite3"), 5)
    assert running.is_alive()
    assert ensure_checkpointer(str(tmp_path / "db.sqlite3"), 5) is running  # one per file
    db.close()


def test_given_a_checkpoint_that_could_not_copy_all_when_the_wal_is_long_then_it_starts_over(
    tmp_path: Path,
) -> None:
    """SQLite starts the WAL over only when a writer finds every frame copied, which a checkpoint
    beside steady writers never leaves (frames keep coming while it copies; here a reader's older
    snapshot holds the last ones back): without the last checkpoint under the write lock, the
    WAL would grow with every transaction."""
    path = tmp_path / "db.sqlite3"
    db = wrapper(path, 5)
    db.ensure_connection()
    ensure_checkpointer(str(path), 5).stop()  # this test checkpoints by hand
    db.cursor().execute("PRAGMA journal_mode=WAL")
    db.cursor().execute("CREATE TABLE note (text TEXT)")

    def commit() -> None:
        db._start_transaction_under_autocommit()
        db.cursor().execute("INSERT INTO note VALUES (randomblob(3000))")
        db._commit()

    for _ in range(30):
        commit()
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM note").fetchall()
    for _ in range(5):
        commit()  # after the reader's snapshot: not copied while it reads

    class ReaderEndsMeanwhile(Checkpointer):
        def checkpoint(self, connection: sqlite3.Connection) -> int:
            frames = super().checkpoint(connection)
            if reader.in_transaction:
                reader.execute("COMMIT")
            return frames

    checkpointer = ReaderEndsMeanwhile(str(path), 5, restart_frames=10)
    connection = sqlite3.connect(path)
    checkpointer.tick(connection)
    commit()  # the next writer: it starts the WAL over

    assert checkpointer.restarts == 1
    assert checkpointer.checkpoint(connection) < 10  # its own frames, not 36 commits'
    for opened in (reader, connection):
        opened.close()
    checkpointer.writer_lock.close()
    db.close()


def test_given_the_database_removed_when_checkpointing_then_the_thread_ends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite3"
    sqlite3.connect(path).close()
    checkpointer = Checkpointer(str(path), 5, interval=0.005)
    checkpointer.start()
    path.unlink()

    checkpointer.join(timeout=10)

    assert not checkpointer.is_alive()
    assert not path.exists()  # not created again
