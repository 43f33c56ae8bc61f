"""Memoization policies: remember which action followed which dialogue states in the stories.

``MemoizationPolicy.predict(states)``: the remembered next action with confidence 1.0, or None.
``AugmentedMemoizationPolicy`` also tries ever shorter recent windows when the full window is
unknown, so that a story learned mid-conversation still matches. Training dialogues (stories,
augmented, and rules) come from ``training.engine.dialogue.trackers``; windows that led to
different actions in different dialogues are forgotten (never guessed).

``InteractiveMemoryPolicy`` is the memory interactive learning (``engine.online``) adds to a
model that has no memoization policy: it learns nothing from the training data, only the
corrected stories it is given.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from training.engine.component import Component, TrainContext, TrainInputs, register
from training.engine.dialogue.policy import MEMOIZATION_PRIORITY, PolicyPrediction, certain
from training.engine.dialogue.states import ACTION_LISTEN, DialogueState, StateTracker, window
from training.engine.dialogue.trackers import (
    DEFAULT_AUGMENTATION_FACTOR,
    dialogue_samples,
    expand_stories,
    training_dialogues,
    training_samples,
)

M = TypeVar("M", bound="MemoizationPolicy")

LOOKUP_FILE = "memoized.json"

__all__ = [
    "ACTION_LISTEN",
    "AugmentedMemoizationPolicy",
    "DialogueState",
    "InteractiveMemoryPolicy",
    "MemoizationPolicy",
    "StateTracker",
    "expand_stories",
    "training_samples",
]


@register
class MemoizationPolicy(Component):
    """Remembers ``window of states -> next action``; ``max_history`` None: the whole story."""

    name = "MemoizationPolicy"
    version = 2  # 2: trained on augmented dialogues
    kind = "policy"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.lookup: dict[str, str] = {}

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            "max_history": None,
            "priority": MEMOIZATION_PRIORITY,
            "augmentation_factor": DEFAULT_AUGMENTATION_FACTOR,
        }

    @property
    def max_history(self) -> int | None:
        value = self.config.get("max_history")
        return None if value is None else int(value)

    @property
    def priority(self) -> int:
        return int(self.config.get("priority", MEMOIZATION_PRIORITY))

    def train(self, inputs: TrainInputs, context: TrainContext) -> dict[str, float]:
        domain = inputs.data.domain
        seen: dict[str, str | None] = {}
        samples = 0
        dialogues = training_dialogues(
            inputs.data.stories,
            augmentation_factor=int(self.config.get("augmentation_factor") or 0),
            seed=context.seed,
        )
        for dialogue in dialogues:
            for states, action in dialogue_samples(dialogue, domain):
                samples += 1
                for key in self._training_keys(states):
                    previous = seen.get(key, action)
                    seen[key] = action if previous == action else None
        self.lookup = {key: action for key, action in sorted(seen.items()) if action is not None}
        conflicts = sum(1 for action in seen.values() if action is None)
        return {
            "dialogues": float(len(dialogues)),
            "samples": float(samples),
            "memorized": float(len(self.lookup)),
            "conflicts": float(conflicts),
        }

    def predict(
        self, states: Sequence[DialogueState], actions: Sequence[str] = ()
    ) -> PolicyPrediction | None:
        """The remembered next action after ``states`` (oldest first) with confidence 1.0."""
        return self._certain(self.lookup.get(_key(self._window(states))))

    def _certain(self, action: str | None) -> PolicyPrediction | None:
        return None if action is None else certain(self.name, action, self.priority)

    def _window(self, states: Sequence[DialogueState]) -> Sequence[DialogueState]:
        return window(states, self.max_history)

    def _training_keys(self, states: Sequence[DialogueState]) -> list[str]:
        return [_key(self._window(states))]

    def key_of(self, states: Sequence[DialogueState]) -> str:
        """The lookup key a sample ending in ``states`` is remembered under."""
        return _key(self._window(states))

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
        return {**super().get_default_config(), "max_history": 5}

    def predict(
        self, states: Sequence[DialogueState], actions: Sequence[str] = ()
    ) -> PolicyPrediction | None:
        recent = self._window(states)
        for start in range(len(recent)):
            action = self.lookup.get(_key(recent[start:]))
            if action is not None:
                return self._certain(action)
        return None


@register
class InteractiveMemoryPolicy(MemoizationPolicy):
    """Memoization of interactive corrections only (the last 5 states, as Rasa's default)."""

    name = "InteractiveMemoryPolicy"

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {**super().get_default_config(), "max_history": 5}

    def train(self, inputs: TrainInputs, context: TrainContext) -> dict[str, float]:
        self.lookup = {}
        return {"memorized": 0.0}


def _key(states: Sequence[DialogueState]) -> str:
    """``json.dumps([state.as_json() ...], sort_keys=True, ensure_ascii=False)``, each state's
    part serialized once: every prediction looks up a few windows of the same few states."""
    return "[" + ", ".join([_state_json(state) for state in states]) + "]"


@functools.lru_cache(maxsize=65_536)
def _state_json(state: DialogueState) -> str:
    return json.dumps(state.as_json(), sort_keys=True, ensure_ascii=False)
