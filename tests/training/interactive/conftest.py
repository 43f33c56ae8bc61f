"""The tiny assistant of ``helpers`` with a real model: trained once per test session, each
test gets its own copy of the archive in its assistant's models folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotation.models import Assistant
from tests.training.interactive.helpers import (
    tiny_assistant_with_model,
    train_project,
    write_project,
)
from training.interactive.learning import interactive_model_keep
from training.serving import serving_cache_clear


@pytest.fixture(scope="session")
def trained_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = write_project(tmp_path_factory.mktemp("interactive-project"))
    return train_project(project, tmp_path_factory.mktemp("interactive-models"))


@pytest.fixture
def assistant(settings: Any, tmp_path: Path, trained_archive: Path) -> Iterator[Assistant]:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = tmp_path / "cache"
    assistant = tiny_assistant_with_model(tmp_path, trained_archive)
    yield assistant
    interactive_model_keep(assistant=assistant)  # waits for background updates, forgets them
    serving_cache_clear()
