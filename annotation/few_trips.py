"""A transaction sent to PostgreSQL in as few round trips as its statements allow.

psycopg2 sends ``BEGIN`` as a round trip of its own before a transaction's first statement, and
each statement is one more, though most of a recording's statements return nothing that the
next one needs. On this project's 2-core machine a round trip costs ~45 us of the client's CPU
and ~45 us of PostgreSQL's (``SELECT 1``, measured), on top of the statement itself. Here
``BEGIN`` goes with the first statement, ``COMMIT`` with the last, and a statement whose result
nobody reads (``later``) waits to go with the next one: PostgreSQL runs a string of statements
in order and stops at the first error, which leaves the transaction to be rolled back.

Elsewhere (SQLite, or inside a transaction already: a savepoint) ``transaction_in_few_trips``
is Django's ``transaction.atomic`` and every statement is sent at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import Error, connection, transaction

from annotation import prepared


class Trips:
    """The statements of one transaction: ``run`` those whose results are read, ``later``
    the others."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def run(self, sql: str, params: Sequence[Any]) -> Any:
        """Execute ``sql`` (prepared on PostgreSQL, ``annotation.prepared``) after the statements
        waiting; the cursor, with its result."""
        prepared.execute(self.cursor, sql, params)
        return self.cursor

    def later(self, sql: str, params: Sequence[Any]) -> None:
        """Execute ``sql`` before the transaction ends; its result is not read."""
        prepared.execute(self.cursor, sql, params)


class _PipelinedTrips(Trips):
    """PostgreSQL outside any transaction: statements go out together, in one string."""

    def __init__(self, cursor: Any) -> None:
        super().__init__(cursor)
        self._waiting: list[bytes] = [b"BEGIN"]
        self._made: list[Callable[[], None]] = []
        self.begun = False

    def run(self, sql: str, params: Sequence[Any]) -> Any:
        self.later(sql, params)
        self._send()
        return self.cursor

    def later(self, sql: str, params: Sequence[Any]) -> None:
        text, made = prepared.statement_text(self.cursor, sql, params)
        self._waiting.append(text)
        self._made.append(made)

    def commit(self) -> None:
        self._waiting.append(b"COMMIT")
        self._send()

    def _send(self) -> None:
        text = b"; ".join(self._waiting)
        self._waiting = []
        self.begun = True
        self.cursor.execute(text)  # no parameters: the values are in the text already
        for made in self._made:
            made()
        self._made = []


@contextlib.contextmanager
def transaction_in_few_trips() -> Iterator[Trips]:
    """A transaction on the default database; on PostgreSQL outside any transaction its
    statements go in as few round trips as ``Trips.run`` and ``Trips.later`` allow. Django's
    ORM may read inside it (its statements are sent at once, in the same transaction), but
    nothing inside may open ``transaction.atomic``, which would commit it."""
    pipelined = (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
    )
    if not pipelined:
        with transaction.atomic(), connection.cursor() as cursor:
            yield Trips(cursor)
        return
    with connection.cursor() as cursor:
        trips = _PipelinedTrips(cursor)
        try:
            yield trips
            trips.commit()
        except BaseException:
            if trips.begun:
                _roll_back(cursor)
            raise


def _roll_back(cursor: Any) -> None:
    """End the failed transaction; a connection that cannot (lost, say) is closed, and Django
    opens a new one for the next statement. The error that failed the transaction is the one
    raised."""
    try:
        cursor.execute("ROLLBACK")
    except Error:  # an InterfaceError (connection already closed) is no DatabaseError
        connection.close()
