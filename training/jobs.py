"""Training jobs: start one (a row, then a Celery task on commit), run it, cancel it.

One job trains an assistant at a time: a task first takes a write lock on the assistant's row
and claims its job only when no other job of that assistant is running; the others stay
queued, and whichever job ends starts the oldest queued one. The engine trains in a thread of
the task while the task's own thread writes progress and a heartbeat every
``PROGRESS_INTERVAL_S`` and checks the cancel flag (the progress callback then raises, which
stops training). A running job whose heartbeat is older than
``settings.TRAINING_JOB_HEARTBEAT_TIMEOUT_S`` (its worker died) is marked failed by whoever
reads it, and a queued job left waiting that long with nothing running is sent to the workers
again (its broker message was lost). The active model keeps serving throughout; a new model
becomes active when its job succeeds (unless the assistant's gate says one of its metrics got
worse).
"""

from __future__ import annotations

import functools
import io
import logging
import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from annotation.models import Assistant
from training import live
from training.adapters import training_data_for_assistant
from training.cli import INPUT_ERRORS, ProgressPrinter
from training.engine.archive import ArchiveError, read_metadata
from training.engine.component import Progress
from training.engine.data import TrainingData
from training.engine.finetune_check import (
    ALLOWED_CHANGES,
    Difference,
    FinetuneVerdict,
    check_finetune,
)
from training.engine.fingerprint import data_fingerprint
from training.engine.graph import build_graph
from training.engine.runner import FinetuneRefused, TrainResult, train
from training.holdout import split_nlu
from training.models import (
    ACTIVE_JOB_STATES,
    JOB_KINDS,
    JobState,
    ModelKind,
    ModelVersion,
    TrainingJob,
    TrainingSchedule,
    TrainingSettings,
)
from training.registry import (
    UserLike,
    active_model_id,
    model_version_activate,
    model_version_record,
    models_prune,
    training_settings_get,
    user_or_none,
)
from training.services import assistant_model_path, assistant_models_dir, training_cache

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.5
DEFAULT_HEARTBEAT_TIMEOUT_S = 120
MAX_LOG_CHARS = 100_000


class JobError(Exception):
    code = "job_error"
    http_status = 400


class FinetuneNotPossible(JobError):
    """No base model, or the checker refused: ``verdict`` lists every difference."""

    code = "finetune_refused"
    http_status = 409

    def __init__(self, verdict: FinetuneVerdict) -> None:
        super().__init__(verdict.summary)
        self.verdict = verdict


class JobFinished(JobError):
    code = "job_finished"
    http_status = 409


class JobCancelled(Exception):
    """Raised inside the progress callback to stop a cancelled job's training."""


def training_data_to_train(*, assistant: Assistant) -> TrainingData:
    """The assistant's training data less the NLU examples its settings hold out for
    evaluation (``training.holdout``)."""
    percent = training_settings_get(assistant=assistant).nlu_holdout_percent
    data, _ = split_nlu(training_data_for_assistant(assistant=assistant), percent)
    return data


# ----------------------------------------------------------------------------- fine-tune check


def training_finetune_check(*, assistant: Assistant) -> FinetuneVerdict:
    """May the active model be fine-tuned on the assistant's data now? Every reason if not."""
    model_id = active_model_id(assistant=assistant)
    if model_id is None:
        return _no_base_verdict("There is no model to fine-tune yet: train from scratch first.")
    try:
        metadata = read_metadata(assistant_model_path(assistant=assistant, model_id=model_id))
    except ArchiveError as error:
        return _no_base_verdict(f"The active model cannot be read: {error}")
    return check_finetune(metadata, training_data_to_train(assistant=assistant))


def _no_base_verdict(summary: str) -> FinetuneVerdict:
    difference = Difference(kind="model", name="", change="missing", detail=summary)
    return FinetuneVerdict(
        allowed=False, differences=(difference,), allowed_changes=ALLOWED_CHANGES, summary=summary
    )


