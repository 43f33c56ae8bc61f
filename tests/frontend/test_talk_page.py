"""The "Talk to your bot" page: in every assistant's tabs, members only, a session of the
assistant's interactive channel only; its script and the conversation page's way in."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from annotation.models import Assistant, Conversation
from tests.frontend.conversation_data import greeting_conversation

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html)
    assert found is not None
    return dict(json.loads(found.group(1)))


def test_given_an_annotator_when_opening_talk_then_the_chat_and_its_controls_show(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    response = signed_in(people["annotator"]).get(f"/assistants/{assistant.pk}/talk/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Talk</a>' in html
    assert 'id="composer"' in html and 'id="save-form"' in html
    assert "frontend/js/talk.js" in html
    data = page_data(html)
    assert data["sessionId"] is None
    assert data["interactiveApi"] == f"/api/v1/assistants/{assistant.pk}/interactive/"


def test_given_a_viewer_when_opening_talk_then_nothing_to_type_into(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    html = signed_in(people["viewer"]).get(f"/assistants/{assistant.pk}/talk/").content.decode()

    assert 'id="composer"' not in html and 'id="save-form"' not in html


def test_given_an_outsider_when_opening_talk_then_404(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    assert signed_in(people["outsider"]).get(f"/assistants/{assistant.pk}/talk/").status_code == 404


def test_given_a_session_when_opened_by_id_then_only_interactive_ones_exist(
    assistant: Assistant, people: dict[str, Any]
) -> None:
    recorded = greeting_conversation(assistant, "alice")
    session = Conversation.objects.create(
        assistant=assistant,
        sender_id="interactive-1",
        channel="interactive",
        started_at=recorded.started_at,
        latest_event_at=recorded.latest_event_at,
    )
    client = signed_in(people["annotator"])

    opened = client.get(f"/assistants/{assistant.pk}/talk/{session.pk}/")
    other = client.get(f"/assistants/{assistant.pk}/talk/{recorded.pk}/")

    assert opened.status_code == 200
    assert page_data(opened.content.decode())["sessionId"] == session.pk
    assert other.status_code == 404
