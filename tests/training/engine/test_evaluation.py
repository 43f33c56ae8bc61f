from __future__ import annotations

from typing import Any

import pytest

from training.engine.data import EntitySpan, NluExample
from training.engine.evaluation import (
    PredictedEntity,
    Prediction,
    evaluate_nlu,
    evaluate_predictions,
)
from training.engine.messages import Message

EXAMPLES = [
    NluExample("hello", "greet"),
    NluExample("hi", "greet"),
    NluExample("bye", "goodbye"),
    NluExample("fly to new york", "book", (EntitySpan(7, 15, "city", "new york"),)),
    NluExample("what is your name", "faq/ask_name"),
]
PREDICTIONS = [
    Prediction("greet", 0.9),
    Prediction("goodbye", 0.6),  # wrong
    Prediction("goodbye", 0.8),
    Prediction("book", 0.7, (PredictedEntity(11, 15, "city"),)),  # "york" only
    Prediction("faq", 0.9),  # retrieval intents are scored on their base name
]


def test_given_hand_made_predictions_when_evaluated_then_intent_scores_are_exact() -> None:
    report = evaluate_predictions(EXAMPLES, PREDICTIONS)

    intent = report["intent"]
    assert report["examples"] == 5
    assert intent["accuracy"] == pytest.approx(4 / 5)
    assert intent["per_intent"]["greet"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert intent["per_intent"]["goodbye"]["precision"] == 0.5
    assert intent["per_intent"]["goodbye"]["f1"] == pytest.approx(2 / 3)
    # greet 2/3, goodbye 2/3, book 1, faq 1
    assert intent["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1 + 1) / 4)
    assert intent["confusions"] == [{"gold": "greet", "predicted": "goodbye", "count": 1}]
    assert intent["errors"] == [
        {"text": "hi", "gold": "greet", "predicted": "goodbye", "confidence": 0.6}
    ]


def test_given_a_partly_found_span_when_evaluated_then_exact_misses_and_overlap_credits() -> None:
    report = evaluate_predictions(EXAMPLES, PREDICTIONS)

    exact = report["entities"]["exact"]
    overlap = report["entities"]["overlap"]
    assert (exact["precision"], exact["recall"], exact["f1"]) == (0.0, 0.0, 0.0)
    # tokens "new" and "york" are gold city; only "york" was predicted
    assert overlap["per_entity"]["city"]["precision"] == 1.0
    assert overlap["per_entity"]["city"]["recall"] == 0.5
    assert overlap["f1"] == pytest.approx(2 / 3)


def test_given_entities_of_two_types_when_evaluated_then_scores_per_type_and_overall() -> None:
    examples = [
        NluExample(
            "from rome to paris at noon",
            "book",
            (
                EntitySpan(5, 9, "city", "rome"),
                EntitySpan(13, 18, "city", "paris"),
                EntitySpan(22, 26, "time", "noon"),
            ),
        )
    ]
    predictions = [
        Prediction(
            "book",
            1.0,
            (
                PredictedEntity(5, 9, "city"),
                PredictedEntity(13, 18, "time"),
                PredictedEntity(22, 26, "time"),
            ),
        )
    ]

    exact = evaluate_predictions(examples, predictions)["entities"]["exact"]

    assert exact["per_entity"]["city"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert exact["per_entity"]["time"]["precision"] == 0.5
    assert exact["per_entity"]["time"]["recall"] == 1.0
    assert (exact["precision"], exact["recall"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert exact["support"] == 3


def test_given_a_model_when_evaluated_then_it_parses_every_example() -> None:
    class Echo:
        def parse(self, text: str) -> Any:
            message = Message(text, intent={"name": "greet", "confidence": 1.0})
            return message  # an object with as_parse_result() works as well as a dict

    report = evaluate_nlu(Echo(), EXAMPLES[:2])

    assert report["intent"]["accuracy"] == 1.0
    assert report["entities"]["exact"]["f1"] == 0.0


def test_given_mismatched_lengths_when_evaluated_then_value_error() -> None:
    with pytest.raises(ValueError, match="5 examples but 1 predictions"):
        evaluate_predictions(EXAMPLES, PREDICTIONS[:1])
