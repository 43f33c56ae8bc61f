"""Recorded conversations: events stored with their filter columns, tracker JSON, YAML story."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation.models import Conversation, Event, EventEntity, InboxItem
from annotation.prepared import executed_sql
from annotation.selectors.conversations import (
    conversation_events,
    conversation_list,
    conversation_story_yaml,
    conversation_tracker,
)
from annotation.services.conversations import (
    conversation_append_events,
    conversation_get_or_create,
    conversation_open,
    conversation_replace_events,
)
from tests.factories import AssistantFactory

pytestmark = pytest.mark.django_db


def user(text: str, intent: str, confidence: float = 0.9, **entities: str) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [
                {"entity": k, "value": v, "start": 0, "end": 1} for k, v in entities.items()
            ],
        },
        "input_channel": "rest",
        "message_id": f"m-{text}",
    }


def action(name: str, policy: str = "RulePolicy", confidence: float = 1.0) -> dict[str, Any]:
    return {"event": "action", "name": name, "policy": policy, "confidence": confidence}


CONVERSATION = [
    {"event": "action", "name": "action_session_start", "timestamp": 1000.0},
    {"event": "session_started", "timestamp": 1000.0},
    action("action_listen"),
    user("I live in Berlin", "inform", 0.42, city="Berlin"),
    {"event": "slot", "name": "city", "value": "Berlin"},
    action("utter_ok", "MemoizationPolicy", 0.8),
    {"event": "bot", "text": "Noted.", "data": {}},
    action("action_listen"),
]


@pytest.fixture
def conversation() -> Conversation:
    assistant = AssistantFactory(name="tiny")
    conversation = conversation_get_or_create(
        assistant=assistant, sender_id="alice", channel="rest"
    )
    conversation_append_events(conversation=conversation, events=CONVERSATION)
    return conversation


def test_given_events_when_appended_then_rows_have_positions_and_filter_columns(
    conversation: Conversation,
) -> None:
    rows = list(Event.objects.filter(conversation=conversation).order_by("position"))

    assert [r.position for r in rows] == list(range(8))
    assert rows[3].kind == "user"
    assert (rows[3].intent, rows[3].intent_confidence) == ("inform", 0.42)
    assert rows[3].text == "I live in Berlin"
    assert (rows[4].slot_name, rows[4].slot_value) == ("city", "Berlin")
    assert (rows[5].action, rows[5].policy, rows[5].confidence) == (
        "utter_ok",
        "MemoizationPolicy",
        0.8,
    )
    assert EventEntity.objects.get(event=rows[3]).entity == "city"
    conversation.refresh_from_db()
    assert conversation.slots == {"city": "Berlin"}
    assert conversation.event_count == 8
    assert conversation.latest_action_name == "action_listen"
    assert conversation.session_position == 1


def test_given_a_second_batch_when_appended_then_positions_continue(
    conversation: Conversation,
) -> None:
    conversation_append_events(conversation=conversation, events=[user("bye", "goodbye")])

    assert Event.objects.filter(conversation=conversation).latest("position").position == 8
    assert conversation.event_count == 9


def test_given_conversations_when_filtered_then_each_reviewer_filter_selects(
    conversation: Conversation, django_assert_num_queries: Any
) -> None:
    other = conversation_get_or_create(
        assistant=conversation.assistant, sender_id="bob", channel="socketio"
    )
    conversation_append_events(conversation=other, events=[user("hi", "greet", 0.99)])
    assistant = conversation.assistant

    def senders(**filters: Any) -> list[str]:
        return [c.sender_id for c in conversation_list(assistant=assistant, **filters)]

    with django_assert_num_queries(1):
        assert senders(intent="inform") == ["alice"]
    assert senders(intent="greet") == ["bob"]
    assert senders(action="utter_ok") == ["alice"]
    assert senders(policy="MemoizationPolicy") == ["alice"]
    assert senders(entity="city") == ["alice"]
    assert senders(slot="city") == ["alice"]
    assert senders(max_confidence=0.5) == ["alice"]
    assert senders(channel="socketio") == ["bob"]
    assert set(senders()) == {"alice", "bob"}


def test_given_a_conversation_when_tracker_read_then_it_has_rasas_shape(
    conversation: Conversation,
) -> None:
    tracker = conversation_tracker(conversation=conversation, slot_defaults={"city": None})

    assert tracker["sender_id"] == "alice"
    assert tracker["slots"] == {"city": "Berlin"}
    assert tracker["latest_message"]["intent"]["name"] == "inform"
    assert tracker["latest_message"]["text"] == "I live in Berlin"
    assert tracker["latest_action_name"] == "action_listen"
    assert tracker["latest_action"] == {"action_name": "action_listen"}
    assert tracker["active_loop"] == {}
    assert tracker["paused"] is False
    assert tracker["followup_action"] is None
    assert tracker["latest_input_channel"] == "rest"
    assert [e["event"] for e in tracker["events"]][1:4] == ["session_started", "action", "user"]
    assert isinstance(tracker["latest_event_time"], float)


def test_given_a_rewind_when_appended_then_the_user_message_and_its_slots_are_undone(
    conversation: Conversation,
) -> None:
    conversation_append_events(conversation=conversation, events=[{"event": "rewind"}])

    tracker = conversation_tracker(
        conversation=conversation, slot_defaults={"city": None}, include_events="APPLIED"
    )
    assert tracker["slots"] == {"city": None}
    # the action_listen before the message goes with it, as in Rasa
    assert [e["event"] for e in tracker["events"]] == ["session_started"]
    conversation.refresh_from_db()
    assert conversation.slots == {}


def test_given_a_restart_when_tracker_read_then_only_events_after_it_are_included(
    conversation: Conversation,
) -> None:
    conversation_append_events(
        conversation=conversation, events=[action("action_restart"), {"event": "restart"}]
    )

    tracker = conversation_tracker(conversation=conversation, slot_defaults={"city": None})
    everything = conversation_tracker(conversation=conversation, include_events="ALL")

    assert [e["event"] for e in tracker["events"]] == ["restart"]
    assert tracker["slots"] == {"city": None}
    assert len(everything["events"]) == 10


def test_given_events_when_replaced_then_only_the_new_ones_remain(
    conversation: Conversation,
) -> None:
    conversation_replace_events(conversation=conversation, events=[user("hi", "greet")])

    assert list(conversation.events.values_list("kind", flat=True)) == ["user"]
    assert conversation.slots == {}
    assert not EventEntity.objects.filter(event__conversation=conversation).exists()


def test_given_a_conversation_when_exported_then_it_is_a_rasa_yaml_story(
    conversation: Conversation,
) -> None:
    conversation_append_events(
        conversation=conversation,
        events=[
            user("book", "book"),
            action("restaurant_form"),
            {"event": "active_loop", "name": "restaurant_form"},
        ],
    )

    text = conversation_story_yaml(conversation=conversation)

    document = yaml.safe_load(text)
    assert document["version"] == "3.1"
    [story] = document["stories"]
    assert story["story"] == "alice"
    assert story["steps"] == [
        {"intent": "inform", "entities": [{"city": "Berlin"}]},
        {"slot_was_set": [{"city": "Berlin"}]},
        {"action": "utter_ok"},
        {"intent": "book"},
        {"action": "restaurant_form"},
        {"active_loop": "restaurant_form"},
    ]


def test_given_a_conversation_without_channel_when_a_channel_speaks_then_it_is_kept(
    conversation: Conversation,
) -> None:
    other = conversation_get_or_create(assistant=conversation.assistant, sender_id="api")
    conversation_get_or_create(assistant=conversation.assistant, sender_id="api", channel="rest")
    conversation_get_or_create(assistant=conversation.assistant, sender_id="api", channel="x")

    other.refresh_from_db()
    assert other.channel == "rest"


def test_given_the_migrated_database_then_every_reviewer_filter_has_an_index() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Event._meta.db_table)
        entity_constraints = connection.introspection.get_constraints(
            cursor, EventEntity._meta.db_table
        )
    indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"]}
    for column in ("intent", "intent_confidence", "action", "policy", "confidence", "slot_name"):
        assert ("assistant_id", column) in indexed
    assert ("assistant_id", "timestamp") in indexed
    assert ("assistant_id", "entity") in {
        tuple(c["columns"]) for c in entity_constraints.values() if c["index"]
    }


def test_given_a_long_conversation_when_opened_then_its_session_events_come_in_order_in_one_query(
    conversation: Conversation, django_assert_num_queries: Any
) -> None:
    more = [user(f"message {n}", "inform") for n in range(12)]  # positions 8 .. 19: past 9
    conversation_append_events(conversation=conversation, events=more)

    with django_assert_num_queries(1):
        opened, events = conversation_open(
            assistant=conversation.assistant, sender_id="alice", channel="rest"
        )

    assert opened.pk == conversation.pk
    assert opened.event_count == 20
    assert events == conversation_events(conversation=conversation)
    assert [e.get("text") for e in events[-12:]] == [f"message {n}" for n in range(12)]
    assert events[0]["event"] == "session_started"  # from the latest session start on


def test_given_a_new_sender_when_opened_then_an_empty_conversation_is_created(
    conversation: Conversation,
) -> None:
    opened, events = conversation_open(
        assistant=conversation.assistant, sender_id="bob", channel="rest", model_id="m1"
    )

    assert events == []
    assert (opened.sender_id, opened.channel, opened.model_id) == ("bob", "rest", "m1")
    assert Conversation.objects.filter(sender_id="bob").count() == 1


def test_given_a_fresh_read_when_appending_then_the_row_is_not_read_again(
    conversation: Conversation,
) -> None:
    opened, _ = conversation_open(assistant=conversation.assistant, sender_id="alice")

    with CaptureQueriesContext(connection) as captured:
        conversation_append_events(conversation=opened, events=[user("bye", "goodbye")])

    # the conditional UPDATE, the events, the inbox (and the test's savepoint around them)
    executed = [executed_sql(connection, q["sql"]) for q in captured.captured_queries]
    statements = [sql.split()[0] for sql in executed]
    assert [s for s in statements if s not in ("SAVEPOINT", "RELEASE")] == [
        "UPDATE",
        "INSERT",
        "INSERT",
    ]
    assert Event.objects.filter(conversation=conversation).count() == 9


def test_given_a_batch_when_appending_then_events_entities_null_slots_and_inbox_are_stored(
    conversation: Conversation,
) -> None:
    opened, _ = conversation_open(assistant=conversation.assistant, sender_id="alice")
    batch = [
        user("Jazz in Paris", "inform", 0.7, city="Paris", genre="jazz"),
        {"event": "slot", "name": "city", "value": "Paris"},
        {"event": "slot", "name": "genre", "value": None},
        user("jazz in paris", "inform", 0.6),
        action("utter_ok", "TEDPolicy", 0.55),
    ]

    conversation_append_events(conversation=opened, events=batch)

    rows = list(Event.objects.filter(conversation=conversation, position__gte=8))
    assert [(r.position, r.kind) for r in rows] == [
        (8, "user"), (9, "slot"), (10, "slot"), (11, "user"), (12, "action"),
    ]  # fmt: skip
    assert (rows[0].intent, rows[0].intent_confidence, rows[0].text) == (
        "inform",
        0.7,
        batch[0]["text"],
    )
    assert (rows[4].action, rows[4].policy, rows[4].confidence) == ("utter_ok", "TEDPolicy", 0.55)
    assert [r.data["event"] for r in rows] == [e["event"] for e in batch]
    assert rows[0].timestamp == rows[4].timestamp  # one batch, one time
    # a slot set to null and an event without a slot value are SQL NULL (as the ORM stores them)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT position FROM annotation_event WHERE conversation_id = %s"
            " AND position >= 8 AND slot_value IS NULL ORDER BY position",
            [conversation.pk],
        )
        assert [found[0] for found in cursor.fetchall()] == [8, 10, 11, 12]
    entities = EventEntity.objects.filter(event=rows[0]).order_by("entity")
    assert [(e.entity, e.value, e.role) for e in entities] == [
        ("city", "Paris", None), ("genre", "jazz", None),
    ]  # fmt: skip
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.event_count, stored.slots) == (13, {"city": "Paris", "genre": None})
    [item] = InboxItem.objects.filter(
        assistant=conversation.assistant, text__iexact="jazz in paris"
    )
    assert (item.count, item.text, item.confidence) == (2, "jazz in paris", 0.6)


def test_given_an_outdated_read_when_appending_then_it_continues_from_the_stored_row(
    conversation: Conversation,
) -> None:
    outdated, _ = conversation_open(assistant=conversation.assistant, sender_id="alice")
    conversation_append_events(
        conversation=conversation,
        events=[user("Munich", "inform"), {"event": "slot", "name": "city", "value": "Munich"}],
    )

    conversation_append_events(
        conversation=outdated,
        events=[
            {"event": "slot", "name": "genre", "value": "jazz"},
            user("hello again", "greet"),
            action("action_listen"),
        ],
    )

    rows = list(Event.objects.filter(conversation=conversation).order_by("position"))
    assert [r.position for r in rows] == list(range(13))
    assert [r.slot_value for r in rows[8:11]] == [None, "Munich", "jazz"]
    assert InboxItem.objects.get(text="hello again").count == 1  # counted once, on the retry
    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.event_count == outdated.event_count == 13
    assert stored.slots == outdated.slots == {"city": "Munich", "genre": "jazz"}
    assert stored.started_at == outdated.started_at


WRITERS = 6


@pytest.mark.django_db(transaction=True)
def test_given_writers_at_once_when_appending_to_one_conversation_then_every_event_is_kept() -> (
    None
):
    assistant = AssistantFactory(name="busy")
    conversation_get_or_create(assistant=assistant, sender_id="dora")
    together = threading.Barrier(WRITERS)

    def write(number: int) -> None:
        try:
            opened, _ = conversation_open(assistant=assistant, sender_id="dora")
            together.wait(timeout=30)  # every writer holds the same, soon outdated, read
            conversation_append_events(
                conversation=opened,
                events=[
                    user("same words", "inform"),
                    {"event": "slot", "name": f"s{number}", "value": number},
                ],
            )
        finally:
            connection.close()  # this thread's own

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(WRITERS)))

    stored = Conversation.objects.get(sender_id="dora")
    rows = list(Event.objects.filter(conversation=stored).order_by("position"))
    assert [r.position for r in rows] == list(range(2 * WRITERS))
    assert [r.kind for r in rows] == ["user", "slot"] * WRITERS  # each batch kept together
    assert stored.event_count == 2 * WRITERS
    assert stored.slots == {f"s{number}": number for number in range(WRITERS)}
    assert InboxItem.objects.get(assistant=assistant).count == WRITERS


def test_given_a_new_conversation_read_twice_when_both_append_then_the_first_start_is_kept() -> (
    None
):
    assistant = AssistantFactory(name="twice")
    first, _ = conversation_open(assistant=assistant, sender_id="carol")
    second, _ = conversation_open(assistant=assistant, sender_id="carol")
    conversation_append_events(conversation=first, events=[{**action("a"), "timestamp": 10.0}])

    conversation_append_events(conversation=second, events=[{**action("b"), "timestamp": 20.0}])

    stored = Conversation.objects.get(pk=first.pk)
    assert stored.started_at.timestamp() == second.started_at.timestamp() == 10.0
    assert stored.latest_event_at.timestamp() == second.latest_event_at.timestamp() == 20.0
    assert [e["name"] for e in conversation_events(conversation=stored)] == ["a", "b"]
