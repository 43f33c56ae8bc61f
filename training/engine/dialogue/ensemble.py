"""The ensemble: ask every policy, keep the most confident answer, ties to the higher priority.

A policy that declares ``max_confidence`` (the ML policies: a softmax, at most 1.0) is not asked
when an earlier answer already beats anything it could say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from training.engine.data import DomainSpec, StoryEvent
from training.engine.dialogue import PolicyDecision
from training.engine.dialogue.actions import action_names
from training.engine.dialogue.policy import DialoguePolicy, PolicyPrediction
from training.engine.dialogue.states import ACTION_LISTEN, DialogueState, states_of


@dataclass
class PolicyEnsemble:
    domain: DomainSpec
    policies: Sequence[DialoguePolicy]

    def __post_init__(self) -> None:
        self.actions = action_names(self.domain)

    def predict_next_action(self, events: Sequence[StoryEvent]) -> PolicyDecision:
        return self.decide(states_of(events, self.domain))

    def decide(self, states: Sequence[DialogueState]) -> PolicyDecision:
        """The best prediction; with none, ``action_listen`` at confidence 0 and no policy."""
        best: PolicyPrediction | None = None
        for policy in self.policies:
            if _cannot_beat(policy, best):
                continue
            found = policy.predict(states, self.actions)
            if found is not None and found.confidence > 0 and _beats(found, best):
                best = found
        if best is None:
            return PolicyDecision(ACTION_LISTEN, 0.0, None, tuple((a, 0.0) for a in self.actions))
        actions = self.actions if best.action in self.actions else (*self.actions, best.action)
        scores = sorted(
            zip(actions, best.scores_over(actions), strict=True), key=lambda pair: -pair[1]
        )
        return PolicyDecision(best.action, best.confidence, best.policy, tuple(scores))


def _cannot_beat(policy: DialoguePolicy, best: PolicyPrediction | None) -> bool:
    """Whether ``policy`` can be left unasked: its highest confidence (``max_confidence``, when
    it says) at its priority would not beat ``best``, so the decision is the same without it."""
    ceiling = getattr(policy, "max_confidence", None)
    if best is None or ceiling is None:
        return False
    return (float(ceiling), policy.priority) <= (best.confidence, best.priority)


def _beats(found: PolicyPrediction, best: PolicyPrediction | None) -> bool:
    if best is None:
        return True
    return (found.confidence, found.priority) > (best.confidence, best.priority)