def finetunes_since_full(*, assistant: Assistant) -> int:
    """How many fine-tunes separate the active model from its last full training."""
    model_id = active_model_id(assistant=assistant)
    version = (
        ModelVersion.objects.filter(assistant=assistant, model_id=model_id).first()
        if model_id
        else None
    )
    return version.fine_tune_count if version is not None else 0


# ----------------------------------------------------------------------------------- start


def training_job_start(
    *,
    assistant: Assistant,
    kind: str,
    user: UserLike = None,
    epoch_fraction: float | None = None,
) -> TrainingJob:
    """Queue a training job and fire its task once the row is committed.

    A fine-tune the checker refuses raises ``FinetuneNotPossible`` and queues nothing.
    """
    if kind not in JOB_KINDS:
        raise JobError(f"kind must be one of {', '.join(JOB_KINDS)}, not {kind!r}")
    if kind == ModelKind.FINETUNE:
        verdict = training_finetune_check(assistant=assistant)
        if not verdict.allowed:
            raise FinetuneNotPossible(verdict)
        if epoch_fraction is None:
            epoch_fraction = training_settings_get(assistant=assistant).epoch_fraction
    else:
        epoch_fraction = 1.0
    if not 0 < epoch_fraction <= 1:
        raise JobError(f"the epoch fraction must be in (0, 1], not {epoch_fraction}")
    job = TrainingJob.objects.create(
        assistant=assistant, kind=kind, epoch_fraction=epoch_fraction, started_by=user_or_none(user)
    )
    transaction.on_commit(functools.partial(_dispatch, job.pk))
    live.job_changed(job)
    return job


def _dispatch(job_id: int) -> None:
    from training.tasks import run_training_job

    result = run_training_job.delay(job_id)
    TrainingJob.objects.filter(pk=job_id, celery_task_id="").update(celery_task_id=result.id)


def training_job_cancel(*, job: TrainingJob) -> TrainingJob:
    """Ask a job to stop: a queued job is cancelled now, a running one at its next report."""
    with transaction.atomic():
        job = TrainingJob.objects.select_for_update().get(pk=job.pk)
        if not job.is_active:
            raise JobFinished(f"This job has already {job.state}.")
        job.cancel_requested = True
        fields = ["cancel_requested", "updated_at"]
        if job.state == JobState.QUEUED:
            job.state = JobState.CANCELLED
            job.finished_at = timezone.now()
            fields += ["state", "finished_at"]
        job.save(update_fields=fields)
    live.job_changed(job)
    return job


# ---------------------------------------------------------------------------------- reading


def heartbeat_timeout() -> timedelta:
    seconds = getattr(settings, "TRAINING_JOB_HEARTBEAT_TIMEOUT_S", DEFAULT_HEARTBEAT_TIMEOUT_S)
    return timedelta(seconds=float(seconds))


def training_jobs_reconcile(*, assistant: Assistant) -> None:
    """Mark the assistant's running jobs whose worker stopped beating as failed (and start
    what was queued behind them)."""
    cutoff = timezone.now() - heartbeat_timeout()
    dead = list(
        TrainingJob.objects.filter(
            assistant=assistant, state=JobState.RUNNING, heartbeat_at__lt=cutoff
        )
    )
    for job in dead:
        seconds = int(heartbeat_timeout().total_seconds())
        updated = TrainingJob.objects.filter(
            pk=job.pk, state=JobState.RUNNING, heartbeat_at__lt=cutoff
        ).update(
            state=JobState.FAILED,
            finished_at=timezone.now(),
            error=f"no heartbeat from the worker for {seconds} s",
            human_readable_error=(
                "The training worker stopped (no sign of life for "
                f"{seconds} s): the previous model is still active. Start the training again."
            ),
        )
        if updated:
            job.refresh_from_db()
            live.job_changed(job)
    if dead:
        _start_next(assistant.pk)
    elif not TrainingJob.objects.filter(assistant=assistant, state=JobState.RUNNING).exists():
        _redispatch_stuck(assistant, cutoff)


