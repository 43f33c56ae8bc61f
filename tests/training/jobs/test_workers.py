"""Two real Celery worker processes on PostgreSQL + Redis (``make test-pg``): two assistants'
jobs train at the same time, while a second job of one assistant waits for its first.

Skipped on SQLite: the in-memory test database cannot be shared with other processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from annotation.services.project_import import assistant_import_from_path
from tests.training.tiny_project import add_intent, write_tiny_project
from training.jobs import training_job_start
from training.models import JobState, ModelKind, TrainingJob

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (
            os.environ.get("DATABASE_URL", "").startswith("postgres")
            and os.environ.get("REDIS_URL")
        ),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL): make test-pg",
    ),
]

REPO = Path(__file__).resolve().parents[3]
WAIT_S = 180


def _database_url() -> str:
    """The test database, which pytest-django named after the configured one."""
    params = connection.settings_dict
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = params["HOST"] or "127.0.0.1"
    port = params["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


@pytest.fixture
def workers(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = tmp_path / "cache"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "DATABASE_URL": _database_url(),
        "PARLEY_DATA_DIR": str(tmp_path / "data"),
        "PARLEY_CACHE_DIR": str(tmp_path / "cache"),
    }
    name = f"jobs-test-{os.getpid()}"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project",
                "worker",
                "--pool",
                "solo",
                "--hostname",
                f"w{n}-{name}@%h",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO,
            env=env,
            stdout=(tmp_path / f"worker{n}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for n in (1, 2)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_finished(ids: list[int]) -> list[TrainingJob]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        jobs = list(TrainingJob.objects.filter(pk__in=ids).order_by("pk"))
        if all(job.state not in (JobState.QUEUED, JobState.RUNNING) for job in jobs):
            return jobs
        time.sleep(0.5)
    raise AssertionError(f"jobs not finished in {WAIT_S} s: {[(j.pk, j.state) for j in jobs]}")


def _overlap(a: TrainingJob, b: TrainingJob) -> bool:
    assert a.started_at and a.finished_at and b.started_at and b.finished_at
    return a.started_at < b.finished_at and b.started_at < a.finished_at


def test_given_two_workers_when_two_assistants_train_then_their_jobs_run_together(
    workers: None, tmp_path: Path
) -> None:
    first = assistant_import_from_path(name="one", path=write_tiny_project(tmp_path / "p1"))
    other = write_tiny_project(tmp_path / "p2")
    add_intent(other)  # other data: nothing comes from the first one's training cache
    second = assistant_import_from_path(name="two", path=other)

    a1 = training_job_start(assistant=first, kind=ModelKind.FULL)
    b1 = training_job_start(assistant=second, kind=ModelKind.FULL)
    a2 = training_job_start(assistant=first, kind=ModelKind.FULL)

    jobs = {job.pk: job for job in _wait_finished([a1.pk, b1.pk, a2.pk])}

    assert [jobs[j.pk].state for j in (a1, b1, a2)] == [JobState.SUCCEEDED] * 3, [
        jobs[j.pk].error for j in (a1, b1, a2)
    ]
    assert not _overlap(jobs[a1.pk], jobs[a2.pk])  # one job per assistant at a time
    assert _overlap(jobs[a1.pk], jobs[b1.pk]) or _overlap(jobs[a2.pk], jobs[b1.pk])
    assert django_settings.CELERY_BROKER_URL.startswith("redis")
