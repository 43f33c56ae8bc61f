"""NLU evaluation: intent and entity scores of a model on labelled examples (NumPy-free Python).

Intents: accuracy, macro F1 (over every label seen as gold or predicted, as scikit-learn
does), per-intent precision/recall/F1/support and the confusion pairs. Retrieval intents are
scored on their base name (``faq/ask_name`` -> ``faq``), as the intent classifier predicts it.

Entities, per type and overall (micro-averaged):

* ``exact``: a predicted entity counts when an annotated one has the same type, start and end;
* ``overlap``: token-level, as Rasa's evaluation (and the DIET paper) scored entities: every
  token gets the type of the entity covering it (or none); a token counts when its gold and
  predicted types agree, so a span that is off by one token still earns most of its credit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from training.engine.data import NluExample

MAX_LISTED_ERRORS = 100
_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class Parser(Protocol):
    def parse(self, text: str) -> Any:
        """A Rasa /model/parse dict (or an object with ``as_parse_result()``)."""


@dataclass(frozen=True)
class PredictedEntity:
    start: int
    end: int
    entity: str


@dataclass(frozen=True)
class Prediction:
    intent: str | None
    confidence: float
    entities: tuple[PredictedEntity, ...] = ()

    @staticmethod
    def from_parse(result: Any) -> Prediction:
        if hasattr(result, "as_parse_result"):
            result = result.as_parse_result()
        intent = result.get("intent") or {}
        return Prediction(
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            entities=tuple(
                PredictedEntity(int(e["start"]), int(e["end"]), str(e["entity"]))
                for e in result.get("entities") or ()
                if e.get("start") is not None and e.get("end") is not None
            ),
        )


def evaluate_nlu(model: Parser, examples: Sequence[NluExample]) -> dict[str, Any]:
    """Parse every example's text with ``model`` and score the predictions."""
    predictions = [Prediction.from_parse(model.parse(example.text)) for example in examples]
    return evaluate_predictions(examples, predictions)


def evaluate_predictions(
    examples: Sequence[NluExample], predictions: Sequence[Prediction]
) -> dict[str, Any]:
    if len(examples) != len(predictions):
        raise ValueError(f"{len(examples)} examples but {len(predictions)} predictions")
    return {
        "examples": len(examples),
        "intent": _intent_report(examples, predictions),
        "entities": {
            "exact": _entity_report(_exact_counts(examples, predictions)),
            "overlap": _entity_report(_token_counts(examples, predictions)),
        },
    }


# ---------------------------------------------------------------------------------- intents


def _base(intent: str | None) -> str:
    return "" if intent is None else intent.split("/", 1)[0]


def _intent_report(
    examples: Sequence[NluExample], predictions: Sequence[Prediction]
) -> dict[str, Any]:
    gold = [_base(example.intent) for example in examples]
    predicted = [_base(prediction.intent) for prediction in predictions]
    pairs = Counter(zip(gold, predicted, strict=True))
    labels = sorted(set(gold) | set(predicted))
    per_intent: dict[str, dict[str, Any]] = {}
    for label in labels:
        hits = pairs[(label, label)]
        support = sum(count for (g, _), count in pairs.items() if g == label)
        claimed = sum(count for (_, p), count in pairs.items() if p == label)
        per_intent[label] = _scores(hits, claimed, support)
    correct = sum(count for (g, p), count in pairs.items() if g == p)
    confusions = sorted(
        ((g, p, count) for (g, p), count in pairs.items() if g != p),
        key=lambda item: (-item[2], item[0], item[1]),
    )
    errors = [
        {
            "text": example.text,
            "gold": example.intent,
            "predicted": prediction.intent,
            "confidence": prediction.confidence,
        }
        for example, prediction, g, p in zip(examples, predictions, gold, predicted, strict=True)
        if g != p
    ]
    total = len(examples)
    return {
        "accuracy": correct / total if total else 0.0,
        "macro_f1": _mean(scores["f1"] for scores in per_intent.values()),
        "per_intent": per_intent,
        "confusions": [{"gold": g, "predicted": p, "count": c} for g, p, c in confusions],
        "errors": errors[:MAX_LISTED_ERRORS],
    }


# --------------------------------------------------------------------------------- entities


@dataclass
class _Counts:
    """Per entity type: true positives, predicted, annotated."""

    hits: Counter[str]
    predicted: Counter[str]
    gold: Counter[str]


def _exact_counts(examples: Sequence[NluExample], predictions: Sequence[Prediction]) -> _Counts:
    counts = _Counts(Counter(), Counter(), Counter())
    for example, prediction in zip(examples, predictions, strict=True):
        gold = Counter((span.start, span.end, span.entity) for span in example.entities)
        found = Counter((e.start, e.end, e.entity) for e in prediction.entities)
        for key, count in gold.items():
            counts.gold[key[2]] += count
        for key, count in found.items():
            counts.predicted[key[2]] += count
            counts.hits[key[2]] += min(count, gold.get(key, 0))
    return counts


def _token_counts(examples: Sequence[NluExample], predictions: Sequence[Prediction]) -> _Counts:
    counts = _Counts(Counter(), Counter(), Counter())
    for example, prediction in zip(examples, predictions, strict=True):
        gold_spans = [(span.start, span.end, span.entity) for span in example.entities]
        found_spans = [(e.start, e.end, e.entity) for e in prediction.entities]
        for match in _TOKEN.finditer(example.text):
            gold = _covering(match.start(), match.end(), gold_spans)
            found = _covering(match.start(), match.end(), found_spans)
            if gold is not None:
                counts.gold[gold] += 1
            if found is not None:
                counts.predicted[found] += 1
                if found == gold:
                    counts.hits[found] += 1
    return counts


def _covering(start: int, end: int, spans: Iterable[tuple[int, int, str]]) -> str | None:
    for span_start, span_end, entity in spans:
        if span_start < end and start < span_end:
            return entity
    return None


def _entity_report(counts: _Counts) -> dict[str, Any]:
    types = sorted(set(counts.gold) | set(counts.predicted))
    per_entity = {
        name: _scores(counts.hits[name], counts.predicted[name], counts.gold[name])
        for name in types
    }
    overall = _scores(
        sum(counts.hits.values()), sum(counts.predicted.values()), sum(counts.gold.values())
    )
    return {
        **overall,
        "macro_f1": _mean(scores["f1"] for scores in per_entity.values()),
        "per_entity": per_entity,
    }


# ----------------------------------------------------------------------------------- helpers


def _scores(hits: int, predicted: int, support: int) -> dict[str, Any]:
    precision = hits / predicted if predicted else 0.0
    recall = hits / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def _mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
