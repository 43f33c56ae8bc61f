"""The NLU inbox: kept up to date as conversations are recorded, rebuilt from old events,
confirmed into examples."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from annotation.models import Assistant, EntitySpan, Example, InboxItem, InboxStatus, Intent
from annotation.selectors.inbox import inbox_list
from annotation.services.inbox import (
    InvalidSpanError,
    UnknownIntentError,
    inbox_item_archive,
    inbox_item_confirm,
    inbox_item_delete,
    inbox_items_bulk,
    inbox_key,
    inbox_rebuild,
)
from annotation.services.items import example_create
from tests.annotation.recorded import action, record, user
from tests.factories import AssistantFactory, ExampleFactory, IntentBlockFactory, IntentFactory

pytestmark = pytest.mark.django_db

CITY = {"entity": "city", "value": "Berlin", "start": 10, "end": 16}


@pytest.fixture
def assistant() -> Assistant:
    assistant = AssistantFactory(name="inboxbot")
    IntentFactory(assistant=assistant, name="greet")
    IntentFactory(assistant=assistant, name="inform")
    return assistant


def _texts(assistant: Assistant, **filters: Any) -> list[str]:
    return [item.text for item in inbox_list(assistant=assistant, **filters)]


def test_given_the_same_text_in_other_cases_and_spaces_when_recorded_then_one_item_counts_them(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("Hello there", timestamp=100.0), action("utter_greet")])
    record(assistant, "b", [user("  hello THERE ", timestamp=200.0)])
    record(assistant, "a", [user("HELLO there", confidence=0.3, timestamp=300.0)])

    [item] = InboxItem.objects.filter(assistant=assistant)
    assert item.count == 3
    assert item.key == inbox_key("hello there")
    assert (item.text, item.confidence) == ("HELLO there", 0.3)  # the latest message's


def test_given_intent_shortcuts_and_examples_when_recorded_then_they_are_left_out(
    assistant: Assistant,
) -> None:
    ExampleFactory(block=IntentBlockFactory(intent=assistant.intents.get(name="greet")), text="hi")
    record(assistant, "a", [user("/greet"), user(" Hi "), user(""), user("new words")])

    assert list(InboxItem.objects.values_list("text", flat=True)) == ["new words"]


def test_given_an_interactive_learning_session_when_recorded_then_nothing_enters_the_inbox(
    assistant: Assistant,
) -> None:
    record(assistant, "teacher", [user("teaching words")], channel="interactive")
    record(assistant, "user", [user("real words")], channel="rest")

    assert list(InboxItem.objects.values_list("text", flat=True)) == ["real words"]


def test_given_leading_spaces_when_recorded_then_entities_point_into_the_stripped_text(
    assistant: Assistant,
) -> None:
    shifted = {**CITY, "start": CITY["start"] + 2, "end": CITY["end"] + 2}
    record(assistant, "a", [user("  I live in Berlin", "inform", entities=[shifted])])

    item = InboxItem.objects.get()
    assert item.text == "I live in Berlin"
    [entity] = item.entities
    assert item.text[entity["start"] : entity["end"]] == "Berlin"


def test_given_an_archived_item_when_its_text_comes_again_then_it_counts_but_stays_archived(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("meh")])
    inbox_item_archive(item=InboxItem.objects.get())

    record(assistant, "b", [user("meh")])

    item = InboxItem.objects.get()
    assert (item.count, item.status) == (2, InboxStatus.ARCHIVED)
    assert _texts(assistant) == []
    assert _texts(assistant, status="archived") == ["meh"]


def test_given_items_when_listed_then_the_least_certain_come_first_and_filters_apply(
    assistant: Assistant,
) -> None:
    record(
        assistant,
        "a",
        [
            user("sure", "greet", 0.8, timestamp=1.0),
            user("maybe", "inform", 0.2, timestamp=2.0),
            user("dunno", "greet", 0.5, timestamp=3.0),
        ],
    )

    assert _texts(assistant) == ["maybe", "dunno", "sure"]
    assert _texts(assistant, order="-confidence") == ["sure", "dunno", "maybe"]
    assert _texts(assistant, order="time") == ["sure", "maybe", "dunno"]
    assert _texts(assistant, order="-time") == ["dunno", "maybe", "sure"]
    assert _texts(assistant, intent="greet") == ["dunno", "sure"]
    assert _texts(assistant, q="UNN") == ["dunno"]


def test_given_an_item_when_confirmed_then_an_example_with_spans_joins_the_intents_block(
    assistant: Assistant,
) -> None:
    inform = assistant.intents.get(name="inform")
    block = IntentBlockFactory(intent=inform)
    record(assistant, "a", [user("I live in Berlin", "inform", 0.4, entities=[CITY])])
    item = InboxItem.objects.get()

    example = inbox_item_confirm(item=item, intent="inform")

    assert (example.text, example.intent, example.block) == ("I live in Berlin", inform, block)
    span = EntitySpan.objects.get(example=example)
    assert (span.start, span.end, span.entity, span.value) == (10, 16, "city", "Berlin")
    item.refresh_from_db()
    assert (item.status, item.example) == (InboxStatus.CONFIRMED, example)
    assert _texts(assistant) == []


def test_given_chosen_entities_when_confirming_then_they_replace_the_predicted_ones(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("I live in Berlin", "greet", entities=[CITY])])

    example = inbox_item_confirm(
        item=InboxItem.objects.get(),
        intent="inform",
        entities=[{"start": 0, "end": 1, "entity": "person", "role": "speaker"}],
    )

    span = EntitySpan.objects.get(example=example)
    assert (span.entity, span.value, span.role) == ("person", "I", "speaker")


def test_given_an_unknown_intent_when_confirming_then_it_is_refused_unless_created(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("where is my pizza")])
    item = InboxItem.objects.get()

    with pytest.raises(UnknownIntentError):
        inbox_item_confirm(item=item, intent="track_order")
    example = inbox_item_confirm(item=item, intent="track_order", create_intent=True)

    assert example.intent.name == "track_order"
    assert Intent.objects.filter(assistant=assistant, name="track_order").count() == 1


def test_given_a_span_outside_the_text_when_confirming_then_nothing_is_created(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("short")])

    with pytest.raises(InvalidSpanError):
        inbox_item_confirm(
            item=InboxItem.objects.get(),
            intent="greet",
            entities=[{"start": 2, "end": 40, "entity": "x"}],
        )
    assert not Example.objects.filter(text="short").exists()


def test_given_an_example_made_elsewhere_when_listing_then_its_item_has_left_the_inbox(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("Good Morning"), user("good night")])

    example_create(
        assistant=assistant, intent=assistant.intents.get(name="greet"), text="good morning"
    )

    assert _texts(assistant) == ["good night"]


def test_given_items_when_handled_in_bulk_then_done_counts_what_could_be_done(
    assistant: Assistant,
) -> None:
    record(
        assistant,
        "a",
        [user("one", "greet"), user("two", "no_such_intent"), user("three"), user("four")],
    )
    ids = dict(InboxItem.objects.values_list("text", "pk"))

    confirmed = inbox_items_bulk(
        assistant=assistant, ids=[ids["one"], ids["two"]], action="confirm"
    )
    archived = inbox_items_bulk(assistant=assistant, ids=[ids["three"]], action="archive")
    deleted = inbox_items_bulk(assistant=assistant, ids=[ids["four"], ids["one"]], action="delete")

    assert (confirmed, archived, deleted) == (1, 1, 1)
    statuses = dict(InboxItem.objects.values_list("text", "status"))
    assert statuses == {
        "one": "confirmed",
        "two": "open",
        "three": "archived",
        "four": "deleted",
    }
    assert Example.objects.filter(assistant=assistant, text="one").count() == 1


def test_given_a_deleted_item_when_its_text_comes_again_then_it_stays_out(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("spam")])
    inbox_item_delete(item=InboxItem.objects.get())

    record(assistant, "a", [user("spam")])

    assert _texts(assistant) == []
    assert _texts(assistant, status="archived") == []


def test_given_events_recorded_before_the_inbox_when_rebuilt_then_counts_match(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("hey", timestamp=1.0), user("Hey", confidence=0.1, timestamp=2.0)])
    record(assistant, "b", [user("bye"), user("/greet")])
    record(assistant, "c", [user("kept aside")])
    inbox_item_archive(item=InboxItem.objects.get(text="kept aside"))
    InboxItem.objects.exclude(text="kept aside").delete()  # as if recorded before migration 0005

    written = inbox_rebuild(assistant=assistant)
    again = inbox_rebuild(assistant=assistant)

    assert written == again == 3
    rows = {i.text: (i.count, i.status, i.confidence) for i in InboxItem.objects.all()}
    assert rows == {
        "Hey": (2, "open", 0.1),
        "bye": (1, "open", 0.9),
        "kept aside": (1, "archived", 0.9),
    }


def test_given_an_assistant_name_when_the_command_runs_then_it_rebuilds_its_inbox(
    assistant: Assistant, capsys: Any
) -> None:
    record(assistant, "a", [user("hey")])
    InboxItem.objects.all().delete()

    call_command("rebuild_inbox", "inboxbot")

    assert InboxItem.objects.get().text == "hey"
    assert "1 inbox item(s) written" in capsys.readouterr().out


def test_given_no_such_assistant_when_the_command_runs_then_it_fails() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rebuild_inbox", "nobody")


def test_given_texts_that_differ_only_by_case_folding_when_recorded_then_they_merge(
    assistant: Assistant,
) -> None:
    record(assistant, "a", [user("Straße", timestamp=1.0), user("STRASSE", timestamp=2.0)])

    assert list(InboxItem.objects.values_list("text", "count")) == [("STRASSE", 2)]


def test_given_a_very_long_message_when_recorded_then_it_is_kept_whole(
    assistant: Assistant,
) -> None:
    long_text = "blah " * 2000 + "end"

    record(assistant, "a", [user(long_text)])

    assert InboxItem.objects.get().text == long_text
    assert _texts(assistant) == [long_text]
