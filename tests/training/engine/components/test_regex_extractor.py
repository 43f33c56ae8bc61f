from __future__ import annotations

from pathlib import Path

from tests.training.engine.components.featurizer_helpers import example, nlu_data, persisted
from training.engine.component import TrainContext, TrainInputs
from training.engine.components.regex_extractor import RegexEntityExtractor
from training.engine.data import TrainingData
from training.engine.messages import Message

DATA = nlu_data(
    [
        example("my zip is 10115", "inform", ("10115", "zipcode", "10115")),
        example("I live in Berlin", "inform", ("Berlin", "city", "Berlin")),
    ],
    regexes=(("zipcode", (r"\d{5}",)), ("greet", (r"hello",))),
    lookups=(("city", ("Berlin", "New York")), ("fruit", ("apple",))),
)


def trained(
    config: dict[str, object] | None = None, data: TrainingData = DATA
) -> RegexEntityExtractor:
    extractor = RegexEntityExtractor(config or {})
    extractor.train(TrainInputs(data), TrainContext("4_RegexEntityExtractor"))
    return extractor


def extract(extractor: RegexEntityExtractor, text: str) -> list[dict[str, object]]:
    msg = Message(text)
    extractor.process(msg)
    return msg.entities


def test_given_patterns_named_after_entities_when_trained_then_only_those_are_kept() -> None:
    assert [pattern.name for pattern in trained().patterns] == ["zipcode", "city"]


def test_given_a_message_when_processed_then_matches_become_entities() -> None:
    assert extract(trained(), "hello from new york, 12345, apple") == [
        {
            "entity": "zipcode",
            "start": 21,
            "end": 26,
            "value": "12345",
            "extractor": "RegexEntityExtractor",
        },
        {
            "entity": "city",
            "start": 11,
            "end": 19,
            "value": "new york",
            "extractor": "RegexEntityExtractor",
        },
    ]


def test_given_case_sensitive_when_case_differs_then_no_entity() -> None:
    assert extract(trained({"case_sensitive": True}), "from new york") == []


def test_given_word_boundaries_when_inside_a_word_then_no_entity() -> None:
    assert extract(trained(), "Berliner") == []
    assert [e["value"] for e in extract(trained({"use_word_boundaries": False}), "Berliner")] == [
        "Berlin"
    ]


def test_given_lookups_or_regexes_disabled_when_trained_then_they_are_not_used() -> None:
    assert [p.kind for p in trained({"use_lookup_tables": False}).patterns] == ["regex"]
    assert [p.kind for p in trained({"use_regexes": False}).patterns] == ["lookup"]


def test_given_a_trained_extractor_when_persisted_and_loaded_then_same_entities(
    tmp_path: Path,
) -> None:
    extractor = trained()
    loaded = persisted(extractor, {}, tmp_path)
    text = "Berlin 10115"
    assert extract(loaded, text) == extract(extractor, text)
    assert len(extract(loaded, text)) == 2
