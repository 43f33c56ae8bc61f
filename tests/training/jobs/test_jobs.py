"""Training jobs end to end with the real engine (tiny epochs): start, progress, outcome,
fine-tuning and its refusal, cancelling, one job per assistant, dead workers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from annotation import models as m
from annotation.services.project_import import assistant_import_from_path
from tests.factories import UserFactory
from tests.training.tiny_project import add_intent, write_tiny_project
from training import jobs
from training.engine.cache import TrainingCache
from training.jobs import (
    FinetuneNotPossible,
    finetunes_since_full,
    training_finetune_check,
    training_job_cancel,
    training_job_list,
    training_job_run,
    training_job_start,
)
from training.models import JobState, ModelKind, ModelVersion, TrainingJob
from training.registry import active_model_id
from training.serving import assistant_active_model

pytestmark = pytest.mark.django_db


def start(assistant: m.Assistant, kind: str, capture: Any, **kwargs: Any) -> TrainingJob:
    with capture(execute=True):
        job = training_job_start(assistant=assistant, kind=kind, **kwargs)
    job.refresh_from_db()
    return job


def test_given_an_assistant_when_a_full_training_job_runs_then_it_succeeds_and_serves(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory()

    job = start(tiny, ModelKind.FULL, django_capture_on_commit_callbacks, user=user)

    assert job.state == JobState.SUCCEEDED, job.human_readable_error or job.error
    assert job.progress["percent"] == 100.0
    assert job.progress["nodes_done"] == job.progress["nodes"] > 0
    assert job.celery_task_id
    assert "trained in" in job.log
    version = job.model_version
    assert version is not None and job.activated
    assert version.kind == ModelKind.FULL and version.started_by == user
    assert version.size_bytes > 0
    assert version.metrics["nlu"]["examples"] > 0
    assert active_model_id(assistant=tiny) == version.model_id
    served = assistant_active_model(assistant=tiny)
    assert served is not None and served.id == version.model_id


def test_given_a_model_when_fine_tuned_then_the_child_records_its_parent(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    full = start(tiny, ModelKind.FULL, django_capture_on_commit_callbacks)
    assert training_finetune_check(assistant=tiny).allowed

    job = start(tiny, ModelKind.FINETUNE, django_capture_on_commit_callbacks)

    assert job.state == JobState.SUCCEEDED, job.human_readable_error or job.error
    assert job.epoch_fraction == 0.2  # the assistant's default
    version = job.model_version
    assert version is not None
    assert version.kind == ModelKind.FINETUNE
    assert version.parent == full.model_version
    assert version.fine_tune_count == 1
    assert finetunes_since_full(assistant=tiny) == 1
    assert "comparison" in job.details


def test_given_no_model_when_fine_tuning_then_it_is_refused_with_a_reason(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    with pytest.raises(FinetuneNotPossible) as refused:
        start(tiny, ModelKind.FINETUNE, django_capture_on_commit_callbacks)

    assert [d.change for d in refused.value.verdict.differences] == ["missing"]
    assert not TrainingJob.objects.exists()


def test_given_an_added_intent_when_fine_tuning_then_the_differences_are_listed(
    tiny: m.Assistant,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
    tmp_path: Path,
) -> None:
    start(tiny, ModelKind.FULL, django_capture_on_commit_callbacks)
    changed = write_tiny_project(tmp_path / "changed")
    add_intent(changed)
    assistant_import_from_path(name="tiny", path=changed, replace=True)

    with pytest.raises(FinetuneNotPossible) as refused:
        start(tiny, ModelKind.FINETUNE, django_capture_on_commit_callbacks)

    assert ("intent", "thank", "added") in [
        (d.kind, d.name, d.change) for d in refused.value.verdict.differences
    ]
    assert TrainingJob.objects.count() == 1


def test_given_a_running_job_when_cancelled_then_it_stops_and_the_old_model_serves(
    tiny: m.Assistant,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = start(tiny, ModelKind.FULL, django_capture_on_commit_callbacks)
    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL_S", 0.01)
    real_beat = jobs._beat

    def cancel_then_beat(job: TrainingJob, tracker: Any) -> None:
        training_job_cancel(job=TrainingJob.objects.get(pk=job.pk))
        real_beat(job, tracker)

    monkeypatch.setattr(jobs, "_beat", cancel_then_beat)
    # nothing from the training cache: the job trains long enough to be cancelled
    monkeypatch.setattr(jobs, "training_cache", TrainingCache.disabled)
    with django_capture_on_commit_callbacks(execute=False):
        job = training_job_start(assistant=tiny, kind=ModelKind.FULL)

    training_job_run(job_id=job.pk)

    job.refresh_from_db()

    assert job.state == JobState.CANCELLED
    assert job.model_version is None
    assert active_model_id(assistant=tiny) == first.model_version.model_id  # type: ignore[union-attr]
    assert ModelVersion.objects.count() == 1


def test_given_a_queued_job_when_cancelled_then_its_task_does_nothing(
    tiny: m.Assistant, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = training_job_start(assistant=tiny, kind=ModelKind.FULL)

    training_job_cancel(job=job)
    training_job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and job.started_at is None


def test_given_a_running_job_when_another_starts_then_it_waits_until_the_first_ends(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    running = TrainingJob.objects.create(
        assistant=tiny, state=JobState.RUNNING, heartbeat_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False):
        waiting = training_job_start(assistant=tiny, kind=ModelKind.FULL)

    training_job_run(job_id=waiting.pk)
    waiting.refresh_from_db()
    assert waiting.state == JobState.QUEUED

    # the first job's worker dies: whoever reads the jobs next marks it failed, and the
    # queued job starts
    TrainingJob.objects.filter(pk=running.pk).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        listed = list(training_job_list(assistant=tiny))

    assert {job.pk for job in listed} == {running.pk, waiting.pk}
    running.refresh_from_db()
    waiting.refresh_from_db()
    assert running.state == JobState.FAILED
    assert "previous model is still active" in running.human_readable_error
    assert waiting.state == JobState.SUCCEEDED, waiting.error


def test_given_a_queued_job_whose_message_was_lost_when_listed_then_it_is_sent_again(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the broker never delivers it
        lost = training_job_start(assistant=tiny, kind=ModelKind.FULL)
    with django_capture_on_commit_callbacks(execute=True):
        training_job_list(assistant=tiny)
    lost.refresh_from_db()
    assert lost.state == JobState.QUEUED  # a fresh job may still be on its way

    TrainingJob.objects.filter(pk=lost.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        training_job_list(assistant=tiny)

    lost.refresh_from_db()
    assert lost.state == JobState.SUCCEEDED, lost.error
