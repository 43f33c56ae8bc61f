"""Dialogue states as numbers for the ML policies: one multi-hot vector per state over a
vocabulary of intents, entities, previous actions, slots and active loops, and windows of the
last ``max_history`` states, left-padded with zero vectors and a mask (1 = a real state).

Slots: ``slot:NAME`` for a set text/list/any slot, ``slot:NAME=VALUE`` for categorical and
bool values, and ``slot:NAME`` carrying the number itself for a float slot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from training.engine.data import DomainSpec
from training.engine.dialogue.actions import action_names
from training.engine.dialogue.states import DialogueState

FloatArray = np.ndarray[Any, np.dtype[np.float32]]


def state_features(state: DialogueState) -> list[tuple[str, float]]:
    """(feature name, value) of one state; every value is 1 except a float slot's number."""
    found: list[tuple[str, float]] = []
    if state.intent is not None:
        found.append((f"intent:{state.intent}", 1.0))
    found.extend((f"entity:{entity}", 1.0) for entity in state.entities)
    if state.prev_action is not None:
        found.append((f"action:{state.prev_action}", 1.0))
    for name, value in state.slots:
        number = _float_or_none(value)
        if value == "set":
            found.append((f"slot:{name}", 1.0))
        elif number is not None:
            found.append((f"slot:{name}", number))
        else:
            found.append((f"slot:{name}={value}", 1.0))
    if state.active_loop is not None:
        found.append((f"loop:{state.active_loop}", 1.0))
    return found


def _float_or_none(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def domain_features(domain: DomainSpec) -> list[str]:
    """The features a domain can produce, in a stable order."""
    names = [f"intent:{intent.name}" for intent in domain.intents]
    names += [f"entity:{entity.name}" for entity in domain.entities]
    names += [f"action:{action}" for action in action_names(domain)]
    for slot in domain.slots:
        if not slot.influence_conversation:
            continue
        if slot.type == "categorical":
            names += [f"slot:{slot.name}={str(v).lower()}" for v in slot.values]
            names.append(f"slot:{slot.name}=__other__")
        elif slot.type == "bool":
            names += [f"slot:{slot.name}=true", f"slot:{slot.name}=false"]
        else:
            names.append(f"slot:{slot.name}")
    names += [f"loop:{form.name}" for form in domain.forms]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class StateVocabulary:
    """Feature name -> column; grows only (new names appended, old columns kept)."""

    names: tuple[str, ...]
    index: dict[str, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {name: i for i, name in enumerate(self.names)})

    @classmethod
    def build(
        cls, domain: DomainSpec, windows: Iterable[Sequence[DialogueState]]
    ) -> StateVocabulary:
        """The domain's features, then those only the training states show, sorted."""
        return cls(()).grown(domain, windows)

    def grown(
        self, domain: DomainSpec, windows: Iterable[Sequence[DialogueState]]
    ) -> StateVocabulary:
        known = dict.fromkeys(self.names)
        known.update(dict.fromkeys(domain_features(domain)))
        seen = {name for states in windows for state in states for name, _ in state_features(state)}
        return StateVocabulary((*known, *sorted(seen - set(known))))

    @property
    def size(self) -> int:
        return len(self.names)

    def encode_state(self, state: DialogueState) -> FloatArray:
        vector = np.zeros(self.size, dtype=np.float32)
        for name, value in state_features(state):
            column = self.index.get(name)  # features never seen in training are left out
            if column is not None:
                vector[column] = value
        return vector

    def encode_window(
        self,
        states: Sequence[DialogueState],
        max_history: int,
        encode: Callable[[DialogueState], FloatArray] | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """``(max_history, size)`` states (the last ones, left-padded) and their mask; each
        state encoded by ``encode`` (``encode_state`` unless given: a caller's cache)."""
        encode = encode or self.encode_state
        recent = list(states)[-max_history:] if max_history > 0 else []
        x = np.zeros((max_history, self.size), dtype=np.float32)
        mask = np.zeros(max_history, dtype=np.float32)
        offset = max_history - len(recent)
        for i, state in enumerate(recent):
            x[offset + i] = encode(state)
            mask[offset + i] = 1.0
        return x, mask

    def encode_windows(
        self, windows: Sequence[Sequence[DialogueState]], max_history: int
    ) -> tuple[FloatArray, FloatArray]:
        """``(n, max_history, size)`` and ``(n, max_history)``."""
        x = np.zeros((len(windows), max_history, self.size), dtype=np.float32)
        mask = np.zeros((len(windows), max_history), dtype=np.float32)
        for i, states in enumerate(windows):
            x[i], mask[i] = self.encode_window(states, max_history)
        return x, mask
