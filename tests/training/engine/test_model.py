from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path

import pytest

from tests.training.engine import fakes
from tests.training.engine.fakes import fake_registry, make_data  # noqa: F401 - fixture
from training.engine.archive import ArchiveError
from training.engine.model import Model
from training.engine.runner import train

pytestmark = pytest.mark.usefixtures("fake_registry")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    result = train(make_data(), out_dir=tmp_path / "models", cache=None)
    moved = tmp_path / "elsewhere" / result.model_path.name
    moved.parent.mkdir()
    shutil.move(result.model_path, moved)  # nothing of the training run is left beside it
    shutil.rmtree(tmp_path / "models")
    return moved


def test_given_an_archive_when_loaded_then_it_parses_without_the_training_data(
    archive: Path,
) -> None:
    model = Model.load(archive)

    result = model.parse("hello there")

    assert result["text"] == "hello there"
    assert result["intent"] == {"name": "greet", "confidence": 1.0}
    assert result["intent_ranking"][0]["name"] == "greet"
    assert result["entities"] == []
    assert json.dumps(result)
    assert model.id == model.metadata["id"]
    assert [type(c).__name__ for c in model.pipeline][-1] == "FakeFallback"
    assert [type(p).__name__ for p in model.policies] == ["FakePolicy"]
    assert model.policies[0].stories == 1  # type: ignore[attr-defined]


def test_given_a_low_confidence_when_parsed_then_the_fallback_processor_ran(archive: Path) -> None:
    model = Model.load(archive)

    assert model.parse("unknown words")["intent"]["name"] == "nlu_fallback"


def test_given_a_loaded_model_when_closed_then_its_files_go_and_it_still_parses(
    archive: Path,
) -> None:
    model = Model.load(archive)
    directory = model.directory
    assert directory is not None and directory.is_dir()

    model.close()

    assert not directory.exists()
    assert model.parse("hi")["intent"]["name"] == "greet"


def test_given_a_newer_component_version_when_loaded_then_an_archive_error(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fakes.FakeClassifier, "version", 2)

    with pytest.raises(ArchiveError, match="train the model again"):
        Model.load(archive)


def test_given_fake_components_then_the_models_own_parse_overhead_is_tiny(
    archive: Path,
) -> None:
    model = Model.load(archive)
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        model.parse("book a table in Paris")
        timings.append(time.perf_counter() - started)

    assert statistics.median(timings) < 0.002
