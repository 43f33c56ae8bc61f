"""Shared by the training-job tests: a data folder, an imported tiny assistant, eager Celery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotation import models as m
from annotation.services.project_import import assistant_import_from_path
from project.celery import app as celery_app
from tests.training.tiny_project import write_tiny_project


@pytest.fixture
def eager_celery() -> Iterator[None]:
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def tiny(db: Any, data_dir: Path, tmp_path: Path) -> m.Assistant:
    project = write_tiny_project(tmp_path / "project")
    return assistant_import_from_path(name="tiny", path=project)
