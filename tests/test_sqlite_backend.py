"""SQLite writers of several connections (processes) take turns through a file lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from project.sqlite_backend.base import DatabaseWrapper, WriterLock


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker: Any) -> Any:
    """These tests open their own database files, not the test database."""
    with django_db_blocker.unblock():
        yield


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
