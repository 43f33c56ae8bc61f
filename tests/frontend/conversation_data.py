"""Recorded conversations for the studio's tests, stored through the real services (the
inbox fills itself from them)."""

from __future__ import annotations

from typing import Any

from annotation.models import Assistant, Conversation
from annotation.services.conversations import conversation_append_events, conversation_get_or_create


def user(
    text: str, intent: str, confidence: float, entities: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            "entities": entities or [],
        },
        "input_channel": "rest",
    }


def action(name: str, policy: str = "RulePolicy", confidence: float = 1.0) -> dict[str, Any]:
    return {"event": "action", "name": name, "policy": policy, "confidence": confidence}


def bot(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def record(
    assistant: Assistant, sender_id: str, events: list[dict[str, Any]], channel: str = "rest"
) -> Conversation:
    conversation = conversation_get_or_create(
        assistant=assistant, sender_id=sender_id, channel=channel
    )
    conversation_append_events(conversation=conversation, events=events)
    conversation.refresh_from_db()
    return conversation


def greeting_conversation(assistant: Assistant, sender_id: str = "alice") -> Conversation:
    """A short, confident exchange: greet, ask for concerts in Berlin, say goodbye."""
    return record(
        assistant,
        sender_id,
        [
            action("action_session_start"),
            action("action_listen"),
            user("hello there", "greet", 0.97),
            action("utter_greet", "RulePolicy", 1.0),
            bot("Hey! How can I help?"),
            action("action_listen"),
            user("bye now", "goodbye", 0.93),
            action("utter_goodbye", "RulePolicy", 1.0),
            bot("Bye!"),
            action("action_listen"),
        ],
    )


def uncertain_conversation(assistant: Assistant, sender_id: str = "bob") -> Conversation:
    """Messages the model was unsure about, which land in the inbox least certain first."""
    return record(
        assistant,
        sender_id,
        [
            action("action_listen"),
            user("any gigs in Lisbon tonight", "greet", 0.31),
            action("utter_greet", "TEDPolicy", 0.42),
            bot("Hey! How can I help?"),
            action("action_listen"),
            user("what is playing", "goodbye", 0.55),
            action("utter_goodbye", "TEDPolicy", 0.5),
            bot("Bye!"),
            action("action_listen"),
        ],
    )
