"""Fine-tuning the `rasa init` project (moodbot, Rasa 3.6), the project on which Rasa's own
`--finetune` crashes: with the real components and the default pipeline, as the project has no
pipeline of its own. Fine-tuned three times in a row, new words arriving each time."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from annotation.rasa_io.reader import read_project
from training.adapters import training_data_from_project
from training.engine.archive import read_metadata
from training.engine.cache import TrainingCache
from training.engine.data import NluExample, TrainingData
from training.engine.model import Model
from training.engine.runner import train

NEW_EXAMPLES = (
    ("greet", "howdy partner"),
    ("mood_great", "absolutely splendid today"),
    ("mood_unhappy", "feeling gloomy and miserable"),
)


def _with_example(data: TrainingData, intent: str, text: str) -> TrainingData:
    nlu = dataclasses.replace(data.nlu, examples=(*data.nlu.examples, NluExample(text, intent)))
    return dataclasses.replace(data, nlu=nlu)


def test_given_the_rasa_init_project_when_fine_tuned_three_times_then_each_builds_on_the_last(
    rasa_projects_dir: Path, tmp_path: Path
) -> None:
    data = training_data_from_project(read_project(rasa_projects_dir / "moodbot-3.6"))
    assert not data.config.pipeline  # the default pipeline, as `rasa init` leaves it
    cache = TrainingCache(tmp_path / "cache")
    models = tmp_path / "models"
    previous = train(data, out_dir=models, cache=cache)
    assert read_metadata(previous.model_path)["kind"] == "full"

    for round_number, (intent, text) in enumerate(NEW_EXAMPLES, start=1):
        data = _with_example(data, intent, text)
        tuned = train(data, out_dir=models, cache=cache, finetune_base=models, epoch_fraction=0.2)

        metadata = read_metadata(tuned.model_path)
        assert metadata["kind"] == "finetune"
        assert metadata["parent_model_id"] == previous.model_id
        assert metadata["fine_tune_count"] == round_number
        assert "finetuned" in {node.status for node in tuned.report}
        model = Model.load(tuned.model_path)
        try:
            assert model.parse(text)["intent"]["name"] == intent
        finally:
            model.close()
        previous = tuned


@pytest.mark.parametrize("new_word", ["zyzzyva"])
def test_given_a_new_word_when_fine_tuned_then_the_vocabulary_grows_and_keeps_old_indices(
    rasa_projects_dir: Path, tmp_path: Path, new_word: str
) -> None:
    data = training_data_from_project(read_project(rasa_projects_dir / "moodbot-3.6"))
    models = tmp_path / "models"
    base = train(data, out_dir=models, cache=None)
    grown = _with_example(data, "greet", f"{new_word} there")

    tuned = train(grown, out_dir=models, cache=None, finetune_base=base.model_path)

    base_model, tuned_model = Model.load(base.model_path), Model.load(tuned.model_path)
    try:
        old = next(c for c in base_model.pipeline if c.name == "CountVectorsFeaturizer")
        new = next(c for c in tuned_model.pipeline if c.name == "CountVectorsFeaturizer")
        old_vocabulary: dict[str, int] = old.vocabulary  # type: ignore[attr-defined]
        new_vocabulary: dict[str, int] = new.vocabulary  # type: ignore[attr-defined]
        assert new_word in new_vocabulary and new_word not in old_vocabulary
        assert all(new_vocabulary[token] == index for token, index in old_vocabulary.items())
        assert new_vocabulary[new_word] >= len(old_vocabulary)
    finally:
        base_model.close()
        tuned_model.close()
