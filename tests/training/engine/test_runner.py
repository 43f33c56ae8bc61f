from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tests.training.engine import fakes
from tests.training.engine.fakes import (  # noqa: F401 - fixture
    FAKE_PIPELINE,
    fake_registry,
    make_data,
    trained_nodes,
)
from training.engine.archive import read_metadata
from training.engine.cache import TrainingCache
from training.engine.component import Progress
from training.engine.data import NluData, NluExample, TrainingData
from training.engine.runner import FinetuneRefused, TrainResult, train

pytestmark = pytest.mark.usefixtures("fake_registry")

ALL_NODES = [
    "0_FakeTokenizer",
    "1_FakeFeaturizer",
    "2_FakeFeaturizer",
    "3_FakeClassifier",
    "4_FakeFallback",
    "policy_0_FakePolicy",
]


@pytest.fixture
def cache(tmp_path: Path) -> TrainingCache:
    return TrainingCache(tmp_path / "cache")


def run(data: TrainingData, tmp_path: Path, cache: TrainingCache, **kwargs: Any) -> TrainResult:
    fakes.TRAIN_LOG.clear()
    return train(data, out_dir=tmp_path / "models", cache=cache, **kwargs)


def statuses(result: TrainResult) -> dict[str, str]:
    return {node.name: node.status for node in result.report}


def with_pipeline_entry(data: TrainingData, index: int, entry: dict[str, Any]) -> TrainingData:
    pipeline = list(data.config.pipeline)
    pipeline[index] = entry
    return replace(data, config=replace(data.config, pipeline=tuple(pipeline)))


def test_given_a_first_training_then_every_node_trains_and_is_reported(
    tmp_path: Path, cache: TrainingCache
) -> None:
    result = run(make_data(), tmp_path, cache)

    assert trained_nodes() == ALL_NODES
    assert statuses(result) == dict.fromkeys(ALL_NODES, "trained")
    assert all(node.seconds >= 0 for node in result.report)
    assert result.model_path.is_file() and result.model_path.parent == tmp_path / "models"
    assert result.metrics == {"3_FakeClassifier": {"accuracy": 1.0, "epochs": 4}}
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [result.model_path.name]


def test_given_nothing_changed_when_retrained_then_no_component_trains(
    tmp_path: Path, cache: TrainingCache
) -> None:
    first = run(make_data(), tmp_path, cache)

    second = run(make_data(), tmp_path, cache)

    assert trained_nodes() == []
    assert statuses(second) == dict.fromkeys(ALL_NODES, "restored")
    assert second.metrics == first.metrics
    assert second.model_id != first.model_id
    assert read_metadata(second.model_path)["nodes"][0]["status"] == "restored"


def test_given_a_changed_hyperparameter_then_that_node_and_its_dependents_retrain(
    tmp_path: Path, cache: TrainingCache
) -> None:
    run(make_data(), tmp_path, cache)

    result = run(
        with_pipeline_entry(make_data(), 1, {"name": "FakeFeaturizer", "sleep": 0.01}),
        tmp_path,
        cache,
    )

    assert trained_nodes() == ["1_FakeFeaturizer", "3_FakeClassifier"]
    assert statuses(result)["2_FakeFeaturizer"] == "restored"
    assert statuses(result)["policy_0_FakePolicy"] == "restored"


def test_given_a_changed_classifier_then_it_trains_on_restored_inputs(
    tmp_path: Path, cache: TrainingCache
) -> None:
    run(make_data(), tmp_path, cache)

    run(
        with_pipeline_entry(make_data(), 3, {"name": "FakeClassifier", "epochs": 9}),
        tmp_path,
        cache,
    )

    assert trained_nodes() == ["3_FakeClassifier"]
    assert fakes.TRAIN_LOG[0].config["epochs"] == 9


