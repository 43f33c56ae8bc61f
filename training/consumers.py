"""Live training progress in the browser: ``ws/assistants/<id>/training/``.

Members of the assistant receive ``{"type": "job.update", "job": {id, kind, state, progress,
human_readable_error, model_version, activated}}`` whenever one of its jobs changes, first for
the recent jobs on connecting.

Two sources, so that it works with every deployment:

* the assistant's group (``training.live``): with Redis (``REDIS_URL``) the worker's messages
  arrive at once, from any process;
* the job rows, read every ``POLL_INTERVAL_S`` (only the jobs changed since the last read): the
  embedded default ``InMemoryChannelLayer`` does not cross processes, so a worker's messages
  never reach the web process, but the rows it writes do. One indexed query per open page
  every half second is cheap next to a training.

The same job state never goes out twice, whichever source saw it first.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from annotation.selectors.items import assistant_access
from training.live import job_payload, jobs_group
from training.models import TrainingJob

POLL_INTERVAL_S = 0.5
RECENT_JOBS = 10
# rows written just before a read may carry a slightly older updated_at
_CLOCK_MARGIN = timedelta(seconds=2)


def _is_member(user: Any, assistant_id: int) -> bool:
    access = assistant_access(user=user, assistant_id=assistant_id)
    return access is not None and access.role is not None


def _jobs_changed_since(assistant_id: int, since: datetime | None) -> list[dict[str, Any]]:
    jobs = TrainingJob.objects.filter(assistant_id=assistant_id).select_related("model_version")
    if since is None:
        return [
            job_payload(job) for job in reversed(jobs.order_by("-created_at", "-id")[:RECENT_JOBS])
        ]
    return [job_payload(job) for job in jobs.filter(updated_at__gte=since).order_by("id")]


class JobConsumer(AsyncJsonWebsocketConsumer):
    assistant_id: int
    group: str

    async def connect(self) -> None:
        self.assistant_id = int(self.scope["url_route"]["kwargs"]["assistant_pk"])
        self.sent: dict[int, dict[str, Any]] = {}
        self.poller: asyncio.Task[None] | None = None
        allowed = await database_sync_to_async(_is_member)(
            self.scope.get("user"), self.assistant_id
        )
        if not allowed:
            await self.close(code=4404)
            return
        self.group = jobs_group(self.assistant_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        since = timezone.now()
        for job in await database_sync_to_async(_jobs_changed_since)(self.assistant_id, None):
            await self._send_if_new(job)
        self.poller = asyncio.create_task(self._poll(since))

    async def disconnect(self, code: int) -> None:
        if self.poller is not None:
            self.poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.poller
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def job_update(self, event: dict[str, Any]) -> None:
        await self._send_if_new(event["job"])

    async def _poll(self, since: datetime) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL_S)
            now = timezone.now()
            changed = await database_sync_to_async(_jobs_changed_since)(
                self.assistant_id, since - _CLOCK_MARGIN
            )
            since = now
            for job in changed:
                await self._send_if_new(job)

    async def _send_if_new(self, job: dict[str, Any]) -> None:
        if self.sent.get(job["id"]) == job:
            return
        self.sent[job["id"]] = job
        await self.send_json({"type": "job.update", "job": job})
