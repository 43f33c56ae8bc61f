"""Memoization policies: remember which action followed which dialogue states in the stories.

A minimal dialogue branch for the graph (the dialogue issue builds the real tracker machinery).
Interface, small on purpose:

* ``DialogueState``: what the bot sees at one step (last user intent and entity names, slots
  that influence the conversation, active loop, previous action);
* ``StateTracker``: applies ``StoryEvent``s (intent, action, slot, active_loop) and records
  the state before each bot action; the same class turns a live conversation into states;
* ``MemoizationPolicy.predict(states)``: the remembered next action with confidence 1.0, or
  None. ``AugmentedMemoizationPolicy`` also tries ever shorter recent windows when the full
  window is unknown, so that a story learned mid-conversation still matches.

Training expands ``or`` steps (one variant per alternative) and joins stories through
checkpoints (a story ending in checkpoint X continues with every story starting with X).
Windows that led to different actions in different stories are forgotten (never guessed).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from training.engine.component import Component, TrainContext, TrainInputs, register
from training.engine.data import DomainSpec, SlotSpec, StoryEvent, StorySpec

M = TypeVar("M", bound="MemoizationPolicy")

ACTION_LISTEN = "action_listen"
LOOKUP_FILE = "memoized.json"
# bounds on the expansion of ``or`` steps and checkpoints, so that a story graph can't explode
MAX_VARIANTS_PER_STORY = 64
MAX_CHECKPOINT_JOINS = 4
MAX_JOINED_STORIES = 5000


@dataclass(frozen=True)
class DialogueState:
    intent: str | None = None
    entities: tuple[str, ...] = ()  # entity names ("entity#role" / "entity@group" when set)
    slots: tuple[tuple[str, str], ...] = ()  # (slot name, featurized value), sorted
    active_loop: str | None = None
    prev_action: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "entities": list(self.entities),
            "slots": [list(pair) for pair in self.slots],
            "active_loop": self.active_loop,
            "prev_action": self.prev_action,
        }


@dataclass(frozen=True)
class ActionPrediction:
    action: str
    confidence: float
    policy: str


@dataclass
class StateTracker:
    """Applies dialogue events; ``states()`` are the states the next bot action follows.

    A state is recorded before every bot action, the implicit ``action_listen`` before a user
    turn included, so that training (stories) and inference (a live conversation) see the
    same sequences.
    """

    domain: DomainSpec
    intent: str | None = None
    entities: tuple[str, ...] = ()
    slots: dict[str, str] = field(default_factory=dict)
    active_loop: str | None = None
    prev_action: str | None = ACTION_LISTEN
    history: list[DialogueState] = field(default_factory=list)

    def state(self) -> DialogueState:
        return DialogueState(
            intent=self.intent,
            entities=self.entities,
            slots=tuple(sorted(self.slots.items())),
            active_loop=self.active_loop,
            prev_action=self.prev_action,
        )

    def states(self) -> tuple[DialogueState, ...]:
        """Every recorded state and the current one, oldest first."""
        return (*self.history, self.state())

    @property
    def listening(self) -> bool:
        return self.prev_action == ACTION_LISTEN

    def apply(self, event: StoryEvent) -> None:
        if event.kind in ("intent", "user"):
            if not self.listening:
                self._act(ACTION_LISTEN)
            self.intent = event.name if event.kind == "intent" else None
            self.entities = _entity_names(event.entities)
        elif event.kind == "action":
            self._act(str(event.name))
        elif event.kind == "bot":
            self._act(f"bot: {event.text}")
        elif event.kind == "slot" and event.name is not None:
            self._set_slot(event.name, event.value)
        elif event.kind == "active_loop":
            self.active_loop = event.name

    def _act(self, action: str) -> None:
        if action == ACTION_LISTEN and self.listening:
            return
        self.history.append(self.state())
        self.prev_action = action

    def _set_slot(self, name: str, value: Any) -> None:
        spec = next((slot for slot in self.domain.slots if slot.name == name), None)
        if spec is not None and not spec.influence_conversation:
            return
        featurized = _slot_feature(spec, value)
        if featurized is None:
            self.slots.pop(name, None)
        else:
            self.slots[name] = featurized


@register
class MemoizationPolicy(Component):
    """Remembers ``window of states -> next action``; ``max_history`` None: the whole story."""

    name = "MemoizationPolicy"
    kind = "policy"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.lookup: dict[str, str] = {}

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"max_history": None, "priority": 3}

    @property
    def max_history(self) -> int | None:
        value = self.config.get("max_history")
        return None if value is None else int(value)

    def train(self, inputs: TrainInputs, context: TrainContext) -> dict[str, float]:
        domain = inputs.data.domain
        seen: dict[str, str | None] = {}
        samples = 0
        for events in expand_stories(inputs.data.stories):
            for states, action in training_samples(events, domain):
                samples += 1
                for key in self._training_keys(states):
                    previous = seen.get(key, action)
                    seen[key] = action if previous == action else None
        self.lookup = {key: action for key, action in sorted(seen.items()) if action is not None}
        conflicts = sum(1 for action in seen.values() if action is None)
        return {
            "samples": float(samples),
            "memorized": float(len(self.lookup)),
            "conflicts": float(conflicts),
        }

    def predict(self, states: Sequence[DialogueState]) -> ActionPrediction | None:
        """The remembered next action after ``states`` (oldest first), or None."""
        action = self.lookup.get(_key(self._window(states)))
        return None if action is None else ActionPrediction(action, 1.0, self.name)

    def _window(self, states: Sequence[DialogueState]) -> Sequence[DialogueState]:
        if self.max_history is None:
            return states
        return states[-self.max_history :] if self.max_history > 0 else ()

    def _training_keys(self, states: Sequence[DialogueState]) -> list[str]:
        return [_key(self._window(states))]

    def persist(self, directory: Path) -> None:
        payload = {"max_history": self.max_history, "lookup": self.lookup}
        (directory / LOOKUP_FILE).write_text(
            json.dumps(payload, sort_keys=True, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls: type[M], config: dict[str, Any], directory: Path) -> M:
        policy = cls(config)
        payload = json.loads((directory / LOOKUP_FILE).read_text(encoding="utf-8"))
        policy.lookup = dict(payload["lookup"])
        return policy


@register
class AugmentedMemoizationPolicy(MemoizationPolicy):
    """Memoization that also matches on the most recent states alone (``max_history`` 5)."""

    name = "AugmentedMemoizationPolicy"

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"max_history": 5, "priority": 3}

    def predict(self, states: Sequence[DialogueState]) -> ActionPrediction | None:
        window = self._window(states)
        for start in range(len(window)):
            action = self.lookup.get(_key(window[start:]))
            if action is not None:
                return ActionPrediction(action, 1.0, self.name)
        return None


# -------------------------------------------------------------------- stories -> samples


def training_samples(
    events: Iterable[StoryEvent], domain: DomainSpec, *, listen_at_end: bool = True
) -> list[tuple[tuple[DialogueState, ...], str]]:
    """(states up to a bot action, that action) for every action of a flat event list.

    The bot listens (``action_listen``) after its last action before a user turn and, with
    ``listen_at_end``, after the story's last action.
    """
    tracker = StateTracker(domain)
    samples: list[tuple[tuple[DialogueState, ...], str]] = []
    for event in events:
        user_turn = event.kind in ("intent", "user")
        if (user_turn or (event.kind == "action" and event.name == ACTION_LISTEN)) and (
            not tracker.listening
        ):
            samples.append((tracker.states(), ACTION_LISTEN))
        elif event.kind == "action" and event.name != ACTION_LISTEN:
            samples.append((tracker.states(), str(event.name)))
        elif event.kind == "bot":
            samples.append((tracker.states(), f"bot: {event.text}"))
        tracker.apply(event)
    if listen_at_end and not tracker.listening:
        samples.append((tracker.states(), ACTION_LISTEN))
    return samples


def expand_stories(stories: Sequence[StorySpec]) -> list[list[StoryEvent]]:
    """Flat event lists: ``or`` steps expanded, checkpoints joined, rule conditions applied."""
    segments = [(story, variant) for story in stories for variant in _or_variants(_prefixed(story))]
    starting: dict[str, list[list[StoryEvent]]] = {}
    roots: list[list[StoryEvent]] = []
    for _, events in segments:
        heads = _leading_checkpoints(events)
        body = events[len(heads) :]
        if heads:
            for head in heads:
                starting.setdefault(head, []).append(body)
        else:
            roots.append(body)
    flat: list[list[StoryEvent]] = []
    for root in roots:
        flat.extend(_joined(root, starting, MAX_CHECKPOINT_JOINS))
        if len(flat) >= MAX_JOINED_STORIES:
            break
    return [_without_checkpoints(events) for events in flat[:MAX_JOINED_STORIES]]


def _prefixed(story: StorySpec) -> list[StoryEvent]:
    return [*story.condition, *story.events]


def _or_variants(events: list[StoryEvent]) -> list[list[StoryEvent]]:
    choices = [list(event.alternatives) if event.kind == "or" else [event] for event in events]
    variants = itertools.islice(itertools.product(*choices), MAX_VARIANTS_PER_STORY)
    return [list(variant) for variant in variants]


def _leading_checkpoints(events: list[StoryEvent]) -> list[str]:
    heads: list[str] = []
    for event in events:
        if event.kind != "checkpoint":
            break
        heads.append(str(event.name))
    return heads


def _joined(
    events: list[StoryEvent], starting: dict[str, list[list[StoryEvent]]], joins_left: int
) -> list[list[StoryEvent]]:
    tail = events[-1] if events else None
    if tail is None or tail.kind != "checkpoint" or joins_left == 0:
        return [events]
    continuations = starting.get(str(tail.name), [])
    if not continuations:
        return [events]
    joined: list[list[StoryEvent]] = []
    for continuation in continuations:
        joined.extend(_joined([*events[:-1], *continuation], starting, joins_left - 1))
    return joined


def _without_checkpoints(events: list[StoryEvent]) -> list[StoryEvent]:
    return [event for event in events if event.kind != "checkpoint"]


# ---------------------------------------------------------------------------- features


def _key(states: Sequence[DialogueState]) -> str:
    return json.dumps([state.as_json() for state in states], sort_keys=True, ensure_ascii=False)


def _entity_names(entities: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    names: set[str] = set()
    for entity in entities:
        name = str(entity.get("entity"))
        names.add(name)
        if entity.get("role"):
            names.add(f"{name}#{entity['role']}")
        if entity.get("group"):
            names.add(f"{name}@{entity['group']}")
    return tuple(sorted(names))


def _slot_feature(spec: SlotSpec | None, value: Any) -> str | None:
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