def test_given_new_nlu_examples_then_the_policies_are_not_retrained(
    tmp_path: Path, cache: TrainingCache
) -> None:
    data = make_data()
    run(data, tmp_path, cache)
    more = replace(data, nlu=NluData((*data.nlu.examples, NluExample("hey you", "greet"))))

    result = run(more, tmp_path, cache)

    assert statuses(result)["policy_0_FakePolicy"] == "restored"
    assert trained_nodes() == ALL_NODES[:-1]


def test_given_new_stories_then_only_the_policies_retrain(
    tmp_path: Path, cache: TrainingCache
) -> None:
    run(make_data(), tmp_path, cache)

    run(make_data(stories=3), tmp_path, cache)

    assert trained_nodes() == ["policy_0_FakePolicy"]


def test_given_two_slow_independent_featurizers_then_they_train_at_the_same_time(
    tmp_path: Path, cache: TrainingCache
) -> None:
    data = with_pipeline_entry(make_data(), 1, {"name": "FakeFeaturizer", "sleep": 0.2})
    data = with_pipeline_entry(
        data, 2, {"name": "FakeFeaturizer", "sleep": 0.2, "lowercase": False}
    )

    run(data, tmp_path, cache)

    featurizers = [call for call in fakes.TRAIN_LOG if call.component == "FakeFeaturizer"]
    assert len(featurizers) == 2
    first, second = featurizers
    assert max(first.started, second.started) < min(first.ended, second.ended)  # overlapping


def test_given_a_deleted_cache_file_then_that_node_retrains(
    tmp_path: Path, cache: TrainingCache
) -> None:
    first = run(make_data(), tmp_path, cache)
    entry_dirs = {
        entry.node: entry.directory
        for entry in (cache.lookup(key) for key in cache.fingerprints())
        if entry is not None
    }
    (entry_dirs["2_FakeFeaturizer"] / "state" / "state.json").unlink()

    result = run(make_data(), tmp_path, cache)

    assert trained_nodes() == ["2_FakeFeaturizer"]
    assert statuses(result)["3_FakeClassifier"] == "restored"
    assert first.model_id != result.model_id


def test_given_a_truncated_or_garbled_output_needed_by_a_retraining_node_then_it_retrains(
    tmp_path: Path, cache: TrainingCache
) -> None:
    run(make_data(), tmp_path, cache)
    entries = {
        entry.node: entry.directory
        for entry in (cache.lookup(key) for key in cache.fingerprints())
        if entry is not None
    }
    tokens = entries["0_FakeTokenizer"] / "output.pickle"
    tokens.write_bytes(b"\x80" * tokens.stat().st_size)  # same size, unreadable
    features = entries["1_FakeFeaturizer"] / "output.pickle"
    features.write_bytes(features.read_bytes()[:10])  # truncated

    result = run(
        with_pipeline_entry(make_data(), 3, {"name": "FakeClassifier", "epochs": 2}),
        tmp_path,
        cache,
    )

    assert trained_nodes() == ["0_FakeTokenizer", "1_FakeFeaturizer", "3_FakeClassifier"]
    assert statuses(result)["2_FakeFeaturizer"] == "restored"


def test_given_a_progress_callback_then_every_node_reports_done(
    tmp_path: Path, cache: TrainingCache
) -> None:
    reports: list[Progress] = []

    run(make_data(), tmp_path, cache, progress=reports.append)

    assert sorted(p.node for p in reports if p.metrics.get("done")) == ALL_NODES


def test_given_nlu_only_then_the_policies_are_left_out(
    tmp_path: Path, cache: TrainingCache
) -> None:
    result = run(make_data(), tmp_path, cache, nlu_only=True)

    assert [node.name for node in result.report] == ALL_NODES[:-1]
    assert read_metadata(result.model_path)["policies"] == []


def test_given_no_cache_then_training_works_and_trains_everything_each_time(
    tmp_path: Path,
) -> None:
    train(make_data(), out_dir=tmp_path, cache=None)
    fakes.TRAIN_LOG.clear()

    train(make_data(), out_dir=tmp_path, cache=TrainingCache(tmp_path / "off", max_mb=0))

    assert trained_nodes() == ALL_NODES


