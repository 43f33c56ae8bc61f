"""The tracker state each conversation's session was last folded into by this process, so that
its next turn applies only the events after those.

Every turn folds its session's events into a ``TrackerState`` (``Turn``): ~3% of the REST
webhook's server CPU under load (``bench.webhook_bench``, py-spy), and more the longer the
session. The session's events up to where this process last read them are the very objects it
read then (``annotation.services.known_histories`` keeps them), so a fold kept with those
objects is taken up when a new history begins with exactly them, in order; anything else (a new
session, a replaced history, other slot defaults) is folded from the start.
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annotation.sized_lru import SizedLru
from annotation.tracker import TrackerState, tracker_fold


@dataclass(frozen=True)
class _Fold:
    events: tuple[Mapping[str, Any], ...]
    slot_defaults: dict[str, Any]
    state: TrackerState  # never handed out: callers get copies


class KnownFolds:
    """The latest fold of each conversation, the least recently used forgotten first, holding
    at most ``max_events`` events in all."""

    def __init__(self, max_events: int) -> None:
        self._folds: SizedLru[_Fold] = SizedLru(max_events)

    def fold(
        self, key: Hashable, events: Sequence[Mapping[str, Any]], slot_defaults: Mapping[str, Any]
    ) -> TrackerState:
        """``tracker_fold(events, slot_defaults=slot_defaults)``, from the fold kept under
        ``key`` when ``events`` go on from its events (the same objects); the result is kept."""
        known = self._folds.pop(key)  # a fold belongs to one turn at a time
        if (
            known is not None
            and extends(events, known.events)
            and known.slot_defaults == slot_defaults
        ):
            state = tracker_fold(events[len(known.events) :], state=known.state.copy())
        else:
            state = tracker_fold(events, slot_defaults=slot_defaults)
        kept = _Fold(tuple(events), dict(slot_defaults), state.copy())
        self._folds.put(key, kept, len(kept.events))
        return state

    def __len__(self) -> int:
        return len(self._folds)


def extends(events: Sequence[Any], known: Sequence[Any]) -> bool:
    """Whether ``events`` are the very ``known`` event objects and maybe more."""
    return len(events) >= len(known) and all(map(operator.is_, events, known))


# as many events as a process keeps of its conversations' sessions (known_histories), which
# they mostly are; each fold also holds a small dict per event (its applied events)
KNOWN_FOLDS = KnownFolds(max_events=20_000)
