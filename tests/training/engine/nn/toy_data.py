"""A tiny NLU data set with a throwaway tokenizer and word/character featurizers, so the DIET
tests need no other component."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from training.engine.component import TrainInputs
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    EntitySpan,
    NluData,
    NluExample,
    TrainingData,
)
from training.engine.messages import FeatureBatch, Message, SparseFeatures, Token

WORD = re.compile(r"\w+")


def tokenize(text: str) -> tuple[Token, ...]:
    return tuple(Token(m.group(), m.start(), m.end()) for m in WORD.finditer(text))


def example(text: str, intent: str, *entities: tuple[str, str, str | None]) -> NluExample:
    spans = []
    for value, entity, role in entities:
        start = text.index(value)
        spans.append(EntitySpan(start, start + len(value), entity, value, role))
    return NluExample(text, intent, tuple(spans))


TOY_EXAMPLES = (
    example("hello there", "greet"),
    example("hi friend", "greet"),
    example("good morning", "greet"),
    example("hey", "greet"),
    example("goodbye now", "bye"),
    example("bye bye", "bye"),
    example("see you later", "bye"),
    example("ciao", "bye"),
    example("fly to berlin", "book", ("berlin", "city", "to")),
    example("a flight to paris please", "book", ("paris", "city", "to")),
    example("book from london", "book", ("london", "city", "from")),
    example("i want to go to rome", "book", ("rome", "city", "to")),
    example("from madrid to oslo", "book", ("madrid", "city", "from"), ("oslo", "city", "to")),
)


class ToyFeaturizer:
    """Word or character-trigram counts over a vocabulary that only grows."""

    def __init__(self, source: str, chars: bool) -> None:
        self.source, self.chars = source, chars
        self.vocab: dict[str, int] = {}

    def _grams(self, token: Token) -> list[str]:
        word = token.text.lower()
        if not self.chars:
            return [word]
        padded = f" {word} "
        return [padded[i : i + 3] for i in range(max(1, len(padded) - 2))]

    def fit(self, token_lists: Sequence[Sequence[Token]]) -> None:
        for tokens in token_lists:
            for token in tokens:
                for gram in self._grams(token):
                    self.vocab.setdefault(gram, len(self.vocab))

    def features(self, tokens: Sequence[Token]) -> SparseFeatures:
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        sentence: Counter[int] = Counter()
        for r, token in enumerate(tokens):
            counts = Counter(self.vocab[g] for g in self._grams(token) if g in self.vocab)
            for col, value in sorted(counts.items()):
                rows.append(r)
                cols.append(col)
                vals.append(value)
                sentence[col] += value
        sent_cols = sorted(sentence)
        return SparseFeatures(
            len(self.vocab),
            np.asarray(rows, np.int32),
            np.asarray(cols, np.int32),
            np.asarray(vals, np.float32),
            np.asarray(sent_cols, np.int32),
            np.asarray([sentence[c] for c in sent_cols], np.float32),
        )


class ToyPipeline:
    def __init__(self) -> None:
        self.featurizers = [ToyFeaturizer("1_Words", False), ToyFeaturizer("2_Chars", True)]

    def inputs(
        self, examples: Sequence[NluExample], domain: DomainSpec | None = None
    ) -> TrainInputs:
        token_lists = tuple(tokenize(e.text) for e in examples)
        batches = []
        for featurizer in self.featurizers:
            featurizer.fit(token_lists)
            items = tuple(featurizer.features(tokens) for tokens in token_lists)
            batches.append(FeatureBatch(featurizer.source, len(featurizer.vocab), items))
        data = TrainingData(EngineConfig(), domain or DomainSpec(), NluData(tuple(examples)))
        return TrainInputs(data, token_lists, tuple(batches))

    def message(self, text: str) -> Message:
        message = Message(text=text, tokens=list(tokenize(text)))
        for featurizer in self.featurizers:
            message.features[featurizer.source] = featurizer.features(message.tokens)
        return message