def test_given_a_failing_component_then_the_error_names_the_node_and_no_archive_is_left(
    tmp_path: Path, cache: TrainingCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(self: object, inputs: object, context: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(fakes.FakeClassifier, "fit", fail)

    with pytest.raises(RuntimeError, match="boom") as error:
        run(make_data(), tmp_path, cache)

    assert "while training node 3_FakeClassifier" in "\n".join(error.value.__notes__)
    assert list((tmp_path / "models").iterdir()) == []


# fine-tuning


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    summary: str = ""
    differences: tuple[dict[str, str], ...] = ()


def test_given_a_base_model_when_fine_tuned_then_nodes_start_from_it_with_the_fraction(
    tmp_path: Path, cache: TrainingCache
) -> None:
    base = run(make_data(), tmp_path, cache)
    checked: list[dict[str, Any]] = []

    def checker(metadata: dict[str, Any], data: TrainingData) -> Verdict:
        checked.append(metadata)
        return Verdict(True, "no differences")

    tuned = run(
        make_data(),
        tmp_path,
        cache,
        finetune_base=base.model_path,
        epoch_fraction=0.5,
        checker=checker,
    )

    assert checked[0]["id"] == base.model_id
    assert trained_nodes() == ALL_NODES  # the base's entries are keyed differently
    assert statuses(tuned) == dict.fromkeys(ALL_NODES, "finetuned")
    classifier = next(call for call in fakes.TRAIN_LOG if call.node == "3_FakeClassifier")
    assert classifier.epoch_fraction == 0.5
    assert classifier.finetune_from is not None
    assert classifier.finetune_from.name == "3_FakeClassifier"
    assert tuned.metrics["3_FakeClassifier"]["epochs"] == 2  # ceil(4 * 0.5)
    metadata = read_metadata(tuned.model_path)
    assert metadata["kind"] == "finetune"
    assert metadata["parent_model_id"] == base.model_id
    assert metadata["fine_tune_count"] == 1


def test_given_a_fine_tuned_model_when_fine_tuned_again_then_the_count_grows(
    tmp_path: Path, cache: TrainingCache
) -> None:
    models = tmp_path / "models"
    run(make_data(), tmp_path, cache)
    counts = []
    for _ in range(3):
        result = run(make_data(), tmp_path, cache, finetune_base=models, epoch_fraction=0.25)
        counts.append(read_metadata(result.model_path)["fine_tune_count"])

    assert counts == [1, 2, 3]


def test_given_a_folder_as_base_then_the_newest_archive_is_used(
    tmp_path: Path, cache: TrainingCache
) -> None:
    run(make_data(), tmp_path, cache)
    time.sleep(0.01)
    newest = run(make_data(stories=2), tmp_path, cache)

    tuned = run(make_data(), tmp_path, cache, finetune_base=tmp_path / "models")

    assert read_metadata(tuned.model_path)["parent_model_id"] == newest.model_id


def test_given_a_refusing_checker_then_nothing_trains_and_fine_tune_refused_is_raised(
    tmp_path: Path, cache: TrainingCache
) -> None:
    base = run(make_data(), tmp_path, cache)
    verdict = Verdict(False, "intent added: hello", ({"kind": "intent", "name": "hello"},))

    with pytest.raises(FinetuneRefused) as refused:
        run(
            make_data(),
            tmp_path,
            cache,
            finetune_base=base.model_path,
            checker=lambda metadata, data: verdict,
        )

    assert refused.value.verdict is verdict
    assert "intent added: hello" in str(refused.value)
    assert trained_nodes() == []
    assert [p.name for p in (tmp_path / "models").iterdir()] == [base.model_path.name]


def test_given_an_epoch_fraction_without_a_base_then_it_is_ignored_with_a_warning(
    tmp_path: Path, cache: TrainingCache
) -> None:
    result = run(make_data(), tmp_path, cache, epoch_fraction=0.5)

    assert fakes.TRAIN_LOG[0].epoch_fraction == 1.0
    assert any("fine-tuning only" in warning for warning in result.warnings)
