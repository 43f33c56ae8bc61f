from __future__ import annotations

import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.training.engine.fakes import fake_registry, make_data  # noqa: F401 - fixture
from training.engine import ENGINE_VERSION
from training.engine.archive import (
    ArchiveError,
    archive_name,
    labels_of,
    newest_archive,
    read_metadata,
    resolve_archive,
)
from training.engine.cache import TrainingCache
from training.engine.data import fingerprint_of
from training.engine.runner import train

pytestmark = pytest.mark.usefixtures("fake_registry")


def test_given_a_trained_model_then_its_metadata_is_complete(tmp_path: Path) -> None:
    data = make_data()
    result = train(data, out_dir=tmp_path / "models", cache=TrainingCache(tmp_path / "cache"))

    metadata = read_metadata(result.model_path)

    assert metadata["id"] == result.model_id
    assert datetime.fromisoformat(metadata["created"]).tzinfo is not None
    assert metadata["engine_version"] == ENGINE_VERSION
    assert metadata["kind"] == "full"
    assert metadata["parent_model_id"] is None and metadata["fine_tune_count"] == 0
    assert metadata["config"]["pipeline"][3] == {"name": "FakeClassifier", "epochs": 4}
    assert metadata["config"]["policies"] == [{"name": "FakePolicy", "max_history": 5}]
    assert metadata["config_as_written"]["pipeline"][3] == {"name": "FakeClassifier", "epochs": 4}
    assert metadata["labels"] == {
        "intents": ["book", "faq", "goodbye", "greet"],
        "entities": ["city"],
        "roles": ["destination"],
        "groups": ["1"],
        "retrieval_intents": ["faq"],
        "retrieval_responses": ["faq/ask_name"],
    }
    assert metadata["domain"]["actions"] == ["action_book"]
    assert metadata["domain"]["responses"][0][0] == "utter_greet"
    assert metadata["data_fingerprint"] == fingerprint_of(data)
    assert [n["name"] for n in metadata["pipeline"]][:2] == ["0_FakeTokenizer", "1_FakeFeaturizer"]
    assert metadata["pipeline"][3]["needs"] == [
        "0_FakeTokenizer",
        "1_FakeFeaturizer",
        "2_FakeFeaturizer",
    ]
    assert metadata["pipeline"][3]["version"] == 1
    assert metadata["policies"][0]["name"] == "policy_0_FakePolicy"
    assert {n["name"]: n["status"] for n in metadata["nodes"]}["3_FakeClassifier"] == "trained"
    assert all("seconds" in node for node in metadata["nodes"])
    assert metadata["metrics"] == {"3_FakeClassifier": {"accuracy": 1.0, "epochs": 4}}
    assert metadata["warnings"] == []
    assert metadata["seed"] == 42


def test_given_an_archive_then_metadata_comes_first_and_each_node_has_a_folder(
    tmp_path: Path,
) -> None:
    result = train(make_data(), out_dir=tmp_path, cache=None)

    with tarfile.open(result.model_path, "r:gz") as tar:
        names = tar.getnames()

    assert names[0] == "metadata.json"
    assert "nodes/3_FakeClassifier/state.json" in names
    assert "nodes/0_FakeTokenizer" in names  # stateless nodes still get their (empty) folder
    assert "nodes/policy_0_FakePolicy/state.json" in names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_given_archive_names_then_the_newest_sorts_last(tmp_path: Path) -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    names = [
        archive_name("ffff", now),
        archive_name("0000", now + timedelta(microseconds=1)),
        archive_name("aaaa", now + timedelta(days=1)),
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")

    assert sorted(names) == names
    assert newest_archive(tmp_path).name == names[-1]
    assert resolve_archive(tmp_path / names[0]).name == names[0]


def test_given_no_archive_or_a_bad_file_then_archive_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.tar.gz").write_bytes(b"not a tar")

    with pytest.raises(ArchiveError, match="no model archive"):
        resolve_archive(tmp_path / "nope.tar.gz")
    with pytest.raises(ArchiveError, match="no model archive"):
        newest_archive(tmp_path / "empty")
    with pytest.raises(ArchiveError, match="not a readable"):
        read_metadata(tmp_path / "broken.tar.gz")


def test_given_data_then_labels_include_the_domains_and_the_examples() -> None:
    labels = labels_of(make_data(examples=()))

    assert labels["intents"] == ["book", "faq", "goodbye", "greet"]
    assert labels["retrieval_intents"] == ["faq"]
    assert labels["retrieval_responses"] == []