def _redispatch_stuck(assistant: Assistant, cutoff: datetime) -> None:
    """A queued job with nothing running before it, untouched for a heartbeat timeout, lost its
    broker message (or waited for workers that were all down): send it again. Claiming is
    idempotent, so a message that was only slow costs nothing more."""
    stuck = (
        TrainingJob.objects.filter(
            assistant=assistant, state=JobState.QUEUED, updated_at__lt=cutoff
        )
        .order_by("created_at", "id")
        .first()
    )
    if stuck is None:
        return
    TrainingJob.objects.filter(pk=stuck.pk).update(updated_at=timezone.now())
    transaction.on_commit(functools.partial(_dispatch_again, stuck.pk))


def training_job_list(*, assistant: Assistant) -> QuerySet[TrainingJob]:
    training_jobs_reconcile(assistant=assistant)
    return TrainingJob.objects.filter(assistant=assistant).select_related(
        "started_by", "model_version"
    )


def training_job_get(*, assistant: Assistant, job_id: int) -> TrainingJob:
    return training_job_list(assistant=assistant).get(pk=job_id)


# ------------------------------------------------------------------------------------ running


def training_job_run(*, job_id: int, task_id: str = "") -> None:
    """The Celery task's body: claim the job (or leave it queued), train, record the outcome."""
    job = _claim(job_id, task_id)
    if job is None:
        return
    live.job_changed(job)
    try:
        _execute(job)
    finally:
        _start_next(job.assistant_id)


def _claim(job_id: int, task_id: str) -> TrainingJob | None:
    with transaction.atomic():
        job = TrainingJob.objects.filter(pk=job_id).first()
        if job is None:
            return None
        # A write on the assistant's row serializes claims of its jobs on every database
        # (a row lock on PostgreSQL, the write lock on SQLite).
        Assistant.objects.filter(pk=job.assistant_id).update(updated_at=F("updated_at"))
        job.refresh_from_db()
        if job.state != JobState.QUEUED:
            return None
        if job.cancel_requested:
            job.state = JobState.CANCELLED
            job.finished_at = timezone.now()
            job.save(update_fields=["state", "finished_at", "updated_at"])
            return None
        busy = (
            TrainingJob.objects.filter(assistant_id=job.assistant_id, state=JobState.RUNNING)
            .exclude(pk=job.pk)
            .filter(heartbeat_at__gte=timezone.now() - heartbeat_timeout())
            .exists()
        )
        if busy:
            return None  # the running job starts this one when it ends
        now = timezone.now()
        job.state = JobState.RUNNING
        job.started_at = now
        job.heartbeat_at = now
        if task_id:
            job.celery_task_id = task_id
        job.save(
            update_fields=["state", "started_at", "heartbeat_at", "celery_task_id", "updated_at"]
        )
        return job


def _start_next(assistant_id: int) -> None:
    if TrainingJob.objects.filter(assistant_id=assistant_id, state=JobState.RUNNING).exists():
        return
    queued = (
        TrainingJob.objects.filter(assistant_id=assistant_id, state=JobState.QUEUED)
        .order_by("created_at", "id")
        .first()
    )
    if queued is not None:
        transaction.on_commit(functools.partial(_dispatch_again, queued.pk))


def _dispatch_again(job_id: int) -> None:
    from training.tasks import run_training_job

    run_training_job.delay(job_id)


