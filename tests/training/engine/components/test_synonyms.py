from __future__ import annotations

from pathlib import Path

from tests.training.engine.components.featurizer_helpers import example, nlu_data, persisted
from training.engine.component import TrainContext, TrainInputs
from training.engine.components.synonyms import EntitySynonymMapper
from training.engine.messages import Message

DATA = nlu_data(
    [
        example("fly to NYC", "travel", ("NYC", "city", "New York")),
        example("fly to Berlin", "travel", ("Berlin", "city", "Berlin")),
    ],
    synonyms=(("Big Apple", "New York"), ("credit", "credit card account")),
)


def trained() -> EntitySynonymMapper:
    mapper = EntitySynonymMapper({})
    mapper.train(TrainInputs(DATA), TrainContext("3_EntitySynonymMapper"))
    return mapper


def entity(value: str) -> dict[str, object]:
    return {"entity": "city", "start": 0, "end": len(value), "value": value, "extractor": "X"}


def test_given_synonyms_and_annotations_when_trained_then_lowercased_variants_map() -> None:
    assert trained().synonyms == {
        "nyc": "New York",
        "big apple": "New York",
        "credit": "credit card account",
    }


def test_given_a_synonym_entity_when_processed_then_value_rewritten_and_mapper_recorded() -> None:
    msg = Message("big apple or berlin", entities=[entity("big APPLE"), entity("Berlin")])
    trained().process(msg)
    assert msg.entities[0]["value"] == "New York"
    assert msg.entities[0]["processors"] == ["EntitySynonymMapper"]
    assert msg.entities[1]["value"] == "Berlin" and "processors" not in msg.entities[1]


def test_given_a_trained_mapper_when_persisted_and_loaded_then_same_mapping(
    tmp_path: Path,
) -> None:
    loaded = persisted(trained(), {}, tmp_path)
    msg = Message("nyc", entities=[entity("nyc")])
    loaded.process(msg)
    assert msg.entities[0]["value"] == "New York"
