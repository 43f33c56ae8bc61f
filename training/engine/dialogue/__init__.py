"""Dialogue: from the conversation so far to the next action.

The contract between the engine and the running assistant (``training/serving.py``):

* a conversation is a sequence of ``training.engine.data.StoryEvent`` (the same type stories
  are made of): ``intent`` (a user message: ``name`` the intent, ``entities``, ``text``),
  ``action`` (``name``), ``bot`` (``text``), ``slot`` (``name``, ``value``), ``active_loop``
  (``name``, None when it ends), plus ``restart`` and ``session_started`` which reset it;
* ``Model.predict_next_action(events)`` returns a ``PolicyDecision``: the chosen action, its
  confidence, the policy that decided, and every known action with its score (sorted, highest
  first), for interactive learning's bar list.

Modules: ``states`` (DialogueState, StateTracker: events -> states), ``trackers`` (training
dialogues: or-steps, checkpoints, augmentation, samples), ``policy`` (the ``predict(states,
actions) -> PolicyPrediction | None`` protocol and priorities), ``actions`` (every action name),
``loops`` (whether a form can use a user turn), ``ensemble``, ``evaluation`` (test stories).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PolicyDecision:
    action: str
    confidence: float
    policy: str | None  # the deciding policy's name ("RulePolicy"), None when none could
    scores: tuple[tuple[str, float], ...] = ()  # (action, score), highest first

    def as_dict(self) -> dict[str, object]:
        return {
            "action": self.action,
            "confidence": self.confidence,
            "policy": self.policy,
            "scores": [{"action": a, "score": s} for a, s in self.scores],
        }
