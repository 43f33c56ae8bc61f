"""A conversation's state from its Rasa event dicts (pure: no Django, no engine).

``tracker_fold`` replays events the way a Rasa tracker applies them: ``restart`` and
``session_started`` start over, ``rewind`` takes back the latest user message and what followed,
``undo`` the latest action, ``reset_slots`` empties the slots. ``TrackerState.applied`` holds the
events since the latest restart / session start with those reverts applied: what a policy sees.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

RESETTING = frozenset({"restart", "session_started"})
REVERTING = frozenset({"rewind", "undo"})
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})

# Rasa event name -> Parley's ``EventKind`` value
EVENT_KINDS: dict[str, str] = {
    "user": "user",
    "action": "action",
    "bot": "bot",
    "slot": "slot",
    "active_loop": "active_loop",
    "form": "active_loop",  # Rasa 2's name for it
    "restart": "restart",
    "session_started": "session_started",
    "rewind": "rewind",
    "undo": "undo",
    "reset_slots": "reset_slots",
    "action_execution_rejected": "action_execution_rejected",
    "followup": "followup",
    "pause": "pause",
    "resume": "resume",
}


def event_kind(event: Mapping[str, Any]) -> str:
    return EVENT_KINDS.get(str(event.get("event", "")), "other")


@dataclass
class TrackerState:
    slot_defaults: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    latest_action_name: str | None = None
    latest_message: dict[str, Any] | None = None
    latest_event_time: float | None = None
    paused: bool = False
    followup_action: str | None = None
    applied: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def empty(cls, slot_defaults: Mapping[str, Any] | None = None) -> TrackerState:
        defaults = dict(slot_defaults or {})
        return cls(slot_defaults=defaults, slots=copy.deepcopy(defaults))

    def apply(self, event: Mapping[str, Any]) -> None:
        name = event.get("event")
        timestamp = event.get("timestamp")
        if isinstance(timestamp, int | float):
            self.latest_event_time = float(timestamp)
        if name in RESETTING:
            self._reset()
            self.applied.append(dict(event))
            return
        if name in REVERTING:
            self._revert(str(name))
            return
        self.applied.append(dict(event))
        self._apply_effect(event)

    def _reset(self) -> None:
        self.slots = copy.deepcopy(self.slot_defaults)
        self.active_loop = None
        self.latest_action_name = None
        self.latest_message = None
        self.followup_action = None
        self.applied = []

    def _revert(self, name: str) -> None:
        kept = _before_latest(self.applied, "user" if name == "rewind" else "action")
        if kept is None:
            return
        if name == "rewind":
            # as in Rasa, the ``action_listen`` that preceded the message goes with it, so that
            # the assistant, back where it was, predicts what follows its own last action
            kept = _before_latest(kept, "action") or []
        self._replay(kept)

    def _replay(self, events: list[dict[str, Any]]) -> None:
        started = events[:1] if events and events[0].get("event") in RESETTING else []
        self._reset()
        self.applied = list(started)
        for event in events[len(started) :]:
            self.applied.append(event)
            self._apply_effect(event)

    def _apply_effect(self, event: Mapping[str, Any]) -> None:
        name = event.get("event")
        if name == "user":
            self.latest_message = {
                "text": event.get("text"),
                **dict(event.get("parse_data") or {}),
            }
            self.latest_message["text"] = event.get("text")
        elif name == "action":
            self.latest_action_name = event.get("name")
            if self.followup_action == event.get("name"):
                self.followup_action = None
        elif name == "slot":
            self.slots[str(event.get("name"))] = event.get("value")
        elif name in ("active_loop", "form"):
            self.active_loop = event.get("name") or None
        elif name == "reset_slots":
            self.slots = copy.deepcopy(self.slot_defaults)
        elif name == "followup":
            self.followup_action = event.get("name")
        elif name == "pause":
            self.paused = True
        elif name == "resume":
            self.paused = False

    def copy(self) -> TrackerState:
        """An independent state: its own slots and list of applied events. The applied events,
        the latest message and the slot defaults are shared: nothing changes them in place."""
        slots = {k: v if type(v) in _IMMUTABLE else copy.deepcopy(v) for k, v in self.slots.items()}
        return dataclasses.replace(self, slots=slots, applied=list(self.applied))

    def latest_user_index(self) -> int | None:
        for index in range(len(self.applied) - 1, -1, -1):
            if self.applied[index].get("event") == "user":
                return index
        return None


def _before_latest(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]] | None:
    """The events before the latest one of ``kind`` (None when there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == kind:
            return events[:index]
    return None


def tracker_fold(
    events: Iterable[Mapping[str, Any]],
    *,
    slot_defaults: Mapping[str, Any] | None = None,
    state: TrackerState | None = None,
) -> TrackerState:
    """Apply ``events`` in order to ``state`` (a new, empty one when not given)."""
    current = state if state is not None else TrackerState.empty(slot_defaults)
    for event in events:
        current.apply(event)
    return current
