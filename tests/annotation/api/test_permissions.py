"""The role matrix: viewers read, annotators write NLU data and stories, admins write all,
outsiders see nothing (404), anonymous requests are refused (401)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation.models import Assistant
from tests.annotation.api.conftest import api_url

# resource -> (a valid new item, whether annotators may write it)
RESOURCES: dict[str, tuple[dict[str, Any], bool]] = {
    "intents": ({"name": "order_pizza"}, True),
    "examples": ({"intent": "greet", "text": "hello there"}, True),
    "synonyms": ({"name": "NYC", "examples": ["new york"]}, True),
    "regexes": ({"name": "zipcode", "patterns": [r"\d{5}"]}, True),
    "lookups": ({"name": "city", "elements": ["berlin", "paris"]}, True),
    "stories": ({"name": "happy", "steps": [{"kind": "intent", "name": "greet"}]}, True),
    "entities": ({"name": "city"}, False),
    "slots": ({"name": "city", "type": "text", "mappings": [{"type": "from_text"}]}, False),
    "actions": ({"name": "action_check"}, False),
    "responses": ({"name": "utter_hi", "variations": [{"text": "Hi!"}]}, False),
    "forms": ({"name": "order_form", "required_slots": ["city"]}, False),
}
SETTINGS = {
    "config": {"language": "en", "pipeline": [{"name": "WhitespaceTokenizer"}]},
    "domain-settings": {"session_expiration_time": 60},
}


def _item(admin: APIClient, assistant: Assistant, resource: str) -> int:
    payload, _ = RESOURCES[resource]
    response = admin.post(api_url(assistant, resource), payload, format="json")
    assert response.status_code == 201, response.json()
    return int(response.json()["id"])


def _patch_payload(resource: str) -> dict[str, Any]:
    payload = dict(RESOURCES[resource][0])
    if "name" in payload:
        payload["name"] = {"responses": "utter_changed"}.get(resource, "changed")
    else:
        payload["text"] = "changed text"
    return payload


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_given_a_viewer_when_reading_or_writing_then_reads_pass_and_writes_get_403(
    resource: str, assistant: Assistant, people: dict[str, Any], client_for: Callable[..., Any]
) -> None:
    pk = _item(client_for(people["admin"]), assistant, resource)
    viewer = client_for(people["viewer"])

    assert viewer.get(api_url(assistant, resource)).status_code == 200
    assert viewer.get(api_url(assistant, resource, pk)).status_code == 200
    payload = RESOURCES[resource][0]
    assert viewer.post(api_url(assistant, resource), payload, format="json").status_code == 403
    patch = _patch_payload(resource)
    assert viewer.patch(api_url(assistant, resource, pk), patch, format="json").status_code == 403
    assert viewer.delete(api_url(assistant, resource, pk)).status_code == 403


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_given_an_annotator_when_writing_then_only_nlu_data_and_stories_are_allowed(
    resource: str, assistant: Assistant, people: dict[str, Any], client_for: Callable[..., Any]
) -> None:
    pk = _item(client_for(people["admin"]), assistant, resource)
    annotator = client_for(people["annotator"])
    payload, allowed = RESOURCES[resource]
    if resource != "examples":
        payload = {**payload, "name": payload["name"] + "_2"}

    created = annotator.post(api_url(assistant, resource), payload, format="json")
    patched = annotator.patch(
        api_url(assistant, resource, pk), _patch_payload(resource), format="json"
    )
    deleted = annotator.delete(api_url(assistant, resource, pk))

    expected = (201, 200, 204) if allowed else (403, 403, 403)
    assert (created.status_code, patched.status_code, deleted.status_code) == expected


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_given_an_admin_when_writing_anything_then_it_is_allowed(
    resource: str, assistant: Assistant, admin_client: APIClient
) -> None:
    pk = _item(admin_client, assistant, resource)

    patched = admin_client.patch(
        api_url(assistant, resource, pk), _patch_payload(resource), format="json"
    )
    deleted = admin_client.delete(api_url(assistant, resource, pk))

    assert patched.status_code == 200, patched.json()
    assert deleted.status_code == 204
    assert admin_client.get(api_url(assistant, resource, pk)).status_code == 404


@pytest.mark.parametrize("resource", [*sorted(RESOURCES), *SETTINGS, "members", ""])
def test_given_an_outsider_when_touching_an_assistant_then_it_does_not_exist(
    resource: str, assistant: Assistant, people: dict[str, Any], client_for: Callable[..., Any]
) -> None:
    outsider = client_for(people["outsider"])

    read = outsider.get(api_url(assistant, resource))
    write = outsider.post(api_url(assistant, resource), {"name": "x"}, format="json")

    assert read.status_code == 404
    assert read.json()["code"] == "not_found"
    assert write.status_code in (404, 405)
    assert outsider.get(api_url(999_999, resource)).status_code == 404


@pytest.mark.parametrize("resource", [*sorted(RESOURCES), *SETTINGS, "members", ""])
def test_given_no_credentials_when_calling_then_401(resource: str, assistant: Assistant) -> None:
    response = APIClient().get(api_url(assistant, resource))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("resource", sorted(SETTINGS))
@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("annotator", 403), ("admin", 200)])
def test_given_a_role_when_putting_config_or_domain_settings_then_only_admins_may(
    resource: str,
    role: str,
    status: int,
    assistant: Assistant,
    people: dict[str, Any],
    client_for: Callable[..., Any],
) -> None:
    client = client_for(people[role])

    assert client.get(api_url(assistant, resource)).status_code == 200
    response = client.put(api_url(assistant, resource), SETTINGS[resource], format="json")

    assert response.status_code == status


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("annotator", 403), ("admin", 200)])
def test_given_a_role_when_changing_the_assistant_then_only_admins_may(
    role: str,
    status: int,
    assistant: Assistant,
    people: dict[str, Any],
    client_for: Callable[..., Any],
) -> None:
    client = client_for(people[role])

    patched = client.patch(api_url(assistant), {"description": "new"}, format="json")
    members = client.post(
        api_url(assistant, "members"), {"username": "otto", "role": "viewer"}, format="json"
    )

    assert patched.status_code == status
    assert members.status_code == (201 if status == 200 else 403)
    if status == 403:
        assert client.delete(api_url(assistant)).status_code == 403
