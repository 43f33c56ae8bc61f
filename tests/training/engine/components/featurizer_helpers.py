"""Tiny training data and train/persist/load round trips for the featurizer tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from training.engine.component import Component, TrainContext, TrainInputs
from training.engine.components.tokenizers import WhitespaceTokenizer
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    EntitySpan,
    NluData,
    NluExample,
    TrainingData,
)
from training.engine.messages import FeatureBatch, Message, SparseFeatures

C = TypeVar("C", bound=Component)


def nlu_data(
    examples: list[str | NluExample],
    *,
    regexes: tuple[tuple[str, tuple[str, ...]], ...] = (),
    lookups: tuple[tuple[str, tuple[str, ...]], ...] = (),
    synonyms: tuple[tuple[str, str], ...] = (),
    language: str = "en",
) -> TrainingData:
    built = tuple(
        example if isinstance(example, NluExample) else NluExample(example, "greet")
        for example in examples
    )
    return TrainingData(
        config=EngineConfig(language=language),
        domain=DomainSpec(),
        nlu=NluData(examples=built, regexes=regexes, lookups=lookups, synonyms=synonyms),
    )


def example(text: str, intent: str, *entities: tuple[str, str, str]) -> NluExample:
    """An example with entities given as (written text, entity type, value)."""
    spans = []
    for written, entity, value in entities:
        start = text.index(written)
        spans.append(EntitySpan(start, start + len(written), entity, value))
    return NluExample(text, intent, tuple(spans))


def tokenized(data: TrainingData) -> TrainInputs:
    tokens = WhitespaceTokenizer({}).train(TrainInputs(data), TrainContext("0_WhitespaceTokenizer"))
    return TrainInputs(data, tokens)


def train(
    cls: type[C],
    config: dict[str, Any],
    data: TrainingData,
    *,
    node: str = "1_Featurizer",
    finetune_from: Path | None = None,
) -> tuple[C, Any]:
    component = cls(config)
    output = component.train(tokenized(data), TrainContext(node, finetune_from=finetune_from))
    return component, output


def persisted(component: C, config: dict[str, Any], directory: Path) -> C:
    directory.mkdir(parents=True, exist_ok=True)
    component.persist(directory)
    return type(component).load(config, directory)


def message(text: str) -> Message:
    msg = Message(text)
    WhitespaceTokenizer({}).process(msg)
    return msg


def dense_sequence(features: SparseFeatures, tokens: int) -> np.ndarray[Any, Any]:
    matrix = np.zeros((tokens, features.dim), dtype=np.float32)
    np.add.at(matrix, (features.seq_rows, features.seq_cols), features.seq_vals)
    return matrix


def dense_sentence(features: SparseFeatures) -> np.ndarray[Any, Any]:
    vector = np.zeros(features.dim, dtype=np.float32)
    np.add.at(vector, features.sent_cols, features.sent_vals)
    return vector


def same_features(left: SparseFeatures, right: SparseFeatures) -> bool:
    return left.dim == right.dim and all(
        np.array_equal(getattr(left, name), getattr(right, name))
        for name in ("seq_rows", "seq_cols", "seq_vals", "sent_cols", "sent_vals")
    )


def same_batches(left: FeatureBatch, right: FeatureBatch) -> bool:
    return (
        left.source == right.source
        and left.dim == right.dim
        and len(left.items) == len(right.items)
        and all(same_features(a, b) for a, b in zip(left.items, right.items, strict=True))
    )


def banking77_data() -> TrainingData:
    path = SHARED_DATA / "nlu" / "banking77" / "train.jsonl"
    if not path.is_file():
        pytest.skip("../shared/data/nlu/banking77 is not present")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return nlu_data([NluExample(row["text"], row["intent"]) for row in rows])
