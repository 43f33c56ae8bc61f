"""Opening a conversation again reads only the events after those this process knows, and never
returns events that no longer stand (another writer, a replaced history, a new session, a
conversation created again, a transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from annotation.models import Conversation, Event
from annotation.selectors.conversations import conversation_events
from annotation.services.conversations import (
    conversation_append_events,
    conversation_get_or_create,
    conversation_open,
    conversation_replace_events,
    known_histories_clear,
)
from tests.annotation.test_conversations import CONVERSATION, action, user
from tests.factories import AssistantFactory

# the known events are kept only outside transactions: these tests commit
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def conversation() -> Iterator[Conversation]:
    known_histories_clear()
    assistant = AssistantFactory(name="tiny")
    conversation = conversation_get_or_create(assistant=assistant, sender_id="alice")
    conversation_append_events(conversation=conversation, events=CONVERSATION)
    yield conversation
    known_histories_clear()


def opened(conversation: Conversation) -> list[dict[str, Any]]:
    _, events = conversation_open(assistant=conversation.assistant, sender_id="alice")
    return events


def mark_stored_text(conversation: Conversation, position: int, text: str) -> None:
    """Change a stored event behind the process's back: the events it knows keep the old text,
    so that a read shows which it used."""
    event = Event.objects.get(conversation=conversation, position=position)
    event.data = {**event.data, "text": text}
    event.save(update_fields=["data"])


def test_given_a_session_read_when_opened_again_then_only_the_newer_events_are_read(
    conversation: Conversation,
) -> None:
    first = opened(conversation)
    mark_stored_text(conversation, 3, "changed in the database")
    conversation_append_events(conversation=conversation, events=[user("more", "inform")])

    with CaptureQueriesContext(connection) as queries:
        again = opened(conversation)

    assert len(queries) == 1
    assert again[:-1] == first  # the known part, not read again (its text unchanged)
    assert again[2]["text"] == "I live in Berlin"
    assert again[-1]["text"] == "more"
    assert conversation_events(conversation=conversation)[2]["text"] == "changed in the database"


def test_given_turns_in_between_when_opened_then_the_session_is_whole_and_in_order(
    conversation: Conversation,
) -> None:
    opened(conversation)
    for n in range(3):  # another process's turns
        conversation_append_events(conversation=conversation, events=[user(f"m{n}", "inform")])
        assert opened(conversation) == conversation_events(conversation=conversation)
    assert [e.get("text") for e in opened(conversation)[-3:]] == ["m0", "m1", "m2"]


def test_given_replaced_events_when_opened_then_the_known_ones_are_dropped(
    conversation: Conversation,
) -> None:
    opened(conversation)
    replacement = [user(f"new {n}", "greet") for n in range(len(CONVERSATION) + 2)]
    conversation_replace_events(conversation=conversation, events=replacement)

    events = opened(conversation)

    assert [e["text"] for e in events] == [f"new {n}" for n in range(len(CONVERSATION) + 2)]
    assert events == conversation_events(conversation=conversation)


def test_given_a_new_session_when_opened_then_only_its_events_come(
    conversation: Conversation,
) -> None:
    opened(conversation)
    conversation_append_events(
        conversation=conversation,
        events=[action("action_session_start"), {"event": "session_started"}, user("hi", "greet")],
    )

    events = opened(conversation)

    assert [e["event"] for e in events] == ["session_started", "user"]
    assert events == conversation_events(conversation=conversation)


def test_given_the_conversation_deleted_and_started_again_when_opened_then_it_is_the_new_one(
    conversation: Conversation,
) -> None:
    opened(conversation)
    conversation.delete()
    again = conversation_get_or_create(assistant=conversation.assistant, sender_id="alice")
    conversation_append_events(conversation=again, events=CONVERSATION[:3])

    assert opened(again) == conversation_events(conversation=again)
    assert len(opened(again)) == 2  # from session_started on


def test_given_a_transaction_when_opened_then_nothing_known_is_used_or_kept(
    conversation: Conversation,
) -> None:
    opened(conversation)
    mark_stored_text(conversation, 3, "changed in the database")

    with transaction.atomic():
        inside = opened(conversation)
        conversation_append_events(conversation=conversation, events=[user("undone", "inform")])
        assert opened(conversation)[-1]["text"] == "undone"
        transaction.set_rollback(True)

    assert inside[2]["text"] == "changed in the database"  # read, not taken from memory
    assert "undone" not in [e.get("text") for e in opened(conversation)]  # not kept either
