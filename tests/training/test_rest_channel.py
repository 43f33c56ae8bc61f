"""The REST webhook's own ASGI route (``training.bots.rest_channel``): answered without Django's
request handling, with the same answers, errors and recording as the Django view."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from channels.testing import HttpCommunicator

from annotation.models import Assistant, Conversation
from tests.factories import AssistantFactory
from training import serving
from training.bots.rest_channel import RestChannelApp

pytestmark = pytest.mark.django_db(transaction=True)  # the route's threads see committed rows


@pytest.fixture(autouse=True)
def _hosts(settings: Any, data_dir: Path) -> None:
    """A data folder of its own (tests/training/conftest.py), and the Host the tests send."""
    settings.ALLOWED_HOSTS = ["bots.example.com"]


@pytest.fixture
def assistant(fake_served: Assistant) -> Assistant:
    return fake_served


class Fallback:
    """Stands for Django: answers 299 and remembers the paths it was given."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


@pytest.fixture
def app() -> Iterator[tuple[RestChannelApp, Fallback]]:
    fallback = Fallback()
    app = RestChannelApp(fallback, threads=2)
    yield app, fallback
    app.close_connections()  # before the test database goes


def call(
    app: RestChannelApp,
    path: str,
    body: bytes = b"",
    *,
    method: str = "POST",
    host: bytes = b"bots.example.com",
) -> dict[str, Any]:
    communicator = HttpCommunicator(app, method, path, body=body, headers=[(b"host", host)])
    return _run(communicator)


