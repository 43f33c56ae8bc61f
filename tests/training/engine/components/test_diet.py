from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.training.engine.nn.toy_data import TOY_EXAMPLES, ToyPipeline, example
from training.engine.component import Progress, TrainContext, component_class
from training.engine.components.diet import DIETClassifier, DietConfigError
from training.engine.nn.crf import viterbi_decode

FAST = {
    "epochs": 40,
    "batch_size": 8,
    "learning_rate": 0.01,
    "transformer_size": 32,
    "number_of_attention_heads": 2,
    "embedding_dimension": 16,
    "drop_rate": 0.0,
    "random_seed": 7,
}


def _trained(
    config: dict[str, Any] | None = None,
    pipeline: ToyPipeline | None = None,
    examples: tuple[Any, ...] = TOY_EXAMPLES,
    context: TrainContext | None = None,
) -> tuple[DIETClassifier, ToyPipeline]:
    pipeline = pipeline or ToyPipeline()
    classifier = DIETClassifier({**FAST, **(config or {})})
    classifier.train(pipeline.inputs(examples), context or TrainContext("3_DIETClassifier"))
    return classifier, pipeline


def _parse(classifier: DIETClassifier, pipeline: ToyPipeline, text: str) -> dict[str, Any]:
    message = pipeline.message(text)
    classifier.process(message)
    return message.as_parse_result()


@pytest.fixture(scope="module")
def trained() -> tuple[DIETClassifier, ToyPipeline]:
    return _trained()


def test_given_the_registry_when_asking_for_diet_then_the_classifier_is_found() -> None:
    assert component_class("DIETClassifier") is DIETClassifier


def test_given_toy_data_when_training_then_every_training_example_is_recognized(
    trained: tuple[DIETClassifier, ToyPipeline],
) -> None:
    classifier, pipeline = trained

    for ex in TOY_EXAMPLES:
        result = _parse(classifier, pipeline, ex.text)
        assert result["intent"]["name"] == ex.intent
        found = {(e["start"], e["end"], e["entity"], e.get("role")) for e in result["entities"]}
        assert found == {(s.start, s.end, s.entity, s.role) for s in ex.entities}


def test_given_a_parse_when_reading_it_then_it_has_rasa_shape(
    trained: tuple[DIETClassifier, ToyPipeline],
) -> None:
    classifier, pipeline = trained

    result = _parse(classifier, pipeline, "fly to berlin")

    assert result["intent_ranking"][0]["name"] == "book"
    assert math.isclose(sum(r["confidence"] for r in result["intent_ranking"]), 1.0, rel_tol=1e-5)
    (entity,) = result["entities"]
    assert entity["value"] == "berlin"
    assert entity["extractor"] == "DIETClassifier"
    assert 0.0 < entity["confidence_entity"] <= 1.0


def test_given_a_persisted_model_when_loading_then_predictions_are_identical(
    trained: tuple[DIETClassifier, ToyPipeline], tmp_path: Path
) -> None:
    classifier, pipeline = trained
    classifier.persist(tmp_path)

    loaded = DIETClassifier.load(classifier.config, tmp_path)

    for text in ("hello there", "from madrid to oslo", "unknown words here"):
        assert _parse(loaded, pipeline, text) == _parse(classifier, pipeline, text)


def test_given_the_same_seed_when_training_twice_then_predictions_are_identical() -> None:
    config = {"epochs": 3, "drop_rate": 0.2}
    first, pipeline = _trained(config)
    second, _ = _trained(config)

    for text in ("hi friend", "book from london"):
        a, b = _parse(first, pipeline, text), _parse(second, pipeline, text)
        assert a == b


def test_given_retrieval_intents_when_training_then_the_base_intent_is_predicted() -> None:
    examples = (
        example("what is your name", "faq/ask_name"),
        example("how old are you", "faq/ask_age"),
        example("hello there", "greet"),
        example("hi", "greet"),
    )

    classifier, pipeline = _trained({"epochs": 30}, examples=examples)

    assert classifier.labels.intents == ("faq", "greet")
    assert _parse(classifier, pipeline, "what is your name")["intent"]["name"] == "faq"


