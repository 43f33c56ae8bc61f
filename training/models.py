"""Training jobs, model versions and per-assistant training settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from annotation.models import Assistant, TimeStampedModel

# ----------------------------------------------------------------- training jobs & registry


class ModelKind(models.TextChoices):
    FULL = "full", "Full training"
    FINETUNE = "finetune", "Fine-tune"
    # learned on the fly in interactive learning (training.interactive), never by a job
    INTERACTIVE = "interactive", "Interactive"


class JobKind(models.TextChoices):
    FULL = "full", "Full training"
    FINETUNE = "finetune", "Fine-tune"


JOB_KINDS: tuple[str, ...] = tuple(JobKind.values)


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_JOB_STATES = (JobState.QUEUED, JobState.RUNNING)


def _empty_progress() -> dict[str, Any]:
    return {"percent": 0.0}


class TrainingSchedule(models.TextChoices):
    OFF = "off", "Only when asked"
    NIGHTLY = "nightly", "Every night, when the data changed"
    WEEKLY = "weekly", "Every week (Sunday night), when the data changed"


class TrainingSettings(TimeStampedModel):
    """How an assistant trains from the UI (created on first use with the defaults)."""

    assistant = models.OneToOneField(
        Assistant, on_delete=models.CASCADE, related_name="training_settings"
    )
    # fine-tuning trains ceil(epochs x fraction) epochs
    epoch_fraction = models.FloatField(default=0.2)
    # past this many fine-tunes since the last full training, the UI recommends a full one
    finetune_limit = models.PositiveIntegerField(default=5)
    # keep at most this many models (0: keep all); the active and tagged ones are never pruned
    keep_models = models.PositiveIntegerField(default=0)
    # a newly trained model becomes active only when none of its metrics got worse
    activate_only_if_not_worse = models.BooleanField(default=False)
    # a full training by Celery beat (``training.tasks.scheduled_trainings``)
    schedule = models.CharField(
        max_length=16, choices=TrainingSchedule.choices, default=TrainingSchedule.OFF
    )
    # this share of the NLU examples never trains; each new model is measured on it
    # (``training.holdout``; 0: every example trains and the figures are on training examples)
    nlu_holdout_percent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(epoch_fraction__gt=0) & models.Q(epoch_fraction__lte=1),
                name="training_settings_epoch_fraction_range",
            ),
            models.CheckConstraint(
                condition=models.Q(nlu_holdout_percent__lte=50),
                name="training_settings_holdout_at_most_half",
            ),
        ]


class ModelVersion(TimeStampedModel):
    """One model archive of an assistant (in ``training.services.assistant_models_dir``)."""

    assistant = models.ForeignKey(
        Assistant, on_delete=models.CASCADE, related_name="model_versions"
    )
    model_id = models.CharField(max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # the engine's parent id, kept when the parent row is gone
    parent_model_id = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=16, choices=ModelKind.choices, default=ModelKind.FULL)
    data_fingerprint = models.CharField(max_length=128, blank=True, default="")
    config_fingerprint = models.CharField(max_length=128, blank=True, default="")
    metrics = models.JSONField(default=dict, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="model_versions",
    )
    tags = models.JSONField(default=list, blank=True)
    archive_name = models.CharField(max_length=255)
    fine_tune_count = models.PositiveIntegerField(default=0)
    # where it came from: trained by a job, uploaded, or found on disk (CLI training)
    origin = models.CharField(max_length=16, default="job")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assistant", "model_id"], name="model_version_unique_per_assistant"
            )
        ]
        indexes = [models.Index(fields=["assistant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.assistant_id}/{self.model_id}"


class TrainingJob(TimeStampedModel):
    """A training run of an assistant, from queued to an outcome; ``progress`` is live."""

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="training_jobs")
    kind = models.CharField(max_length=16, choices=JobKind.choices, default=JobKind.FULL)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    # {node, component, epoch, epochs, loss, accuracy, percent, nodes_done, nodes}
    progress = models.JSONField(default=_empty_progress, blank=True)
    epoch_fraction = models.FloatField(default=1.0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_jobs",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    celery_task_id = models.CharField(max_length=255, blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    log = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    human_readable_error = models.TextField(blank=True, default="")
    # a refused fine-tune: the checker's verdict (differences, allowed changes, summary)
    details = models.JSONField(default=dict, blank=True)
    model_version = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    activated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["assistant", "state", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(epoch_fraction__gt=0), name="training_job_epoch_fraction"
            )
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.kind}, {self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES
