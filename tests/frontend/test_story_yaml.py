"""The stories editor's YAML round trip: a story row as YAML, and YAML as the API's payload."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from annotation.models import Assistant, Story
from annotation.selectors.story_yaml import story_from_yaml, story_to_yaml
from tests.factories import StoryFactory, StoryStepFactory

pytestmark = pytest.mark.django_db

RULE = """version: "3.1"
rules:
- rule: ask for the city
  condition:
  - active_loop: concert_form
  steps:
  - intent: search
    entities:
    - city: Paris
  - action: utter_ask_city
  - slot_was_set:
    - city: Paris
"""


def test_given_rule_yaml_when_parsed_then_the_payload_holds_its_steps_and_condition() -> None:
    parsed = story_from_yaml(RULE)

    assert parsed.problems == []
    assert parsed.story is not None
    assert parsed.story["kind"] == "rule"
    assert parsed.story["name"] == "ask for the city"
    assert parsed.story["condition"][0]["name"] == "concert_form"
    kinds = [(s["kind"], s.get("name")) for s in parsed.story["steps"]]
    assert kinds == [("intent", "search"), ("action", "utter_ask_city"), ("slot_was_set", None)]
    assert parsed.story["steps"][0]["entities"] == [{"city": "Paris"}]
    assert parsed.story["steps"][1]["line"] == 10


def test_given_a_misspelled_step_when_parsed_then_the_problem_names_its_line() -> None:
    parsed = story_from_yaml(RULE.replace("- action: utter", "- acton: utter"))

    assert parsed.story is None
    assert parsed.problems[0]["line"] == 10
    assert "action" in parsed.problems[0]["message"]


def test_given_two_stories_when_parsed_then_exactly_one_is_asked_for() -> None:
    text = "stories:\n- story: a\n  steps:\n  - intent: hi\n- story: b\n  steps:\n  - intent: hi\n"

    parsed = story_from_yaml(text)

    assert parsed.story is None
    assert "exactly one" in parsed.problems[0]["message"]


def test_given_a_stored_story_when_written_as_yaml_and_read_back_then_the_steps_match(
    assistant: Assistant,
) -> None:
    story = StoryFactory(assistant=assistant, name="happy")
    StoryStepFactory(story=story, position=0, kind="intent", name="greet")
    StoryStepFactory(story=story, position=1, kind="action", name="utter_greet")

    parsed = story_from_yaml(story_to_yaml(Story.objects.get(pk=story.pk)))

    assert parsed.story is not None
    assert [s["name"] for s in parsed.story["steps"]] == ["greet", "utter_greet"]


def _parse(client: Client, assistant: Assistant, body: Any) -> Any:
    return client.post(
        f"/assistants/{assistant.pk}/stories/parse/",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_given_a_viewer_when_parsing_yaml_then_the_payload_comes_back(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(people["viewer"])

    response = _parse(client, assistant, {"yaml": RULE})

    assert response.status_code == 200
    assert response.json()["story"]["name"] == "ask for the city"


def test_given_an_outsider_when_parsing_yaml_then_404(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(people["outsider"])

    assert _parse(client, assistant, {"yaml": RULE}).status_code == 404


def test_given_a_body_without_yaml_when_parsing_then_400(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(people["viewer"])

    assert _parse(client, assistant, {"text": RULE}).status_code == 400
