"""The browser chat over a websocket: members talk to the running assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from annotation.models import Assistant, Conversation, Role
from project.routing import websocket_urlpatterns
from tests.factories import AssistantFactory, UserFactory, member
from tests.training.serving_fakes import FakeModel, write_fake_archive
from training import serving
from training.services import assistant_models_dir
from training.serving import serving_cache_clear

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fake_model(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.DATA_DIR = tmp_path / "data"
    model = FakeModel("chat1")
    monkeypatch.setattr(serving, "load_model", lambda path: model)
    serving_cache_clear()
    yield
    serving_cache_clear()


@pytest.fixture
def assistant() -> Assistant:
    assistant = AssistantFactory(name="chatty")
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260101-000000-000000", "chat1")
    return assistant


def chat(user: Any, path: str, messages: list[Any]) -> tuple[bool, list[Any]]:
    async def run() -> tuple[bool, list[Any]]:
        communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        received: list[Any] = []
        if connected:
            received.append(await communicator.receive_json_from())
            for message in messages:
                await communicator.send_json_to(message)
                received.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return connected, received

    # a thread of its own: Playwright's sync API (the browser tests) keeps an event loop
    # running in the main thread for the whole session
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_given_a_member_when_chatting_then_the_assistant_answers_and_records(
    assistant: Assistant,
) -> None:
    user = member(assistant, Role.VIEWER, username="vic")

    connected, received = chat(
        user, "/ws/bots/chatty/chat/?session_id=web-1", [{"message": "/greet"}, {"oops": 1}]
    )

    assert connected
    assert received[0] == {"type": "session_confirm", "session_id": "web-1"}
    assert received[1] == {"type": "bot_uttered", "recipient_id": "web-1", "text": "Hey, web user!"}
    assert received[2]["type"] == "error"
    assert Conversation.objects.get(sender_id="web-1").channel == "socketio"


def test_given_an_outsider_when_connecting_then_the_socket_is_refused(
    assistant: Assistant,
) -> None:
    connected, _ = chat(UserFactory(username="otto"), "/ws/bots/chatty/chat/", [])

    assert not connected