def _run(communicator: HttpCommunicator) -> dict[str, Any]:
    """The response, from an event loop of its own on another thread (browser tests leave one
    running on this thread, where ``async_to_sync`` refuses to work)."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(asyncio.run, communicator.get_response(timeout=30))
        response: dict[str, Any] = future.result()
    return response


def webhook(name: str) -> str:
    return f"/bots/{name}/webhooks/rest/webhook"


def test_given_a_message_when_posted_then_the_route_answers_and_records_it_without_django(
    assistant: Assistant, app: tuple[RestChannelApp, Fallback]
) -> None:
    rest, fallback = app
    body = {"sender": "alice", "message": "/greet", "metadata": {"page": "home"}}

    response = call(rest, webhook(assistant.name), json.dumps(body).encode())

    assert response["status"] == 200
    assert json.loads(response["body"]) == [{"recipient_id": "alice", "text": "Hi there!"}]
    assert (b"content-type", b"application/json") in response["headers"]
    assert fallback.paths == []
    conversation = Conversation.objects.get(sender_id="alice")
    assert conversation.channel == "rest"
    assert conversation.events.get(kind="user").data["metadata"] == {"page": "home"}


def test_given_an_assistant_id_when_posted_then_it_is_found_as_by_name(
    assistant: Assistant, app: tuple[RestChannelApp, Fallback]
) -> None:
    response = call(app[0], webhook(str(assistant.pk)), b'{"sender": "b", "message": "/greet"}')

    assert json.loads(response["body"])[0]["text"] == "Hi there!"


def test_given_every_other_request_when_called_then_django_answers_it(
    assistant: Assistant, app: tuple[RestChannelApp, Fallback]
) -> None:
    rest, fallback = app

    status = call(rest, f"/bots/{assistant.name}/status", method="GET")
    get_webhook = call(rest, webhook(assistant.name), method="GET")

    assert (status["status"], get_webhook["status"]) == (299, 299)
    assert fallback.paths == [f"/bots/{assistant.name}/status", webhook(assistant.name)]


@pytest.mark.parametrize(
    ("name", "body", "status", "reason"),
    [
        ("restaurants", b"{not json", 400, "ParseError"),
        ("restaurants", b"[1, 2]", 400, "ValidationError"),
        ("restaurants", b'{"sender": "a"}', 400, "ValidationError"),
        ("restaurants", b'{"sender": "a", "message": 3}', 400, "ValidationError"),
        ("nobody", b'{"sender": "a", "message": "hi"}', 404, "NotFound"),
        # PostgreSQL cannot store a NUL character: refused on every database alike
        ("restaurants", b'{"sender": "a", "message": "hi\\u0000there"}', 400, "ValidationError"),
        ("restaurants", b'{"sender": "a\\u0000", "message": "hi"}', 400, "ValidationError"),
    ],
)
def test_given_bad_requests_when_posted_then_errors_have_rasas_shape_and_nothing_is_recorded(
    assistant: Assistant,
    app: tuple[RestChannelApp, Fallback],
    name: str,
    body: bytes,
    status: int,
    reason: str,
) -> None:
    response = call(app[0], webhook(name), body)

    answer = json.loads(response["body"])
    assert response["status"] == status
    assert (answer["status"], answer["reason"], answer["code"]) == ("failure", reason, status)
    assert not Conversation.objects.exists()


def test_given_an_untrained_assistant_when_posted_then_409_no_model(
    app: tuple[RestChannelApp, Fallback],
) -> None:
    AssistantFactory(name="untrained")

    response = call(app[0], webhook("untrained"), b'{"sender": "a", "message": "hi"}')

    assert response["status"] == 409
    assert json.loads(response["body"])["reason"] == "no_model"


def test_given_a_host_not_allowed_when_posted_then_400_as_django_would(
    assistant: Assistant, app: tuple[RestChannelApp, Fallback]
) -> None:
    response = call(
        app[0], webhook(assistant.name), b'{"sender": "a", "message": "hi"}', host=b"evil.example"
    )

    assert response["status"] == 400
    assert json.loads(response["body"])["reason"] == "DisallowedHost"
    assert not Conversation.objects.exists()


def test_given_a_body_over_the_upload_limit_when_posted_then_413(
    settings: Any, assistant: Assistant, app: tuple[RestChannelApp, Fallback]
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"sender": "a", "message": "x" * 200}).encode()

    response = call(app[0], webhook(assistant.name), body)

    assert response["status"] == 413
    assert not Conversation.objects.exists()


def test_given_the_projects_asgi_application_when_posting_then_the_route_is_in_front(
    assistant: Assistant,
) -> None:
    from project.asgi import application

    communicator = HttpCommunicator(
        application,
        "POST",
        webhook(assistant.name),
        body=b'{"sender": "carol", "message": "/greet"}',
        headers=[(b"host", b"bots.example.com")],
    )
    response = _run(communicator)

    application.application_mapping["http"].close_connections()
    assert response["status"] == 200
    assert json.loads(response["body"])[0]["text"] == "Hi there!"
    assert Conversation.objects.filter(sender_id="carol").exists()


def test_given_a_turn_that_fails_when_posted_then_500_in_rasas_shape_and_the_error_logged(
    assistant: Assistant,
    app: tuple[RestChannelApp, Fallback],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(**kwargs: Any) -> list[dict[str, Any]]:
        raise RuntimeError("the policy ensemble is on fire")

    monkeypatch.setattr(serving, "assistant_handle_message", broken)

    response = call(app[0], webhook(assistant.name), b'{"sender": "a", "message": "hi"}')

    assert response["status"] == 500
    assert json.loads(response["body"])["reason"] == "InternalError"
    assert "the policy ensemble is on fire" in caplog.text


def test_given_a_connection_that_failed_when_the_turn_ends_then_it_is_closed_if_broken(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connection

    from training.bots.rest_channel import _drop_broken_connections

    connection.ensure_connection()
    connection.errors_occurred = True  # a query failed, the connection still works
    _drop_broken_connections()
    kept = connection.connection is not None and not connection.errors_occurred

    connection.errors_occurred = True
    monkeypatch.setattr(connection, "is_usable", lambda: False)  # the server went away
    _drop_broken_connections()

    assert kept
    assert connection.connection is None  # the next message opens a new one
