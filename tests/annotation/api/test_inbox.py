"""The NLU inbox through the API: list, confirm into examples, archive, delete, bulk."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation.models import Assistant, EntitySpan, Example, InboxItem, Intent
from tests.annotation.api.conftest import api_url
from tests.annotation.recorded import record, user

Client = Callable[[Any], APIClient]
CITY = {"entity": "city", "value": "Berlin", "start": 10, "end": 16}


@pytest.fixture
def items(assistant: Assistant) -> dict[str, int]:
    """Inbox items by text: recorded through the real recording service."""
    record(
        assistant,
        "alice",
        [
            user("I live in Berlin", "inform", 0.4, entities=[CITY], timestamp=10.0),
            user("hello", "greet", 0.9, timestamp=20.0),
            user("Hello ", "greet", 0.7, timestamp=30.0),
        ],
    )
    record(assistant, "bob", [user("what now", None, timestamp=40.0)])
    return dict(InboxItem.objects.filter(assistant=assistant).values_list("text", "pk"))


def _url(assistant: Assistant, pk: int | None = None, verb: str = "") -> str:
    return api_url(assistant, "inbox", pk) + (f"{verb}/" if verb else "")


def _texts(client: APIClient, assistant: Assistant, **params: Any) -> list[str]:
    response = client.get(_url(assistant), params)
    assert response.status_code == 200, response.json()
    return [row["text"] for row in response.json()["results"]]


def test_given_recorded_messages_when_listing_then_merged_items_least_certain_first(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    response = client_for(people["viewer"]).get(_url(assistant))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    texts = [row["text"] for row in body["results"]]
    # SQLite sorts the message without a confidence first, PostgreSQL last
    assert [t for t in texts if t != "what now"] == ["I live in Berlin", "Hello"]
    hello = next(row for row in body["results"] if row["text"] == "Hello")
    assert hello == {
        "id": items["Hello"],
        "text": "Hello",
        "count": 2,
        "intent": "greet",
        "confidence": 0.7,
        "entities": [],
        "latest_at": "1970-01-01T00:00:30Z",
        "status": "open",
    }
    berlin = next(row for row in body["results"] if row["text"] == "I live in Berlin")
    assert berlin["entities"] == [CITY]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"order": "time"}, ["I live in Berlin", "Hello", "what now"]),
        ({"order": "-time"}, ["what now", "Hello", "I live in Berlin"]),
        ({"intent": "greet"}, ["Hello"]),
        ({"q": "BERL"}, ["I live in Berlin"]),
        ({"status": "archived"}, []),
    ],
)
def test_given_items_when_ordered_or_filtered_then_the_list_follows(
    params: dict[str, Any],
    expected: list[str],
    assistant: Assistant,
    items: dict[str, int],
    people: dict[str, Any],
    client_for: Client,
) -> None:
    assert _texts(client_for(people["viewer"]), assistant, **params) == expected


@pytest.mark.parametrize("params", [{"status": "deleted"}, {"order": "size"}])
def test_given_a_bad_parameter_when_listing_then_400(
    params: dict[str, Any],
    assistant: Assistant,
    items: dict[str, int],
    people: dict[str, Any],
    client_for: Client,
) -> None:
    assert client_for(people["viewer"]).get(_url(assistant), params).status_code == 400


def test_given_an_item_when_confirmed_with_entities_then_an_example_with_spans(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    Intent.objects.create(assistant=assistant, name="inform")
    client = client_for(people["annotator"])

    response = client.post(
        _url(assistant, items["I live in Berlin"], "confirm"),
        {"intent": "inform", "entities": [{"start": 10, "end": 16, "entity": "city"}]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    example = Example.objects.get(pk=response.json()["example_id"])
    assert (example.text, example.intent.name) == ("I live in Berlin", "inform")
    span = EntitySpan.objects.get(example=example)
    assert (span.start, span.end, span.entity, span.value) == (10, 16, "city", "Berlin")
    assert "I live in Berlin" not in _texts(client, assistant)
    assert InboxItem.objects.get(pk=items["I live in Berlin"]).status == "confirmed"


def test_given_an_unknown_intent_when_confirming_then_400_unless_asked_to_create_it(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    client = client_for(people["annotator"])
    url = _url(assistant, items["what now"], "confirm")

    refused = client.post(url, {"intent": "ask_next"}, format="json")
    created = client.post(url, {"intent": "ask_next", "create_intent": True}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "unknown_intent"
    assert created.status_code == 201
    assert Example.objects.get(pk=created.json()["example_id"]).intent.name == "ask_next"


@pytest.mark.parametrize(
    "entities",
    [
        [{"start": 3, "end": 99, "entity": "x"}],
        [{"start": 4, "end": 2, "entity": "x"}],
        [{"start": 0, "entity": "x"}],
    ],
)
def test_given_bad_entities_when_confirming_then_400_and_no_example(
    entities: list[dict[str, Any]],
    assistant: Assistant,
    items: dict[str, int],
    people: dict[str, Any],
    client_for: Client,
) -> None:
    response = client_for(people["annotator"]).post(
        _url(assistant, items["Hello"], "confirm"),
        {"intent": "greet", "entities": entities},
        format="json",
    )

    assert response.status_code == 400
    assert not Example.objects.filter(text="Hello").exists()


def test_given_an_item_when_archived_then_it_is_listed_as_archived_only(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    client = client_for(people["annotator"])

    response = client.post(_url(assistant, items["Hello"], "archive"))

    assert response.status_code == 204
    assert "Hello" not in _texts(client, assistant)
    assert _texts(client, assistant, status="archived") == ["Hello"]


def test_given_an_item_when_deleted_then_it_is_in_no_list(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    client = client_for(people["admin"])

    response = client.post(_url(assistant, items["Hello"], "delete"))

    assert response.status_code == 204
    assert "Hello" not in _texts(client, assistant)
    assert _texts(client, assistant, status="archived") == []
    assert InboxItem.objects.get(pk=items["Hello"]).status == "deleted"


def test_given_items_when_confirmed_in_bulk_then_those_with_a_known_intent_become_examples(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    client = client_for(people["annotator"])

    response = client.post(
        _url(assistant) + "bulk/",
        {"ids": list(items.values()), "action": "confirm"},
        format="json",
    )

    # "greet" exists; "inform" does not; "what now" has no intent
    assert response.status_code == 200
    assert response.json() == {"done": 1}
    assert Example.objects.get(assistant=assistant, text="Hello").intent.name == "greet"
    assert sorted(_texts(client, assistant)) == ["I live in Berlin", "what now"]


@pytest.mark.parametrize(("verb", "status"), [("archive", "archived"), ("delete", "deleted")])
def test_given_items_when_archived_or_deleted_in_bulk_then_done_counts_them(
    verb: str,
    status: str,
    assistant: Assistant,
    items: dict[str, int],
    people: dict[str, Any],
    client_for: Client,
) -> None:
    ids = [items["Hello"], items["what now"]]

    response = client_for(people["annotator"]).post(
        _url(assistant) + "bulk/", {"ids": ids, "action": verb}, format="json"
    )

    assert response.json() == {"done": 2}
    assert set(InboxItem.objects.filter(pk__in=ids).values_list("status", flat=True)) == {status}


def test_given_another_assistants_items_when_handled_in_bulk_then_they_are_untouched(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    from tests.factories import AssistantFactory

    other = AssistantFactory()
    record(other, "x", [user("theirs")])
    theirs = InboxItem.objects.get(assistant=other)

    response = client_for(people["admin"]).post(
        _url(assistant) + "bulk/", {"ids": [theirs.pk], "action": "delete"}, format="json"
    )
    single = client_for(people["admin"]).post(_url(assistant, theirs.pk, "archive"))

    assert response.json() == {"done": 0}
    assert single.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


@pytest.mark.parametrize(
    ("verb", "body"),
    [
        ("confirm", {"intent": "greet"}),
        ("archive", None),
        ("delete", None),
        ("bulk", {"ids": [], "action": "archive"}),
    ],
)
def test_given_a_viewer_when_writing_then_403(
    verb: str,
    body: dict[str, Any] | None,
    assistant: Assistant,
    items: dict[str, int],
    people: dict[str, Any],
    client_for: Client,
) -> None:
    url = _url(assistant) + "bulk/" if verb == "bulk" else _url(assistant, items["Hello"], verb)

    response = client_for(people["viewer"]).post(url, body, format="json")

    assert response.status_code == 403
    assert InboxItem.objects.get(pk=items["Hello"]).status == "open"
    assert not Example.objects.filter(text="Hello").exists()


def test_given_an_outsider_when_listing_then_404(
    assistant: Assistant, items: dict[str, int], people: dict[str, Any], client_for: Client
) -> None:
    assert client_for(people["outsider"]).get(_url(assistant)).status_code == 404


@pytest.mark.parametrize("page_size", [5, 50])
def test_given_5_or_50_rows_when_listing_the_inbox_then_three_queries(
    page_size: int,
    assistant: Assistant,
    people: dict[str, Any],
    client_for: Client,
    django_assert_num_queries: Any,
) -> None:
    record(assistant, "many", [user(f"message {n}", confidence=n / 100) for n in range(60)])
    client = client_for(people["viewer"])

    with django_assert_num_queries(3):  # the assistant with my role, the count, the page
        response = client.get(_url(assistant), {"page_size": page_size})

    assert len(response.json()["results"]) == page_size