def test_given_an_epoch_fraction_when_fine_tuning_then_ceil_of_epochs_are_trained(
    trained: tuple[DIETClassifier, ToyPipeline], tmp_path: Path
) -> None:
    base, pipeline = trained
    base.persist(tmp_path)
    reports: list[Progress] = []
    context = TrainContext(
        "3_DIETClassifier", finetune_from=tmp_path, epoch_fraction=0.11, report=reports.append
    )
    grown = (
        *TOY_EXAMPLES,
        example("hey berlin flights to vienna", "book", ("vienna", "city", "to")),
    )

    tuned, _ = _trained(
        {"learning_rate": 0.001}, pipeline=pipeline, examples=grown, context=context
    )

    assert [r.epoch for r in reports] == list(range(1, math.ceil(40 * 0.11) + 1))
    assert all(r.epochs == 5 for r in reports) and "loss" in reports[-1].metrics
    assert tuned.model is not None and base.model is not None
    (words, new_dim), _ = tuned.model.spec.sources
    old_dim = dict(base.model.spec.sources)[words]
    assert new_dim > old_dim
    table = tuned.model.weights[f"input.{words}"]
    assert table.shape[0] == new_dim
    for ex in TOY_EXAMPLES:
        assert _parse(tuned, pipeline, ex.text)["intent"]["name"] == ex.intent


def test_given_new_labels_when_fine_tuning_then_a_clear_error_is_raised(
    trained: tuple[DIETClassifier, ToyPipeline], tmp_path: Path
) -> None:
    base, pipeline = trained
    base.persist(tmp_path)
    context = TrainContext("3_DIETClassifier", finetune_from=tmp_path, epoch_fraction=0.1)

    with pytest.raises(ValueError, match="labels changed"):
        _trained(
            pipeline=pipeline, examples=(*TOY_EXAMPLES, example("yes", "affirm")), context=context
        )


def test_given_an_unknown_config_key_when_configuring_then_the_error_lists_accepted_keys() -> None:
    with pytest.raises(DietConfigError, match=r"unknown config key.*epoch.*accepted keys:.*epochs"):
        DIETClassifier({"epoch": 3})


def test_given_no_entity_recognition_when_processing_then_no_entities_are_set() -> None:
    classifier, pipeline = _trained({"entity_recognition": False, "epochs": 2})

    assert classifier.labels.tag_schemes == {}
    assert _parse(classifier, pipeline, "fly to berlin")["entities"] == []


def test_given_a_trained_model_when_parsing_then_confidences_are_finite(
    trained: tuple[DIETClassifier, ToyPipeline],
) -> None:
    classifier, pipeline = trained

    result = _parse(classifier, pipeline, "")

    assert np.isfinite(result["intent"]["confidence"])
    assert result["entities"] == []


def test_given_no_entity_span_when_parsing_then_roles_are_not_decoded(
    trained: tuple[DIETClassifier, ToyPipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    from training.engine.components import diet

    classifier, pipeline = trained
    decoded: list[int] = []

    def counting(potentials: Any, transitions: Any) -> tuple[list[int], float]:
        decoded.append(potentials.shape[1])
        return viterbi_decode(potentials, transitions)

    monkeypatch.setattr(diet, "viterbi_decode", counting)
    heads = {head: scheme.size for head, scheme in classifier.labels.tag_schemes.items()}

    greeting = _parse(classifier, pipeline, "hello there")
    entity_decodes = list(decoded)
    booking = _parse(classifier, pipeline, "fly to berlin")

    assert greeting["entities"] == []
    assert entity_decodes == [heads["entity"]]  # the role head was not decoded
    assert sorted(decoded[1:]) == sorted(heads.values())
    assert [(e["value"], e.get("role")) for e in booking["entities"]] == [("berlin", "to")]
