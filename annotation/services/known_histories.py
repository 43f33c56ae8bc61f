"""The events of a conversation's session that this process read last, so that its next read of
that conversation fetches only the events after them.

Every message reads its conversation's session (``conversation_open``). Decoding the whole
session's events on each message was 4% of the REST webhook's CPU under load and aggregating
them a large share of PostgreSQL's work (``bench.webhook_bench``, py-spy); with the session
known up to a position, the read returns the events after it and the id of the event at the
last known position, which tells whether the known part still stands (events are only ever
appended; replacing them, Rasa's ``PUT .../events``, gives them new ids).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

# The events kept in all (least recently read conversations forgotten first): about 2 KB of
# memory each.
MAX_KNOWN_EVENTS = 20_000


@dataclass(frozen=True)
class KnownHistory:
    """A conversation's events from its session start (``session_position``) on, as read."""

    conversation_id: int
    session_position: int
    events: tuple[dict[str, Any], ...]
    last_event_id: int | None  # the id of the last of ``events`` (None when there are none)

    @property
    def end(self) -> int:
        """The position of the first event not known."""
        return self.session_position + len(self.events)


class KnownHistories:
    """A least-recently-used map of ``KnownHistory``, shared by the process's threads."""

    def __init__(self, max_events: int = MAX_KNOWN_EVENTS) -> None:
        self.max_events = max_events
        self._known: OrderedDict[Hashable, KnownHistory] = OrderedDict()
        self._events = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> KnownHistory | None:
        with self._lock:
            known = self._known.get(key)
            if known is not None:
                self._known.move_to_end(key)
            return known

    def put(self, key: Hashable, known: KnownHistory) -> None:
        with self._lock:
            previous = self._known.pop(key, None)
            if previous is not None:
                self._events -= len(previous.events)
            if len(known.events) > self.max_events:
                return
            self._known[key] = known
            self._events += len(known.events)
            while self._events > self.max_events:
                _, forgotten = self._known.popitem(last=False)
                self._events -= len(forgotten.events)

    def clear(self) -> None:
        with self._lock:
            self._known.clear()
            self._events = 0

    def __len__(self) -> int:
        return len(self._known)
