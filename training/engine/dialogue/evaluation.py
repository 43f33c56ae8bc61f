"""Test stories: replay each one, compare every bot action the model predicts with the story's.

At each bot action (the ``action_listen`` before a user turn included) the model predicts from
the conversation so far; the story's true action is appended either way, as in Rasa's
``rasa test core``. The conversation goes on with the story's intents; with ``parse_intent``
(the model's NLU), each user text of the stories is also classified and checked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from training.engine.data import StoryEvent, StorySpec
from training.engine.dialogue import PolicyDecision
from training.engine.dialogue.states import ACTION_LISTEN
from training.engine.dialogue.trackers import expand_named_stories

IntentParser = Callable[[str], str | None]


class Predictor(Protocol):
    def predict_next_action(self, events: Sequence[StoryEvent]) -> PolicyDecision: ...


@dataclass(frozen=True)
class ActionCheck:
    story: str
    step: int  # the index of the story event (or of the user turn an action_listen precedes)
    expected: str
    predicted: str
    confidence: float
    policy: str | None

    @property
    def correct(self) -> bool:
        return self.expected == self.predicted


def replay(model: Predictor, name: str, events: Sequence[StoryEvent]) -> list[ActionCheck]:
    checks: list[ActionCheck] = []
    so_far: list[StoryEvent] = []
    listening = True
    for step, event in enumerate(events):
        expected = _bot_action(event, listening)
        if expected is not None:
            decision = model.predict_next_action(so_far)
            checks.append(
                ActionCheck(
                    name, step, expected, decision.action, decision.confidence, decision.policy
                )
            )
            if expected == ACTION_LISTEN and event.kind != "action":
                so_far.append(StoryEvent("action", ACTION_LISTEN))
        if event.kind in ("intent", "user"):
            listening = False
        elif event.kind == "action":
            listening = event.name == ACTION_LISTEN
        elif event.kind == "bot":
            listening = False
        so_far.append(event)
    return checks


def _bot_action(event: StoryEvent, listening: bool) -> str | None:
    if event.kind in ("intent", "user"):
        return None if listening else ACTION_LISTEN
    if event.kind == "action":
        if event.name == ACTION_LISTEN and listening:
            return None
        return str(event.name)
    if event.kind == "bot":
        return f"bot: {event.text}"
    return None


def evaluate_stories(
    model: Predictor, stories: Sequence[StorySpec], *, parse_intent: IntentParser | None = None
) -> dict[str, Any]:
    """Action accuracy, per-action precision/recall/F1, the share of stories with every action
    right, and the failed stories with their first wrong action; with ``parse_intent``, the
    intent accuracy on the stories' user texts and the stories right with NLU too."""
    checks: list[ActionCheck] = []
    failed: list[dict[str, Any]] = []
    paths = expand_named_stories(stories)
    user_turns = 0
    nlu_failures: list[dict[str, Any]] = []
    right_with_nlu = 0
    for name, events in paths:
        wrong_intents = _wrong_intents(name, events, parse_intent) if parse_intent else []
        user_turns += sum(1 for e in events if e.kind == "intent" and e.text) if parse_intent else 0
        nlu_failures.extend(wrong_intents)
        story_checks = replay(model, name, events)
        checks.extend(story_checks)
        wrong = next((check for check in story_checks if not check.correct), None)
        if wrong is not None:
            failed.append(
                {
                    "story": name,
                    "step": wrong.step,
                    "expected": wrong.expected,
                    "predicted": wrong.predicted,
                    "confidence": wrong.confidence,
                    "policy": wrong.policy,
                    "wrong_actions": sum(1 for check in story_checks if not check.correct),
                }
            )
        elif not wrong_intents:
            right_with_nlu += 1
    correct = sum(1 for check in checks if check.correct)
    per_action = _per_action(checks)
    supported = [m for m in per_action.values() if m["support"]]
    total_support = sum(m["support"] for m in supported)
    return {
        "stories": len(paths),
        "stories_correct": len(paths) - len(failed),
        "conversation_accuracy": _ratio(len(paths) - len(failed), len(paths)),
        "actions": len(checks),
        "actions_correct": correct,
        "action_accuracy": _ratio(correct, len(checks)),
        "macro_f1": _ratio(sum(m["f1"] for m in supported), len(supported)),
        "weighted_f1": _ratio(sum(m["f1"] * m["support"] for m in supported), total_support),
        "per_action": per_action,
        "nlu": _nlu_summary(parse_intent, user_turns, nlu_failures, right_with_nlu, len(paths)),
        "policies": dict(sorted(Counter(str(c.policy) for c in checks).items())),
        "failed_stories": failed,
    }


def _wrong_intents(
    story: str, events: Sequence[StoryEvent], parse_intent: IntentParser
) -> list[dict[str, Any]]:
    wrong: list[dict[str, Any]] = []
    for step, event in enumerate(events):
        if event.kind != "intent" or not event.text:
            continue
        predicted = parse_intent(event.text.strip())
        expected = str(event.name)
        # a retrieval intent's story names the base intent ("faq"), NLU the full one
        if predicted is None or (predicted != expected and predicted.split("/")[0] != expected):
            wrong.append(
                {
                    "story": story,
                    "step": step,
                    "text": event.text.strip(),
                    "expected": expected,
                    "predicted": predicted,
                }
            )
    return wrong


def _nlu_summary(
    parse_intent: IntentParser | None,
    user_turns: int,
    failures: list[dict[str, Any]],
    right_with_nlu: int,
    stories: int,
) -> dict[str, Any] | None:
    if parse_intent is None:
        return None
    return {
        "user_turns": user_turns,
        "intent_accuracy": _ratio(user_turns - len(failures), user_turns),
        "stories_correct": right_with_nlu,
        "conversation_accuracy": _ratio(right_with_nlu, stories),
        "wrong_intents": failures,
    }


def _per_action(checks: Sequence[ActionCheck]) -> dict[str, dict[str, float]]:
    expected = Counter(check.expected for check in checks)
    predicted = Counter(check.predicted for check in checks)
    right = Counter(check.expected for check in checks if check.correct)
    metrics: dict[str, dict[str, float]] = {}
    for action in sorted(set(expected) | set(predicted)):
        precision = _ratio(right[action], predicted[action])
        recall = _ratio(right[action], expected[action])
        f1 = _ratio(2 * precision * recall, precision + recall)
        metrics[action] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": expected[action],
        }
    return metrics


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0
