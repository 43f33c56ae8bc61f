"""``/intent{"entity": "value"}`` messages (button payloads) read as Rasa reads them, before NLU."""

from __future__ import annotations

import pytest

from training.runtime.intent_message import parse_intent_message

INTENTS = ("greet", "inform", "request_restaurant")


def test_given_an_intent_with_entities_when_parsed_then_intent_and_entities_are_exact() -> None:
    text = '/inform{"cuisine": "greek", "number": 4}'

    parsed = parse_intent_message(text, intents=INTENTS)

    assert parsed is not None
    assert parsed["text"] == text
    assert parsed["intent"] == {"name": "inform", "confidence": 1.0}
    assert parsed["intent_ranking"] == [{"name": "inform", "confidence": 1.0}]
    assert [(e["entity"], e["value"]) for e in parsed["entities"]] == [
        ("cuisine", "greek"),
        ("number", 4),
    ]
    assert {(e["start"], e["end"]) for e in parsed["entities"]} == {(7, len(text))}


def test_given_a_confidence_and_a_list_value_when_parsed_then_both_are_kept() -> None:
    parsed = parse_intent_message('/inform@0.4{"city": ["Rome", "Oslo"]}', intents=INTENTS)

    assert parsed is not None
    assert parsed["intent"] == {"name": "inform", "confidence": 0.4}
    assert [e["value"] for e in parsed["entities"]] == ["Rome", "Oslo"]


@pytest.mark.parametrize("text", ["hello", "greet", "/unknown_intent", "/", "/{}"])
def test_given_no_known_intent_when_parsed_then_none_so_nlu_decides(text: str) -> None:
    assert parse_intent_message(text, intents=INTENTS) is None


def test_given_spaces_around_when_parsed_then_they_are_ignored() -> None:
    parsed = parse_intent_message("  /greet \n", intents=INTENTS)

    assert parsed is not None
    assert parsed["intent"]["name"] == "greet"


def test_given_broken_entity_json_when_parsed_then_the_intent_stays_without_entities() -> None:
    parsed = parse_intent_message('/inform{"city": Rome}', intents=INTENTS)

    assert parsed is not None
    assert parsed["intent"]["name"] == "inform"
    assert parsed["entities"] == []
