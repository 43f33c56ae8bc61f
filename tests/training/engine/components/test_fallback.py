from __future__ import annotations

from typing import Any

import pytest

from training.engine.component import TrainContext, TrainInputs, component_class
from training.engine.components.fallback import FallbackClassifier
from training.engine.data import DomainSpec, EngineConfig, NluData, TrainingData
from training.engine.messages import Message


def classified(*ranking: tuple[str, float]) -> Message:
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message("hi", intent=dict(intents[0]), intent_ranking=intents)


def fallback(**config: Any) -> FallbackClassifier:
    classifier = FallbackClassifier(config)
    classifier.train(
        TrainInputs(TrainingData(EngineConfig(), DomainSpec(), NluData())), TrainContext("5")
    )
    return classifier


def test_given_a_confident_clear_intent_when_processed_then_unchanged() -> None:
    msg = classified(("greet", 0.9), ("bye", 0.05))
    fallback().process(msg)
    assert msg.intent == {"name": "greet", "confidence": 0.9}
    assert [item["name"] for item in msg.intent_ranking] == ["greet", "bye"]


def test_given_low_confidence_when_processed_then_nlu_fallback_with_threshold() -> None:
    msg = classified(("greet", 0.25), ("bye", 0.05))
    fallback().process(msg)
    assert msg.intent == {"name": "nlu_fallback", "confidence": 0.3}
    assert msg.intent_ranking[0] == {"name": "nlu_fallback", "confidence": 0.3}
    assert [item["name"] for item in msg.intent_ranking] == ["nlu_fallback", "greet", "bye"]


@pytest.mark.parametrize(("second", "falls_back"), [(0.45, True), (0.35, False)])
def test_given_two_close_intents_when_processed_then_ambiguity_decides(
    second: float, falls_back: bool
) -> None:
    msg = classified(("greet", 0.5), ("bye", second))
    fallback().process(msg)
    assert (msg.intent == {"name": "nlu_fallback", "confidence": 0.3}) is falls_back


def test_given_custom_thresholds_when_processed_then_they_are_used() -> None:
    msg = classified(("greet", 0.6), ("bye", 0.1))
    fallback(threshold=0.7, ambiguity_threshold=0.0).process(msg)
    assert msg.intent == {"name": "nlu_fallback", "confidence": 0.7}


def test_given_no_intent_when_processed_then_nothing_happens() -> None:
    msg = Message("hi")
    fallback().process(msg)
    assert msg.intent is None and msg.intent_ranking == []


def test_given_the_rasa_names_when_looked_up_then_all_featurizer_helpers_are_registered() -> None:
    for name in (
        "WhitespaceTokenizer",
        "RegexFeaturizer",
        "LexicalSyntacticFeaturizer",
        "CountVectorsFeaturizer",
        "EntitySynonymMapper",
        "RegexEntityExtractor",
        "FallbackClassifier",
    ):
        assert component_class(name).name == name
