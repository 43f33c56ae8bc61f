"""Live training progress: the one module that calls ``group_send`` for jobs.

Every change of a job (queued, progress, outcome) goes to the group of its assistant as
``{"type": "job.update", "job": {...}}``; ``training.consumers.JobConsumer`` forwards it to the
browser. With Redis (``REDIS_URL``) the message crosses processes; the embedded default
(``InMemoryChannelLayer``) stays in the worker's process, which is why the consumer also reads
the job rows itself (see its docstring).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

if TYPE_CHECKING:
    from training.models import TrainingJob

logger = logging.getLogger(__name__)


def jobs_group(assistant_id: int) -> str:
    return f"training-jobs-{assistant_id}"


def job_payload(job: TrainingJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "state": job.state,
        "progress": job.progress,
        "human_readable_error": job.human_readable_error,
        "model_version": job.model_version.model_id if job.model_version else None,
        "activated": job.activated,
    }


def job_changed(job: TrainingJob) -> None:
    """Tell the assistant's watchers; a failure to tell never fails the training."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            jobs_group(job.assistant_id), {"type": "job.update", "job": job_payload(job)}
        )
    except Exception:  # the layer (Redis) being down must not stop a training
        logger.warning("could not send the progress of job %s", job.pk, exc_info=True)
