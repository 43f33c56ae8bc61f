"""The small protocol every dialogue policy speaks to the ensemble."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from training.engine.dialogue.states import DialogueState

# Rasa's default priorities: the ensemble breaks confidence ties with them
RULE_PRIORITY = 6
MEMOIZATION_PRIORITY = 3
ML_PRIORITY = 1


@dataclass(frozen=True)
class PolicyPrediction:
    """A policy's scores over actions (actions left out score 0) and its best action."""

    policy: str
    action: str
    confidence: float
    priority: int = 0
    scores: tuple[tuple[str, float], ...] = ()

    def score_of(self, action: str) -> float:
        if action == self.action:
            return self.confidence
        return next((score for name, score in self.scores if name == action), 0.0)

    def scores_over(self, actions: Sequence[str]) -> tuple[float, ...]:
        known = dict(self.scores)
        known[self.action] = self.confidence
        return tuple(known.get(action, 0.0) for action in actions)


def certain(policy: str, action: str, priority: int) -> PolicyPrediction:
    return PolicyPrediction(policy, action, 1.0, priority, ((action, 1.0),))


class DialoguePolicy(Protocol):
    """``predict``: the policy's opinion on the next action after ``states`` (oldest first,
    the last one current), or None when it has none. ``actions``: every action the assistant
    knows (an ML policy scores them all)."""

    @property
    def priority(self) -> int: ...

    def predict(
        self, states: Sequence[DialogueState], actions: Sequence[str] = ()
    ) -> PolicyPrediction | None: ...
