"""Examples with spans, synonyms, regexes, lookups: writes, validation, filters, pagination."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation.models import Assistant, EntitySpan, Example, Intent, IntentBlock, StoryStep
from tests.annotation.api.conftest import api_url
from tests.factories import (
    AssistantFactory,
    EntitySpanFactory,
    ExampleFactory,
    IntentFactory,
    StoryStepFactory,
)


def test_given_an_example_with_spans_when_creating_then_spans_are_stored_with_values(
    assistant: Assistant, admin_client: APIClient
) -> None:
    payload = {
        "intent": "greet",
        "text": "hi from Berlin",
        "spans": [{"start": 8, "end": 14, "entity": "city"}],
    }

    response = admin_client.post(api_url(assistant, "examples"), payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["intent"] == "greet"
    assert body["spans"][0] | {"id": None} == {
        "id": None,
        "start": 8,
        "end": 14,
        "entity": "city",
        "value": "Berlin",
        "role": None,
        "group": None,
    }
    example = Example.objects.get(pk=body["id"])
    assert example.block.intent.name == "greet"
    assert example.block.file is None


@pytest.mark.parametrize(
    ("span", "field", "fragment"),
    [
        ({"start": 5, "end": 5, "entity": "city"}, "end", "greater than its start"),
        ({"start": 3, "end": 2, "entity": "city"}, "end", "greater than its start"),
        ({"start": 8, "end": 40, "entity": "city"}, "end", "inside the text"),
        ({"start": -1, "end": 2, "entity": "city"}, "start", "greater than or equal to 0"),
    ],
)
def test_given_a_span_outside_the_text_or_backwards_when_creating_then_400_names_the_span(
    span: dict[str, Any], field: str, fragment: str, assistant: Assistant, admin_client: APIClient
) -> None:
    payload = {"intent": "greet", "text": "hi from Berlin", "spans": [span]}

    response = admin_client.post(api_url(assistant, "examples"), payload, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]["spans"]["0"]
    assert fragment in errors[field][0]
    assert not Example.objects.exists()


def test_given_an_unknown_intent_when_creating_an_example_then_400_on_intent(
    assistant: Assistant, admin_client: APIClient
) -> None:
    other = AssistantFactory()
    IntentFactory(assistant=other, name="elsewhere")

    response = admin_client.post(
        api_url(assistant, "examples"), {"intent": "elsewhere", "text": "hi"}, format="json"
    )

    assert response.status_code == 400
    assert "no intent named 'elsewhere'" in response.json()["errors"]["intent"][0]


def test_given_an_example_with_a_span_when_shortening_text_without_spans_then_400(
    assistant: Assistant, admin_client: APIClient
) -> None:
    span = EntitySpanFactory(
        example=ExampleFactory(
            block__intent=Intent.objects.get(name="greet"), text="hi from Berlin"
        ),
        start=8,
        end=14,
    )

    short = admin_client.patch(
        api_url(assistant, "examples", span.example_id), {"text": "hi"}, format="json"
    )
    with_spans = admin_client.patch(
        api_url(assistant, "examples", span.example_id),
        {"text": "hi Rome", "spans": [{"start": 3, "end": 7, "entity": "city"}]},
        format="json",
    )

    assert short.status_code == 400
    assert "text" in short.json()["errors"]
    assert with_spans.status_code == 200, with_spans.json()
    assert [(s.entity, s.value) for s in EntitySpan.objects.all()] == [("city", "Rome")]


def test_given_an_example_when_moving_it_to_another_intent_then_it_joins_that_intents_block(
    assistant: Assistant, admin_client: APIClient
) -> None:
    example = ExampleFactory(block__intent=Intent.objects.get(name="greet"))
    IntentFactory(assistant=assistant, name="goodbye")

    response = admin_client.patch(
        api_url(assistant, "examples", example.pk), {"intent": "goodbye"}, format="json"
    )

    example.refresh_from_db()
    assert response.json()["intent"] == "goodbye"
    assert example.block.intent.name == "goodbye"
    assert IntentBlock.objects.filter(intent__name="goodbye").count() == 1


def test_given_examples_when_filtering_by_intent_entity_and_text_then_only_matches_come(
    assistant: Assistant, admin_client: APIClient
) -> None:
    greet = Intent.objects.get(name="greet")
    bye = IntentFactory(assistant=assistant, name="bye")
    ExampleFactory(block__intent=greet, text="hello there")
    berlin = ExampleFactory(block__intent=greet, text="hello Berlin")
    EntitySpanFactory(example=berlin, start=6, end=12, entity="city")
    ExampleFactory(block__intent=bye, text="bye Berlin")
    url = api_url(assistant, "examples")

    def texts(**params: str) -> list[str]:
        return [e["text"] for e in admin_client.get(url, params).json()["results"]]

    assert texts(intent="greet") == ["hello there", "hello Berlin"]
    assert texts(entity="city") == ["hello Berlin"]
    assert texts(q="berlin") == ["hello Berlin", "bye Berlin"]
    assert texts(q="berlin", intent="bye") == ["bye Berlin"]
    assert texts(intent="nothing") == []


def test_given_many_examples_when_paging_then_pages_have_the_asked_size(
    assistant: Assistant, admin_client: APIClient
) -> None:
    greet = Intent.objects.get(name="greet")
    block = IntentBlock.objects.create(assistant=assistant, intent=greet)
    for index in range(7):
        ExampleFactory(block=block, text=f"example {index}", position=index)
    url = api_url(assistant, "examples")

    first = admin_client.get(url, {"page_size": 3}).json()
    last = admin_client.get(url, {"page_size": 3, "page": 3}).json()
    beyond = admin_client.get(url, {"page_size": 3, "page": 4})

    assert first["count"] == 7
    assert [e["text"] for e in first["results"]] == ["example 0", "example 1", "example 2"]
    assert first["next"] is not None
    assert [e["text"] for e in last["results"]] == ["example 6"]
    assert last["next"] is None
    assert beyond.status_code == 404


def test_given_an_intent_when_renaming_it_then_story_steps_follow_and_counts_show(
    assistant: Assistant, admin_client: APIClient
) -> None:
    greet = Intent.objects.get(name="greet")
    ExampleFactory(block__intent=greet)
    step = StoryStepFactory(story__assistant=assistant, kind="intent", name="greet")

    response = admin_client.patch(
        api_url(assistant, "intents", greet.pk), {"name": "hello"}, format="json"
    )
    listed = admin_client.get(api_url(assistant, "intents"), {"q": "hel"}).json()

    step.refresh_from_db()
    assert response.status_code == 200
    assert step.name == "hello"
    assert [(i["name"], i["example_count"]) for i in listed["results"]] == [("hello", 1)]


def test_given_a_duplicate_intent_name_when_creating_then_400_on_name(
    assistant: Assistant, admin_client: APIClient
) -> None:
    response = admin_client.post(api_url(assistant, "intents"), {"name": "greet"}, format="json")

    assert response.status_code == 400
    assert "already has" in response.json()["errors"]["name"][0]


def test_given_an_entity_when_renaming_it_then_spans_follow(
    assistant: Assistant, admin_client: APIClient
) -> None:
    entity = admin_client.post(api_url(assistant, "entities"), {"name": "town"}, format="json")
    EntitySpanFactory(example__block__intent=Intent.objects.get(name="greet"), entity="town")

    admin_client.patch(api_url(assistant, "entities", entity.json()["id"]), {"name": "city"})

    assert list(EntitySpan.objects.values_list("entity", flat=True)) == ["city"]


def test_given_a_bad_regex_when_creating_then_400_on_patterns(
    assistant: Assistant, admin_client: APIClient
) -> None:
    response = admin_client.post(
        api_url(assistant, "regexes"), {"name": "broken", "patterns": ["(a"]}, format="json"
    )

    assert response.status_code == 400
    assert "not a regex" in response.json()["errors"]["patterns"][0]


@pytest.mark.parametrize(
    ("resource", "payload", "field"),
    [
        ("synonyms", {"name": "NYC", "examples": ["new york", "big apple"]}, "examples"),
        ("lookups", {"name": "city", "elements": ["berlin"]}, "elements"),
        ("regexes", {"name": "zip", "patterns": [r"\d{5}"]}, "patterns"),
    ],
)
def test_given_nlu_items_when_crud_then_they_round_trip(
    resource: str,
    payload: dict[str, Any],
    field: str,
    assistant: Assistant,
    admin_client: APIClient,
) -> None:
    url = api_url(assistant, resource)

    created = admin_client.post(url, payload, format="json").json()
    updated = admin_client.put(
        api_url(assistant, resource, created["id"]),
        {**payload, field: ["other"]},
        format="json",
    ).json()
    listed = admin_client.get(url, {"q": payload["name"][:2].lower()}).json()

    assert created[field] == payload[field]
    assert created["file"] is None
    assert updated[field] == ["other"]
    assert listed["count"] == 1
    assert StoryStep.objects.count() == 0
