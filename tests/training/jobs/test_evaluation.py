"""Every training is evaluated and compared with the active model; the optional gate keeps a
worse model inactive; Celery beat's scheduled trainings start only when the data changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from annotation import models as m
from tests.factories import ExampleFactory
from training.engine.archive import read_metadata
from training.engine.data import NluExample
from training.engine.evaluation import Prediction, evaluate_predictions
from training.evaluation import (
    MAX_CONFUSION_LABELS,
    confusion_matrix,
    headline,
    intents_worse,
    metrics_comparison,
    model_comparison,
)
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
    nlu = version.metrics["nlu"]
    assert nlu["examples"] == m.Example.objects.filter(assistant=tiny).count()
    assert sum(scores["support"] for scores in nlu["per_intent"].values()) == nlu["examples"]
    assert "greet" in nlu["per_intent"] and 0.0 <= nlu["per_intent"]["greet"]["f1"] <= 1.0
    matrix = nlu["confusion"]["matrix"]
    assert len(matrix) == len(nlu["confusion"]["labels"]) and all(
        len(row) == len(matrix) for row in matrix
    )
    assert sum(map(sum, matrix)) == nlu["examples"]


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


def prediction(intent: str | None) -> Prediction:
    return Prediction(intent=intent, confidence=0.9, entities=())


def test_given_predictions_when_confused_then_rows_are_gold_and_columns_predicted() -> None:
    gold = ["greet", "greet", "greet", "bye", "bye", "thanks"]
    said = ["greet", "bye", None, "bye", "bye", "greet"]
    report = evaluate_predictions(
        [NluExample(text=f"t{i}", intent=g) for i, g in enumerate(gold)],
        [prediction(p) for p in said],
    )

    confusion = confusion_matrix(report["intent"])

    assert confusion["labels"] == ["(none)", "bye", "greet", "thanks"]
    assert confusion["matrix"] == [
        [0, 0, 0, 0],
        [0, 2, 0, 0],
        [1, 1, 1, 0],
        [0, 0, 1, 0],
    ]


def test_given_many_intents_when_confused_then_the_matrix_keeps_those_with_most_errors() -> None:
    gold = [f"intent{i:02}" for i in range(40)] + ["muddled"] * 3
    said = [f"intent{i:02}" for i in range(40)] + ["intent00", "intent01", "intent02"]
    report = evaluate_predictions(
        [NluExample(text=f"t{i}", intent=g) for i, g in enumerate(gold)],
        [prediction(p) for p in said],
    )

    confusion = confusion_matrix(report["intent"])

    assert len(confusion["labels"]) == MAX_CONFUSION_LABELS
    assert {"muddled", "intent00", "intent01", "intent02"} <= set(confusion["labels"])
    assert confusion["intents"] == 41


def test_given_per_intent_figures_when_compared_then_the_intents_that_got_worse_are_listed(
    tiny: m.Assistant,
) -> None:
    def version(model_id: str, **f1: float) -> ModelVersion:
        per_intent = {name: {"f1": value, "support": 4} for name, value in f1.items()}
        metrics = {"nlu": {"intent_accuracy": 0.8, "per_intent": per_intent}}
        return ModelVersion(assistant=tiny, model_id=model_id, metrics=metrics)

    old = version("old", greet=0.9, bye=0.8, thanks=0.5, gone=1.0)
    new = version("new", greet=0.9, bye=0.4, thanks=0.45, added=0.0)

    assert intents_worse(new=new, old=old) == [
        {"intent": "bye", "old_f1": 0.8, "new_f1": 0.4},
        {"intent": "thanks", "old_f1": 0.5, "new_f1": 0.45},
    ]
    both = model_comparison(new=new, old=old)
    assert both["figures"]["nlu.intent_accuracy"]["worse"] is False
    assert [item["intent"] for item in both["intents_worse"]] == ["bye", "thanks"]
    assert intents_worse(new=old, old=new) == []  # nothing got worse the other way round


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