@dataclass
class _Tracker:
    """What the training thread reports, read by the task's thread under a lock."""

    nodes: int
    cancelled: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fractions: dict[str, float] = field(default_factory=dict)
    latest: dict[str, Any] = field(default_factory=dict)
    changed: bool = False
    log: io.StringIO = field(default_factory=io.StringIO)

    def __post_init__(self) -> None:
        self.printer = ProgressPrinter(self.log)

    def __call__(self, progress: Progress) -> None:
        if self.cancelled.is_set():
            raise JobCancelled("cancelled by a user")
        self.printer(progress)
        metrics = progress.metrics
        with self.lock:
            if metrics.get("done"):
                self.fractions[progress.node] = 1.0
            elif progress.epochs:
                self.fractions[progress.node] = progress.epoch / progress.epochs
            latest: dict[str, Any] = {"node": progress.node}
            if progress.epochs:
                latest.update(epoch=progress.epoch, epochs=progress.epochs)
                loss = _first_metric(metrics, "loss")
                accuracy = _first_metric(metrics, "acc")
                if loss is not None:
                    latest["loss"] = loss
                if accuracy is not None:
                    latest["accuracy"] = accuracy
                self.latest = latest
            elif not self.latest or self.latest.get("node") == progress.node:
                self.latest = latest
            self.changed = True

    def snapshot(self) -> dict[str, Any] | None:
        with self.lock:
            if not self.changed:
                return None
            self.changed = False
            done = sum(1 for value in self.fractions.values() if value >= 1.0)
            percent = 100.0 * sum(self.fractions.values()) / max(self.nodes, 1)
            return {
                **self.latest,
                "nodes_done": done,
                "nodes": self.nodes,
                "percent": round(min(percent, 99.0), 1),
            }


def _first_metric(metrics: dict[str, float], part: str) -> float | None:
    for key, value in metrics.items():
        if part in key and not key.startswith("val_"):
            return round(float(value), 4)
    return None


def _execute(job: TrainingJob) -> None:
    assistant = job.assistant
    base_id = active_model_id(assistant=assistant) if job.kind == ModelKind.FINETUNE else None
    outcome: dict[str, Any] = {}
    tracker = _Tracker(nodes=1)
    try:
        data = training_data_to_train(assistant=assistant)
        tracker.nodes = len(build_graph(data.config).nodes)
        finetune_base: Path | None = None
        if job.kind == ModelKind.FINETUNE:
            if base_id is None:
                raise ArchiveError("there is no model to fine-tune: train from scratch first")
            finetune_base = assistant_model_path(assistant=assistant, model_id=base_id)

        def work() -> None:
            try:
                outcome["result"] = train(
                    data,
                    out_dir=assistant_models_dir(assistant=assistant),
                    cache=training_cache(),
                    finetune_base=finetune_base,
                    epoch_fraction=job.epoch_fraction if finetune_base else 1.0,
                    progress=tracker,
                    checker=check_finetune,
                )
            except BaseException as error:
                outcome["error"] = error

        thread = threading.Thread(target=work, name=f"parley-job-{job.pk}", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(PROGRESS_INTERVAL_S)
            _beat(job, tracker)
        if "error" in outcome:
            raise outcome["error"]
        _succeed(job, outcome["result"], tracker)
    except JobCancelled:
        _finish(
            job,
            JobState.CANCELLED,
            tracker,
            human="Cancelled: the previous model is still active.",
        )
    except FinetuneRefused as refused:
        verdict = refused.verdict
        details = verdict.as_dict() if hasattr(verdict, "as_dict") else {}
        _finish(
            job,
            JobState.FAILED,
            tracker,
            error=str(refused),
            human=f"{verdict.summary} Train from scratch instead.",
            details=details,
        )
    except INPUT_ERRORS as error:
        _finish(job, JobState.FAILED, tracker, error=_trace(error), human=f"{error}")
    except Exception as error:
        logger.exception("training job %s failed", job.pk)
        _finish(
            job,
            JobState.FAILED,
            tracker,
            error=_trace(error),
            human=f"Training failed ({type(error).__name__}: {error}); the previous model "
            "is still active.",
        )


def _trace(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))[-MAX_LOG_CHARS:]


def _beat(job: TrainingJob, tracker: _Tracker) -> None:
    """Write the heartbeat and any new progress; pass on a cancel request."""
    snapshot = tracker.snapshot()
    now = timezone.now()
    # updated_at too: the progress consumer reads the jobs changed since its last read
    fields: dict[str, Any] = {"heartbeat_at": now, "updated_at": now}
    if snapshot is not None:
        fields["progress"] = snapshot
        fields["log"] = tracker.log.getvalue()[-MAX_LOG_CHARS:]
    TrainingJob.objects.filter(pk=job.pk).update(**fields)
    if TrainingJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
        tracker.cancelled.set()
    if snapshot is not None:
        job.progress = snapshot
        live.job_changed(job)


