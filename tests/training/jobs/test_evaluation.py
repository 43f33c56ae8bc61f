"""Every training is evaluated and compared with the active model; the optional gate keeps a
worse model inactive; Celery beat's scheduled trainings start only when the data changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from annotation import models as m
from tests.factories import ExampleFactory
from training.engine.archive import read_metadata
from training.evaluation import headline, metrics_comparison
from training.jobs import assistant_data_changed, training_job_start, training_schedule_run
from training.models import JobState, ModelKind, ModelVersion, TrainingJob, TrainingSchedule
from training.registry import active_model_id, archive_path, training_settings_get

pytestmark = pytest.mark.django_db

SUNDAY = datetime(2026, 11, 22, 2, 0)
MONDAY = datetime(2026, 11, 23, 2, 0)


def train_full(assistant: m.Assistant, capture: Any) -> TrainingJob:
    with capture(execute=True):
        job = training_job_start(assistant=assistant, kind=ModelKind.FULL)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    return job


def test_given_a_trained_model_then_its_metrics_hold_the_nlu_evaluation(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    version = train_full(tiny, django_capture_on_commit_callbacks).model_version
    assert version is not None

    figures = headline(version.metrics)

    assert 0.0 <= figures["nlu.intent_accuracy"] <= 1.0
    assert "nlu.entity_f1" in figures
    assert version.metrics["nlu"]["examples"] == m.Example.objects.filter(assistant=tiny).count()


def test_given_a_holdout_share_then_the_model_is_measured_on_examples_it_never_trained_on(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    greet = m.Example.objects.filter(assistant=tiny, intent__name="greet").first()
    assert greet is not None
    for word in ("hiya", "howdy", "hello there", "good evening", "hey you", "yo", "greetings"):
        ExampleFactory(assistant=tiny, intent=greet.intent, block=greet.block, text=word)
    settings = training_settings_get(assistant=tiny)
    settings.nlu_holdout_percent = 50
    settings.save()
    everything = m.Example.objects.filter(assistant=tiny).count()

    version = train_full(tiny, django_capture_on_commit_callbacks).model_version

    assert version is not None
    nlu = version.metrics["nlu"]
    assert nlu["held_out"] is True
    assert 0 < nlu["examples"] < everything
    trained = sum(read_metadata(archive_path(version))["label_examples"]["intents"].values())
    assert trained + nlu["examples"] == everything
    # the data did not change since: the held-out split is part of what counts as the data
    assert not assistant_data_changed(assistant=tiny)


def test_given_the_gate_when_a_new_model_is_worse_then_the_old_one_keeps_serving(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    first = train_full(tiny, django_capture_on_commit_callbacks).model_version
    assert first is not None
    # a baseline no model can reach: whatever the new model scores is worse
    first.metrics = {**first.metrics, "nlu": {**first.metrics["nlu"], "intent_accuracy": 2.0}}
    first.save()
    settings = training_settings_get(assistant=tiny)
    settings.activate_only_if_not_worse = True
    settings.save()

    gated = train_full(tiny, django_capture_on_commit_callbacks)

    assert not gated.activated
    assert gated.details["comparison"]["nlu.intent_accuracy"]["worse"] is True
    assert active_model_id(assistant=tiny) == first.model_id

    settings.activate_only_if_not_worse = False
    settings.save()
    ungated = train_full(tiny, django_capture_on_commit_callbacks)

    assert ungated.activated
    assert active_model_id(assistant=tiny) == ungated.model_version.model_id  # type: ignore[union-attr]


def test_given_equal_metrics_when_compared_then_nothing_is_worse(
    tiny: m.Assistant,
) -> None:
    old = ModelVersion(assistant=tiny, metrics={"nlu": {"intent_accuracy": 0.9, "entity_f1": 0.5}})
    new = ModelVersion(assistant=tiny, metrics={"nlu": {"intent_accuracy": 0.9, "entity_f1": 0.4}})

    comparison = metrics_comparison(new=new, old=old)

    assert comparison["nlu.intent_accuracy"]["worse"] is False
    assert comparison["nlu.entity_f1"]["worse"] is True


def test_given_schedules_when_beat_runs_then_only_changed_due_assistants_train(
    tiny: m.Assistant, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    settings = training_settings_get(assistant=tiny)
    settings.schedule = TrainingSchedule.WEEKLY
    settings.save()

    assert training_schedule_run(now=MONDAY) == []  # weekly: Sundays only
    with django_capture_on_commit_callbacks(execute=True):
        started = training_schedule_run(now=SUNDAY)  # no model yet: the data "changed"
    assert len(started) == 1
    assert not assistant_data_changed(assistant=tiny)
    assert training_schedule_run(now=SUNDAY) == []  # nothing changed since

    intent = m.Intent.objects.get(assistant=tiny, name="greet")
    ExampleFactory(block=m.IntentBlock.objects.filter(intent=intent).first(), text="howdy")

    assert assistant_data_changed(assistant=tiny)
    with django_capture_on_commit_callbacks(execute=False):
        again = training_schedule_run(now=SUNDAY)
    assert [job.kind for job in again] == [ModelKind.FULL]
    assert training_schedule_run(now=SUNDAY) == []  # one is queued already
