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

from dataclasses import dataclass
from typing import Any

# The events kept in all (``annotation.sized_lru``: the least recently read conversations are
# forgotten first): about 2 KB of memory each.
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