def _succeed(job: TrainingJob, result: TrainResult, tracker: _Tracker) -> None:
    assistant = job.assistant
    version = model_version_record(
        assistant=assistant, path=result.model_path, metadata=result.metadata, user=job.started_by
    )
    activate, comparison = _gate(job, version)
    if activate:
        model_version_activate(version=version)
    job.model_version = version
    job.activated = activate
    _finish(
        job,
        JobState.SUCCEEDED,
        tracker,
        details={"comparison": comparison} if comparison else {},
        percent=100.0,
    )
    models_prune(assistant=assistant)


def _gate(job: TrainingJob, version: ModelVersion) -> tuple[bool, dict[str, Any]]:
    """Activate the new model? Always, unless the gate is on and a metric got worse."""
    from training.evaluation import metrics_comparison, model_version_evaluate

    previous_id = active_model_id(assistant=job.assistant)
    previous = (
        ModelVersion.objects.filter(assistant=job.assistant, model_id=previous_id).first()
        if previous_id and previous_id != version.model_id
        else None
    )
    model_version_evaluate(version=version)
    comparison = metrics_comparison(new=version, old=previous) if previous else {}
    gate = training_settings_get(assistant=job.assistant).activate_only_if_not_worse
    worse = [name for name, change in comparison.items() if change["worse"]]
    return (not (gate and worse)), comparison


def _finish(
    job: TrainingJob,
    state: JobState,
    tracker: _Tracker,
    *,
    error: str = "",
    human: str = "",
    details: dict[str, Any] | None = None,
    percent: float | None = None,
) -> None:
    snapshot = tracker.snapshot()
    if snapshot is not None:
        job.progress = snapshot
    if percent is not None:
        job.progress = {**job.progress, "percent": percent}
    job.state = state
    job.finished_at = timezone.now()
    job.error = error
    job.human_readable_error = human
    job.log = tracker.log.getvalue()[-MAX_LOG_CHARS:]
    if details is not None:
        job.details = details
    job.save(
        update_fields=[
            "state",
            "finished_at",
            "error",
            "human_readable_error",
            "log",
            "details",
            "progress",
            "model_version",
            "activated",
            "updated_at",
        ]
    )
    live.job_changed(job)


# ---------------------------------------------------------------------------------- schedule


def assistant_data_changed(*, assistant: Assistant) -> bool:
    """Has the training data changed since the active model was trained (or is there none)?"""
    model_id = active_model_id(assistant=assistant)
    version = (
        ModelVersion.objects.filter(assistant=assistant, model_id=model_id).first()
        if model_id
        else None
    )
    if version is None or not version.data_fingerprint:
        return True
    current = data_fingerprint(training_data_to_train(assistant=assistant))
    return current != version.data_fingerprint


def training_schedule_run(*, now: datetime) -> list[TrainingJob]:
    """Start the full trainings the assistants' schedules ask for at ``now`` (Celery beat
    calls this every night): nightly ones every day, weekly ones on Sundays; only when the data
    changed since the active model, and never beside a queued or running job."""
    due = [TrainingSchedule.NIGHTLY] + ([TrainingSchedule.WEEKLY] if now.weekday() == 6 else [])
    started: list[TrainingJob] = []
    for found in TrainingSettings.objects.filter(schedule__in=due).select_related("assistant"):
        assistant = found.assistant
        if TrainingJob.objects.filter(assistant=assistant, state__in=ACTIVE_JOB_STATES).exists():
            continue
        if not assistant_data_changed(assistant=assistant):
            continue
        started.append(training_job_start(assistant=assistant, kind=ModelKind.FULL))
    return started
