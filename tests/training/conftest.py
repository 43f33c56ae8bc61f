"""Shared by the training tests: a data folder (models, training cache) of the test's own, and
an assistant served by a fake model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotation.models import Assistant
from tests.factories import AssistantFactory
from tests.training.serving_fakes import FakeModel, write_fake_archive
from training import serving
from training.services import assistant_models_dir
from training.serving import serving_cache_clear


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = tmp_path / "cache"
    settings.TRAINING_CACHE_MAX_MB = 100
    serving_cache_clear()
    yield Path(settings.DATA_DIR)
    serving_cache_clear()


@pytest.fixture
def fake_served(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    """The assistant "restaurants", served by the fake model fake1 (serving_fakes.py)."""
    assistant = AssistantFactory(name="restaurants")
    model = FakeModel("fake1")
    monkeypatch.setattr(serving, "load_model", lambda path: model)
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260101-000000-000000", "fake1")
    return assistant
