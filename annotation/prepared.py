"""The statements every message runs, prepared once per PostgreSQL connection, then executed.

psycopg2 sends each statement as text with its values in it, and PostgreSQL parses, analyses
and plans it every time: 42% of PostgreSQL's CPU under the REST webhook's load (perf, sampled
during ``bench.webhook_bench``). A prepared statement is planned once per connection; each
message then sends ``EXECUTE name (values)`` (measured on the conversation read: 0.78 -> 0.57 ms
per statement, interleaved). The first use sends ``PREPARE`` and ``EXECUTE`` together, in one
round trip. Other databases run the statement as it is. (Django's views close their connection
after each request, so there a statement is prepared for one use, about the cost of running it
plainly; the REST webhook's threads keep theirs.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# a connection's prepared statements stay with it (PostgreSQL keeps them until it closes):
# enough for the hot statements and their row-count variants
MAX_PREPARED_PER_CONNECTION = 64
_STATE = "parley_prepared"  # attribute of Django's connection wrapper


@dataclass
class _Prepared:
    raw: Any  # the driver connection they were prepared on
    names: dict[str, str] = field(default_factory=dict)  # SQL -> statement name
    made: int = 0


def execute(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """``cursor.execute(sql, params)``; on PostgreSQL through a prepared statement (``sql``
    with ``%s`` placeholders, each value's type inferred by PostgreSQL from where it stands)."""
    if cursor.db.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    text, made = _statement(cursor.db, sql, len(params))
    cursor.execute(text, params)
    made()


def statement_text(
    cursor: Any, sql: str, params: Sequence[Any]
) -> tuple[bytes, Callable[[], None]]:
    """What ``execute`` would send on PostgreSQL, with the values in it, to be sent together
    with other statements (``annotation.few_trips``); and what to call once it ran without an
    error (a statement prepared by it is used from then on)."""
    text, made = _statement(cursor.db, sql, len(params))
    return bytes(cursor.mogrify(text, params)), made


def _statement(db: Any, sql: str, count: int) -> tuple[str, Callable[[], None]]:
    prepared = getattr(db, _STATE, None)
    if prepared is None or prepared.raw is not db.connection:
        prepared = _Prepared(db.connection)
        setattr(db, _STATE, prepared)
    name = prepared.names.get(sql)
    if name is not None:
        return f"EXECUTE {name}{_arguments(count)}", _nothing
    text = numbered(sql)
    if "%" in text or len(prepared.names) >= MAX_PREPARED_PER_CONNECTION:
        return sql, _nothing  # a literal % (escaped as %%) stays unprepared
    name = f"parley_{prepared.made}"
    prepared.made += 1  # a failed first use leaves its name behind: the next try takes another

    def made() -> None:
        prepared.names[sql] = name

    return f"PREPARE {name} AS {text}; EXECUTE {name}{_arguments(count)}", made


def _nothing() -> None:
    pass


@functools.cache
def _arguments(count: int) -> str:
    return f" ({', '.join(['%s'] * count)})" if count else ""


def numbered(sql: str) -> str:
    """``%s`` placeholders as PostgreSQL's ``$1``, ``$2``, ..."""
    parts = sql.split("%s")
    return "".join(f"{part}${index}" for index, part in enumerate(parts[:-1], 1)) + parts[-1]


def executed_sql(db: Any, text: str) -> str:
    """The statement that ``text`` (as the driver sent it) ran: the prepared one's SQL for an
    ``EXECUTE`` (or ``PREPARE ...; EXECUTE``) of ``db``'s, else ``text`` (for tests and logs)."""
    words = text.split(maxsplit=2)
    if len(words) < 2 or words[0] not in ("EXECUTE", "PREPARE"):
        return text
    prepared = getattr(db, _STATE, None)
    names = {name: sql for sql, name in prepared.names.items()} if prepared else {}
    return names.get(words[1].rstrip(";"), text)
