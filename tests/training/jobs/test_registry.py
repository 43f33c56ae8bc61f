"""The registry over the models folder: ``active.json`` beats "newest", rows follow the
archives (CLI and interactive ones recorded, vanished ones dropped), test stories evaluated."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from annotation import models as m
from annotation.services.project_import import assistant_import_from_path
from tests.training.tiny_project import write_tiny_project
from training.active_pointer import POINTER, active_archive, write_pointer
from training.engine.archive import write_archive
from training.jobs import training_job_start
from training.models import JobState, ModelKind, ModelVersion
from training.registry import model_version_list
from training.services import assistant_models_dir

pytestmark = pytest.mark.django_db

TEST_STORIES = """\
version: "3.1"
stories:
- story: greet then leave
  steps:
  - user: hello
    intent: greet
  - action: utter_greet
  - user: bye
    intent: goodbye
  - action: utter_goodbye
"""


def archive(directory: Path, model_id: str, day: int, kind: str = "full") -> Path:
    created = datetime(2026, 1, day, tzinfo=UTC).isoformat()
    metadata = {"id": model_id, "created": created, "kind": kind}
    return write_archive(out_dir=directory, metadata=metadata, node_dirs={})


def test_given_a_pointer_when_reading_the_active_archive_then_it_beats_the_newest(
    tmp_path: Path,
) -> None:
    older = archive(tmp_path, "aaa1", 1)
    newer = archive(tmp_path, "bbb2", 2)
    assert active_archive(tmp_path) == newer

    write_pointer(tmp_path, archive=older.name, model_id="aaa1")
    assert active_archive(tmp_path) == older

    older.unlink()  # a pointer to a missing archive is ignored
    assert active_archive(tmp_path) == newer
    (tmp_path / POINTER).write_text("{not json")
    assert active_archive(tmp_path) == newer
    assert not list(tmp_path.glob(".*partial"))


def test_given_archives_from_elsewhere_when_listing_then_rows_follow_the_folder(
    db: Any, data_dir: Path
) -> None:
    assistant = m.Assistant.objects.create(name="folder")
    directory = assistant_models_dir(assistant=assistant)
    archive(directory, "aaa1", 1)
    learned = archive(directory, "bbb2", 2, kind="interactive")

    assert [(v.model_id, v.kind, v.origin) for v in model_version_list(assistant=assistant)] == [
        ("bbb2", ModelKind.INTERACTIVE, "disk"),
        ("aaa1", ModelKind.FULL, "disk"),
    ]

    learned.unlink()  # interactive learning discarded it
    assert [v.model_id for v in model_version_list(assistant=assistant)] == ["aaa1"]
    assert ModelVersion.objects.count() == 1


def test_given_test_stories_when_a_job_trains_then_they_are_evaluated(
    data_dir: Path,
    tmp_path: Path,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    project = write_tiny_project(tmp_path / "with-tests")
    (project / "tests").mkdir()
    (project / "tests" / "test_stories.yml").write_text(TEST_STORIES)
    assistant = assistant_import_from_path(name="tested", path=project)

    with django_capture_on_commit_callbacks(execute=True):
        job = training_job_start(assistant=assistant, kind=ModelKind.FULL)
    job.refresh_from_db()

    assert job.state == JobState.SUCCEEDED, job.error
    assert job.model_version is not None
    stories = job.model_version.metrics["stories"]
    assert stories["stories"] == 1
    assert 0.0 <= stories["action_accuracy"] <= 1.0
