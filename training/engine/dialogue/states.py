"""What a policy sees of a conversation: one ``DialogueState`` before every bot action.

``StateTracker`` applies ``StoryEvent``s, from a training story or from a live conversation
alike, so that training and inference see the same sequences of states.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, overload

from training.engine.data import DomainSpec, IntentSpec, SlotSpec, StoryEvent

ACTION_LISTEN = "action_listen"
# events after which a conversation starts afresh
RESET_EVENTS = frozenset({"restart", "session_started"})


@dataclass(frozen=True)
class DialogueState:
    intent: str | None = None
    entities: tuple[str, ...] = ()  # entity names ("entity#role" / "entity@group" when set)
    slots: tuple[tuple[str, str], ...] = ()  # (slot name, featurized value), sorted
    active_loop: str | None = None
    prev_action: str | None = None
    # what a loop needs to tell an answer from a digression: every filled slot (influencing or
    # not) and the requested slot; neither is part of the state's identity
    filled_slots: tuple[str, ...] = field(default=(), compare=False)
    requested_slot: str | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "entities": list(self.entities),
            "slots": [list(pair) for pair in self.slots],
            "active_loop": self.active_loop,
            "prev_action": self.prev_action,
        }


@dataclass
class StateTracker:
    """Applies dialogue events; ``states()`` are the states the next bot action follows.

    A state is recorded before every bot action, the implicit ``action_listen`` before a user
    turn included. A ``bot`` event right after an action is that action's output (a live
    conversation records both); on its own it is an end-to-end bot turn, an action of its own.
    """

    domain: DomainSpec
    intent: str | None = None
    entities: tuple[str, ...] = ()
    slots: dict[str, str] = field(default_factory=dict)
    filled: set[str] = field(default_factory=set)
    requested_slot: str | None = None
    active_loop: str | None = None
    prev_action: str | None = ACTION_LISTEN
    history: list[DialogueState] = field(default_factory=list)
    last_kind: str | None = None

    def __post_init__(self) -> None:
        self._set_initial_slots()

    def state(self) -> DialogueState:
        return DialogueState(
            intent=self.intent,
            entities=self.entities,
            slots=tuple(sorted(self.slots.items())),
            active_loop=self.active_loop,
            prev_action=self.prev_action,
            filled_slots=tuple(sorted(self.filled)),
            requested_slot=self.requested_slot,
        )

    def states(self) -> tuple[DialogueState, ...]:
        """Every recorded state and the current one, oldest first."""
        return (*self.history, self.state())

    @property
    def listening(self) -> bool:
        return self.prev_action == ACTION_LISTEN

    def apply_all(self, events: Iterable[StoryEvent]) -> StateTracker:
        for event in events:
            self.apply(event)
        return self

    def apply(self, event: StoryEvent) -> None:
        if event.kind in RESET_EVENTS:
            self._reset()
        elif event.kind in ("intent", "user"):
            if not self.listening:
                self._act(ACTION_LISTEN)
            self.intent = event.name if event.kind == "intent" else None
            self.entities = entity_names(event.entities, intent_spec(self.domain, self.intent))
        elif event.kind == "action":
            self._act(str(event.name))
        elif event.kind == "bot" and self.last_kind != "action":
            self._act(f"bot: {event.text}")
        elif event.kind == "slot" and event.name is not None:
            self._set_slot(event.name, event.value)
        elif event.kind == "active_loop":
            self.active_loop = event.name
        self.last_kind = event.kind

    def _act(self, action: str) -> None:
        if action == ACTION_LISTEN and self.listening:
            return
        self.history.append(self.state())
        self.prev_action = action

    def _reset(self) -> None:
        self.intent = None
        self.entities = ()
        self.slots = {}
        self.filled = set()
        self.requested_slot = None
        self.active_loop = None
        self.prev_action = ACTION_LISTEN
        self.history = []
        self._set_initial_slots()

    def _set_initial_slots(self) -> None:
        for spec in self.domain.slots:
            if spec.initial_value is not None:
                self._set_slot(spec.name, spec.initial_value)

    def _set_slot(self, name: str, value: Any) -> None:
        if name == "requested_slot":
            self.requested_slot = None if value in (None, "") else str(value)
        if value is None or value == [] or value == "":
            self.filled.discard(name)
        else:
            self.filled.add(name)
        spec = slot_spec(self.domain, name)
        if spec is not None and not spec.influence_conversation:
            return
        featurized = slot_feature(spec, value)
        if featurized is None:
            self.slots.pop(name, None)
        else:
            self.slots[name] = featurized


class StoryLog(Sequence[StoryEvent]):
    """A live conversation's story events, only ever appended to, that keeps the tracker they
    lead to: ``states_of`` a log applies only the events appended since its last call, so a
    conversation asked for its next action again and again is not replayed from the start.
    (A conversation that takes events back, e.g. a rewind, needs a new log.)"""

    def __init__(self, events: Iterable[StoryEvent] = ()) -> None:
        self._events: list[StoryEvent] = list(events)
        self._tracker: StateTracker | None = None
        self._applied = 0  # how many of the events the tracker has applied

    def continued(self, events: Sequence[StoryEvent]) -> StoryLog:
        """This log, extended to ``events`` when they begin with its events (the conversation
        went on); else a new log of ``events``."""
        known = len(self._events)
        if known <= len(events) and all(map(same_event, self._events, events)):
            self.extend(events[known:])
            return self
        return StoryLog(events)

    def append(self, event: StoryEvent) -> None:
        self._events.append(event)

    def extend(self, events: Iterable[StoryEvent]) -> None:
        self._events.extend(events)

    def states(self, domain: DomainSpec) -> tuple[DialogueState, ...]:
        """``states_of(list(self), domain)``, applying only what the tracker has not seen."""
        if self._tracker is None or self._tracker.domain is not domain:
            self._tracker, self._applied = StateTracker(domain), 0
        self._tracker.apply_all(islice(self._events, self._applied, None))
        self._applied = len(self._events)
        return self._tracker.states()

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[StoryEvent]:
        return iter(self._events)

    @overload
    def __getitem__(self, index: int) -> StoryEvent: ...

    @overload
    def __getitem__(self, index: slice) -> list[StoryEvent]: ...

    def __getitem__(self, index: int | slice) -> StoryEvent | list[StoryEvent]:
        return self._events[index]


def same_event(a: StoryEvent, b: StoryEvent) -> bool:
    """Equal down to the types of the values (``1 == 1.0 == True`` and ``0.0 == -0.0``, yet a
    slot featurizes them apart)."""
    if a is b:
        return True
    if a != b:
        return False
    texts = (a.name, a.text, a.value, b.name, b.text, b.value)
    if all(type(v) is str or v is None for v in texts) and not a.entities and not a.alternatives:
        return True  # equal strings are the same
    return repr(a) == repr(b)


def states_of(events: Iterable[StoryEvent], domain: DomainSpec) -> tuple[DialogueState, ...]:
    """The states of a conversation after ``events`` (the bot about to act)."""
    if isinstance(events, StoryLog):
        return events.states(domain)
    return StateTracker(domain).apply_all(events).states()


def window(states: Sequence[DialogueState], max_history: int | None) -> Sequence[DialogueState]:
    """The last ``max_history`` states (all of them for None)."""
    if max_history is None:
        return states
    return states[-max_history:] if max_history > 0 else ()


def slot_spec(domain: DomainSpec, name: str) -> SlotSpec | None:
    return next((slot for slot in domain.slots if slot.name == name), None)


def slot_feature(spec: SlotSpec | None, value: Any) -> str | None:
    """What the policy sees of a slot value (None: the slot is unset)."""
    if value is None or value == [] or value == "":
        return None
    slot_type = spec.type if spec is not None else "text"
    if slot_type == "bool":
        return "true" if value in (True, "true", "True", 1) else "false"
    if slot_type == "categorical" and spec is not None:
        known = {str(option).lower() for option in spec.values}
        lowered = str(value).lower()
        return lowered if lowered in known else "__other__"
    if slot_type == "float":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return "set"
        low = spec.min_value if spec is not None and spec.min_value is not None else 0.0
        high = spec.max_value if spec is not None and spec.max_value is not None else 1.0
        return repr(min(max(number, low), high))
    return "set"


def intent_spec(domain: DomainSpec, name: str | None) -> IntentSpec | None:
    return next((intent for intent in domain.intents if intent.name == name), None)


def entity_names(
    entities: Iterable[dict[str, Any]], intent: IntentSpec | None = None
) -> tuple[str, ...]:
    names: set[str] = set()
    for entity in entities:
        name = str(entity.get("entity"))
        if intent is not None and not _intent_uses(intent, name):
            continue
        names.add(name)
        if entity.get("role"):
            names.add(f"{name}#{entity['role']}")
        if entity.get("group"):
            names.add(f"{name}@{entity['group']}")
    return tuple(sorted(names))


def _intent_uses(intent: IntentSpec, entity: str) -> bool:
    if intent.use_entities is not None:
        return entity in intent.use_entities
    return intent.ignore_entities is None or entity not in intent.ignore_entities
