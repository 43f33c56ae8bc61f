"""The live-progress websocket: a snapshot on connecting, then changes from the job rows
(a worker in another process) and from the channel layer (a worker that shares it)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from annotation.models import Assistant, Role
from project.routing import websocket_urlpatterns
from tests.factories import AssistantFactory, UserFactory, member
from training import consumers, live
from training.models import JobState, TrainingJob

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(coroutine: Any) -> Any:
    # a thread of its own: Playwright's sync API keeps an event loop in the main thread
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def path(assistant: Assistant) -> str:
    return f"/ws/assistants/{assistant.pk}/training/"


async def connect(user: Any, assistant: Assistant) -> tuple[bool, WebsocketCommunicator]:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path(assistant))
    communicator.scope["user"] = user
    connected, _ = await communicator.connect()
    return connected, communicator


def write_progress(job_id: int, percent: float, state: str = JobState.RUNNING) -> None:
    """What a worker in another process does: write the row, send nothing we can hear."""
    TrainingJob.objects.filter(pk=job_id).update(
        state=state, progress={"percent": percent, "node": "diet"}, updated_at=timezone.now()
    )


def test_given_a_member_when_a_worker_writes_progress_then_the_page_receives_it() -> None:
    assistant = AssistantFactory()
    user = member(assistant, Role.VIEWER)
    job = TrainingJob.objects.create(assistant=assistant)

    async def run() -> list[dict[str, Any]]:
        connected, communicator = await connect(user, assistant)
        assert connected
        received = [await communicator.receive_json_from(timeout=5)]
        await database_sync_to_async(write_progress)(job.pk, 40.0)
        received.append(await communicator.receive_json_from(timeout=5))
        await database_sync_to_async(write_progress)(job.pk, 100.0, JobState.SUCCEEDED)
        received.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return received

    received = in_thread(run())

    assert [(m["type"], m["job"]["state"], m["job"]["progress"]["percent"]) for m in received] == [
        ("job.update", "queued", 0.0),
        ("job.update", "running", 40.0),
        ("job.update", "succeeded", 100.0),
    ]


def test_given_a_shared_channel_layer_when_a_job_changes_then_the_group_message_arrives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumers, "POLL_INTERVAL_S", 3600)  # only the group can deliver
    assistant = AssistantFactory()
    user = member(assistant, Role.ADMIN)

    async def run() -> dict[str, Any]:
        connected, communicator = await connect(user, assistant)
        assert connected
        job = await database_sync_to_async(TrainingJob.objects.create)(
            assistant=assistant, state=JobState.RUNNING, progress={"percent": 12.5}
        )
        await database_sync_to_async(live.job_changed)(job)
        message: dict[str, Any] = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return message

    message = in_thread(run())

    assert message["type"] == "job.update"
    assert message["job"]["state"] == "running" and message["job"]["progress"]["percent"] == 12.5


def test_given_an_outsider_when_connecting_then_the_socket_is_refused() -> None:
    assistant = AssistantFactory()
    outsider = UserFactory()

    async def run() -> bool:
        connected, communicator = await connect(outsider, assistant)
        await communicator.disconnect()
        return connected

    assert in_thread(run()) is False
