"""The interactive learning API: a session driven over HTTP with a real model, roles."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from annotation.models import Assistant, Role, Story
from tests.factories import member
from training.interactive.learning import interactive_wait
from training.serving import assistant_handle_message

pytestmark = pytest.mark.django_db


def client_for(assistant: Assistant, role: Role) -> APIClient:
    client = APIClient()
    client.force_authenticate(member(assistant, role))
    return client


def url(assistant: Assistant, path: str) -> str:
    return f"/api/v1/assistants/{assistant.pk}/interactive/{path}"


def start(client: APIClient, assistant: Assistant) -> dict[str, Any]:
    response = client.post(url(assistant, "sessions/"), {}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_given_an_annotator_when_correcting_an_action_then_other_conversations_change(
    assistant: Assistant,
) -> None:
    client = client_for(assistant, Role.ANNOTATOR)
    session = start(client, assistant)
    base = f"sessions/{session['id']}/"
    parsed = client.post(url(assistant, base + "parse/"), {"text": "/greet"}, format="json")
    assert parsed.json()["intent"]["name"] == "greet"

    state = client.post(
        url(assistant, base + "messages/"), {"text": "/greet", "intent": "greet"}, format="json"
    ).json()
    assert state["prediction"]["action"] == "utter_greet"
    result = client.post(url(assistant, base + "actions/"), {"name": "utter_ok"}, format="json")

    assert result.status_code == 200, result.content
    body = result.json()
    assert body["learned"]["learned"] is True
    assert [m["text"] for m in body["messages"]] == ["Noted."]
    model = client.get(url(assistant, "model/")).json()
    assert model["interactive"] is True and model["model_id"] == body["learned"]["model_id"]
    answer = assistant_handle_message(
        assistant=assistant, sender_id="other", text="/greet", channel="rest"
    )
    assert [m["text"] for m in answer] == ["Noted."]

    discarded = client.post(url(assistant, "model/discard/"), {}, format="json").json()
    assert discarded["interactive"] is False
    again = assistant_handle_message(
        assistant=assistant, sender_id="third", text="/greet", channel="rest"
    )
    assert [m["text"] for m in again] == ["Hello!"]


def test_given_a_viewer_when_talking_then_refused_but_the_session_can_be_read(
    assistant: Assistant,
) -> None:
    session = start(client_for(assistant, Role.ANNOTATOR), assistant)
    viewer = client_for(assistant, Role.VIEWER)

    assert viewer.post(url(assistant, "sessions/"), {}, format="json").status_code == 403
    assert viewer.get(url(assistant, f"sessions/{session['id']}/")).status_code == 200


def test_given_a_new_response_when_an_annotator_saves_then_only_an_admin_may(
    assistant: Assistant,
) -> None:
    annotator = client_for(assistant, Role.ANNOTATOR)
    session = start(annotator, assistant)
    base = f"sessions/{session['id']}/"
    annotator.post(
        url(assistant, base + "messages/"), {"text": "hi", "intent": "greet"}, format="json"
    )
    annotator.post(
        url(assistant, base + "actions/"),
        {"name": "utter_wave", "response_text": "*waves*"},
        format="json",
    )

    refused = annotator.post(url(assistant, base + "save/"), {"name": "wave"}, format="json")
    saved = client_for(assistant, Role.ADMIN).post(
        url(assistant, base + "save/"), {"name": "wave", "test": True}, format="json"
    )

    assert refused.status_code == 403
    assert "response 'utter_wave'" in refused.json()["message"]
    assert saved.status_code == 201, saved.content
    assert saved.json()["full_training_required"] is True
    assert Story.objects.filter(assistant=assistant, name="wave").count() == 2


def test_given_a_recorded_conversation_when_forked_then_a_session_waits_for_the_action(
    assistant: Assistant,
) -> None:
    assistant_handle_message(assistant=assistant, sender_id="rec", text="/greet", channel="rest")
    recorded = assistant.conversations.get(sender_id="rec")
    position = recorded.events.get(kind="user").position
    client = client_for(assistant, Role.ANNOTATOR)

    response = client.post(
        url(assistant, "sessions/"),
        {"conversation": recorded.pk, "position": position},
        format="json",
    )

    assert response.status_code == 201, response.content
    state = response.json()
    assert state["awaiting"] == "action" and state["prediction"]["action"] == "utter_greet"
    undone = client.post(url(assistant, f"sessions/{state['id']}/undo/"), {}, format="json")
    assert undone.json()["awaiting"] == "user"
    interactive_wait(assistant=assistant)


def test_given_another_assistants_conversation_when_opened_then_404(
    assistant: Assistant,
) -> None:
    client = client_for(assistant, Role.ANNOTATOR)

    assert client.get(url(assistant, "sessions/999999/")).status_code == 404
