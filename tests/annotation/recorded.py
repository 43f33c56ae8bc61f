"""Rasa events, and conversations recorded through the real recording service, for tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from annotation.models import Assistant, Conversation
from annotation.services.conversations import (
    conversation_append_events,
    conversation_get_or_create,
)


def user(
    text: str,
    intent: str | None = "greet",
    confidence: float = 0.9,
    *,
    entities: Sequence[dict[str, Any]] = (),
    timestamp: float | None = None,
) -> dict[str, Any]:
    """A Rasa ``user`` event as the serving layer records it."""
    event: dict[str, Any] = {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence} if intent else {},
            "intent_ranking": [{"name": intent, "confidence": confidence}] if intent else [],
            "entities": list(entities),
        },
        "input_channel": "rest",
    }
    if timestamp is not None:
        event["timestamp"] = timestamp
    return event


def action(name: str, policy: str = "RulePolicy", confidence: float = 1.0) -> dict[str, Any]:
    return {"event": "action", "name": name, "policy": policy, "confidence": confidence}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def session_start(timestamp: float | None = None) -> list[dict[str, Any]]:
    start: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        action("action_listen"),
    ]
    if timestamp is not None:
        for event in start:
            event["timestamp"] = timestamp
    return start


def timestamped(
    events: Sequence[dict[str, Any]], first: float, last: float
) -> list[dict[str, Any]]:
    """``events`` with timestamps spread evenly from ``first`` to ``last``."""
    step = (last - first) / max(len(events) - 1, 1)
    return [{**event, "timestamp": first + n * step} for n, event in enumerate(events)]


def record(
    assistant: Assistant,
    sender_id: str,
    events: Sequence[dict[str, Any]],
    *,
    channel: str = "rest",
) -> Conversation:
    """Record ``events`` in the conversation with ``sender_id`` (created when new)."""
    conversation = conversation_get_or_create(
        assistant=assistant, sender_id=sender_id, channel=channel
    )
    conversation_append_events(conversation=conversation, events=events)
    return conversation
