"""Domain items, responses with variations, stories with steps, config and domain settings."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation.models import Assistant, ResponseVariation, StoryStep, TrainingConfig
from tests.annotation.api.conftest import api_url
from tests.factories import (
    ResponseVariationFactory,
    StoryFactory,
    StoryStepFactory,
)


@pytest.mark.parametrize(
    ("resource", "payload", "change"),
    [
        ("entities", {"name": "city", "roles": ["from", "to"]}, {"groups": ["1"]}),
        (
            "slots",
            {"name": "city", "type": "text", "mappings": [{"type": "from_entity", "entity": "c"}]},
            {"influence_conversation": False},
        ),
        ("actions", {"name": "action_pay", "send_domain": True}, {"send_domain": False}),
        ("forms", {"name": "pay_form", "required_slots": ["card"]}, {"ignored_intents": ["x"]}),
    ],
)
def test_given_domain_items_when_crud_then_they_round_trip(
    resource: str,
    payload: dict[str, Any],
    change: dict[str, Any],
    assistant: Assistant,
    admin_client: APIClient,
) -> None:
    created = admin_client.post(api_url(assistant, resource), payload, format="json")
    item_url = api_url(assistant, resource, created.json()["id"])
    patched = admin_client.patch(item_url, change, format="json")
    got = admin_client.get(item_url).json()

    assert created.status_code == 201, created.json()
    assert patched.status_code == 200, patched.json()
    assert got | payload | change == got
    assert admin_client.delete(item_url).status_code == 204


def test_given_a_slot_with_min_above_max_when_creating_then_400(
    assistant: Assistant, admin_client: APIClient
) -> None:
    payload = {"name": "n", "type": "float", "min_value": 5, "max_value": 1}

    response = admin_client.post(api_url(assistant, "slots"), payload, format="json")

    assert response.status_code == 400
    assert "max_value" in response.json()["errors"]


def test_given_a_response_when_replacing_variations_then_kept_ids_keep_their_comments(
    assistant: Assistant, admin_client: APIClient
) -> None:
    created = admin_client.post(
        api_url(assistant, "responses"),
        {"name": "utter_greet", "variations": [{"text": "Hi"}, {"text": "Hello"}]},
        format="json",
    ).json()
    first = ResponseVariation.objects.get(pk=created["variations"][0]["id"])
    first.comments = [{"path": [], "where": "before", "lines": ["# friendly"]}]
    first.save()

    updated = admin_client.patch(
        api_url(assistant, "responses", created["id"]),
        {"variations": [{"text": "Hey"}, {"id": first.pk, "text": "Hi!", "channel": "web"}]},
        format="json",
    ).json()

    assert [v["text"] for v in updated["variations"]] == ["Hey", "Hi!"]
    assert updated["variations"][1]["comments"] == first.comments
    assert updated["variations"][1]["channel"] == "web"
    assert ResponseVariation.objects.count() == 2


def test_given_a_bad_response_when_creating_then_400_on_name_and_variation(
    assistant: Assistant, admin_client: APIClient
) -> None:
    response = admin_client.post(
        api_url(assistant, "responses"),
        {"name": "greet", "variations": [{"text": "ok"}, {"channel": "web"}]},
        format="json",
    )

    errors = response.json()["errors"]
    assert response.status_code == 400
    assert "utter_" in errors["name"][0]
    assert "1" in errors["variations"]


def test_given_a_story_with_steps_when_creating_and_updating_then_steps_follow_in_order(
    assistant: Assistant, admin_client: APIClient
) -> None:
    steps = [
        {"kind": "intent", "name": "greet"},
        {"kind": "action", "name": "utter_greet"},
        {"kind": "slot_was_set", "slots": [{"name": "city", "value": "Paris", "has_value": True}]},
    ]
    created = admin_client.post(
        api_url(assistant, "stories"), {"name": "happy", "steps": steps}, format="json"
    )
    story_id = created.json()["id"]
    StoryStep.objects.filter(story_id=story_id, position=0).update(line=3)

    kept = created.json()["steps"][0]
    updated = admin_client.patch(
        api_url(assistant, "stories", story_id),
        {"steps": [kept, {"kind": "action", "name": "action_listen"}]},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert [s["kind"] for s in created.json()["steps"]] == ["intent", "action", "slot_was_set"]
    assert [s["name"] for s in updated.json()["steps"]] == ["greet", "action_listen"]
    assert updated.json()["steps"][0]["line"] == 3


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"kind": "intent"}, "name"),
        ({"kind": "slot_was_set"}, "slots"),
        ({"kind": "dance", "name": "x"}, "kind"),
    ],
)
def test_given_an_incomplete_step_when_creating_a_story_then_400_names_step_and_field(
    step: dict[str, Any], field: str, assistant: Assistant, admin_client: APIClient
) -> None:
    response = admin_client.post(
        api_url(assistant, "stories"),
        {"name": "s", "steps": [{"kind": "intent", "name": "greet"}, step]},
        format="json",
    )

    assert response.status_code == 400
    assert field in response.json()["errors"]["steps"]["1"]


def test_given_a_story_with_rule_only_fields_when_creating_then_400(
    assistant: Assistant, admin_client: APIClient
) -> None:
    response = admin_client.post(
        api_url(assistant, "stories"),
        {"name": "s", "kind": "story", "conversation_start": True, "steps": []},
        format="json",
    )

    assert response.status_code == 400
    assert "conversation_start" in response.json()["errors"]


def test_given_stories_rules_and_tests_when_filtering_then_only_matches_come(
    assistant: Assistant, admin_client: APIClient
) -> None:
    StoryFactory(assistant=assistant, name="happy path", kind="story")
    StoryFactory(assistant=assistant, name="greet rule", kind="rule")
    StoryFactory(assistant=assistant, name="happy test", kind="story", is_test=True)
    url = api_url(assistant, "stories")

    def names(**params: str) -> list[str]:
        response = admin_client.get(url, params)
        assert response.status_code == 200, response.json()
        return [s["name"] for s in response.json()["results"]]

    assert names() == ["happy path", "greet rule", "happy test"]
    assert names(kind="rule") == ["greet rule"]
    assert names(is_test="true") == ["happy test"]
    assert names(is_test="false", q="HAPPY") == ["happy path"]
    assert admin_client.get(url, {"kind": "poem"}).json()["errors"]["kind"]


def test_given_no_config_when_getting_and_putting_then_it_is_created_once(
    assistant: Assistant, admin_client: APIClient
) -> None:
    url = api_url(assistant, "config")
    payload = {
        "language": "de",
        "pipeline": [{"name": "WhitespaceTokenizer"}, {"name": "DIETClassifier", "epochs": 5}],
        "policies": [{"name": "RulePolicy"}],
    }

    empty = admin_client.get(url).json()
    put = admin_client.put(url, payload, format="json")
    again = admin_client.put(url, {**payload, "language": "fr"}, format="json")

    assert empty["language"] is None
    assert put.status_code == 200, put.json()
    assert put.json()["pipeline"][1] == {"name": "DIETClassifier", "epochs": 5}
    assert again.json()["language"] == "fr"
    assert TrainingConfig.objects.filter(assistant=assistant).count() == 1


def test_given_a_pipeline_component_without_a_name_when_putting_config_then_400(
    assistant: Assistant, admin_client: APIClient
) -> None:
    response = admin_client.put(
        api_url(assistant, "config"), {"pipeline": [{"epochs": 3}]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["pipeline"] == {"0": ["A component needs a name."]}


def test_given_domain_settings_when_putting_then_they_are_stored(
    assistant: Assistant, admin_client: APIClient
) -> None:
    url = api_url(assistant, "domain-settings")

    put = admin_client.put(
        url,
        {"session_expiration_time": 30, "carry_over_slots_to_new_session": False},
        format="json",
    )
    bad = admin_client.put(url, {"session_expiration_time": -1}, format="json")

    assert put.json()["session_expiration_time"] == 30
    assert admin_client.get(url).json()["carry_over_slots_to_new_session"] is False
    assert bad.status_code == 400


def test_given_items_of_another_assistant_when_addressed_through_mine_then_404(
    assistant: Assistant, admin_client: APIClient
) -> None:
    foreign = ResponseVariationFactory().response
    foreign_step = StoryStepFactory()

    assert admin_client.get(api_url(assistant, "responses", foreign.pk)).status_code == 404
    assert (
        admin_client.delete(api_url(assistant, "stories", foreign_step.story_id)).status_code == 404
    )
