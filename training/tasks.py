"""Celery tasks of the training app: each takes a row id and calls a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from training.jobs import training_job_run, training_schedule_run


@shared_task(bind=True, name="training.run_job", acks_late=True)
def run_training_job(self: Any, job_id: int) -> None:
    training_job_run(job_id=job_id, task_id=str(self.request.id or ""))


@shared_task(name="training.scheduled_trainings")
def scheduled_trainings() -> list[int]:
    """Celery beat, every night (``CELERY_BEAT_SCHEDULE``): the scheduled full trainings."""
    return [job.pk for job in training_schedule_run(now=timezone.localtime())]
