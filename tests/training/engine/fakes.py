"""Tiny fake components for the graph, cache, runner, archive and model tests.

``fake_registry`` swaps the component registry for one holding only these fakes (the real
components are neither imported nor needed), and clears the log of ``train`` calls.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from training.engine import component as component_module
from training.engine.component import Component, TrainContext, TrainInputs, register
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    EntitySpan,
    EntitySpec,
    IntentSpec,
    NluData,
    NluExample,
    StoryEvent,
    StorySpec,
    TrainingData,
)
from training.engine.messages import FeatureBatch, Message, SparseFeatures, Token


@dataclass(frozen=True)
class TrainCall:
    node: str
    component: str
    config: dict[str, Any]
    finetune_from: Path | None
    epoch_fraction: float
    started: float
    ended: float


TRAIN_LOG: list[TrainCall] = []


def trained_nodes() -> list[str]:
    return sorted(call.node for call in TRAIN_LOG)


class _Logged(Component):
    def train(self, inputs: TrainInputs, context: TrainContext) -> Any:
        started = time.perf_counter()
        output = self.fit(inputs, context)
        TRAIN_LOG.append(
            TrainCall(
                context.node,
                self.name,
                dict(self.config),
                context.finetune_from,
                context.epoch_fraction,
                started,
                time.perf_counter(),
            )
        )
        return output

    def fit(self, inputs: TrainInputs, context: TrainContext) -> Any:
        return None


def _tokenize(text: str) -> tuple[Token, ...]:
    tokens = []
    position = 0
    for word in text.split():
        start = text.index(word, position)
        position = start + len(word)
        tokens.append(Token(word, start, position))
    return tuple(tokens)


class FakeTokenizer(_Logged):
    name = "FakeTokenizer"
    kind = "tokenizer"

    def fit(self, inputs: TrainInputs, context: TrainContext) -> Any:
        return tuple(_tokenize(example.text) for example in inputs.data.nlu.examples)

    def process(self, message: Message) -> None:
        message.tokens = list(_tokenize(message.text))


class FakeFeaturizer(_Logged):
    """A bag of lowercased words; the vocabulary only grows when fine-tuned."""

    name = "FakeFeaturizer"
    kind = "featurizer"
    needs_tokens = True

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.node = ""
        self.vocabulary: list[str] = []

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"sleep": 0.0, "lowercase": True}

    def fit(self, inputs: TrainInputs, context: TrainContext) -> Any:
        time.sleep(float(self.config["sleep"]))
        self.node = context.node
        if context.finetune_from is not None:
            self.vocabulary = json.loads((context.finetune_from / "state.json").read_text())[
                "vocabulary"
            ]
        assert inputs.tokens is not None
        for tokens in inputs.tokens:
            for token in tokens:
                if self._word(token) not in self.vocabulary:
                    self.vocabulary.append(self._word(token))
        return FeatureBatch(
            context.node, len(self.vocabulary), tuple(self._features(t) for t in inputs.tokens)
        )

    def _word(self, token: Token) -> str:
        return token.text.lower() if self.config["lowercase"] else token.text

    def _features(self, tokens: tuple[Token, ...] | list[Token]) -> SparseFeatures:
        index = {word: i for i, word in enumerate(self.vocabulary)}
        cols = sorted({index[self._word(t)] for t in tokens if self._word(t) in index})
        empty = SparseFeatures.empty(len(self.vocabulary))
        return SparseFeatures(
            len(self.vocabulary),
            empty.seq_rows,
            empty.seq_cols,
            empty.seq_vals,
            np.array(cols, dtype=np.int32),
            np.ones(len(cols), dtype=np.float32),
        )

    def persist(self, directory: Path) -> None:
        state = {"node": self.node, "vocabulary": self.vocabulary}
        (directory / "state.json").write_text(json.dumps(state))

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> FakeFeaturizer:
        featurizer = cls(config)
        state = json.loads((directory / "state.json").read_text())
        featurizer.node, featurizer.vocabulary = state["node"], state["vocabulary"]
        return featurizer

    def process(self, message: Message) -> None:
        message.features[self.node] = self._features(message.tokens)


class FakeClassifier(_Logged):
    """Each word votes for the intents it was seen with."""

    name = "FakeClassifier"
    kind = "classifier"
    needs_tokens = True
    needs_features = True

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.votes: dict[str, dict[str, int]] = {}
        self.epochs_trained = 0
        self.fine_tunes = 0

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"epochs": 10}

    def fit(self, inputs: TrainInputs, context: TrainContext) -> Any:
        assert inputs.tokens is not None and inputs.features
        if context.finetune_from is not None:
            base = json.loads((context.finetune_from / "state.json").read_text())
            self.fine_tunes = base["fine_tunes"] + 1
        self.epochs_trained = math.ceil(self.config["epochs"] * context.epoch_fraction)
        votes: dict[str, Counter[str]] = {}
        for example, tokens in zip(inputs.data.nlu.examples, inputs.tokens, strict=True):
            for token in tokens:
                votes.setdefault(token.text.lower(), Counter())[example.intent] += 1
        self.votes = {word: dict(counter) for word, counter in votes.items()}
        return {"accuracy": 1.0, "epochs": self.epochs_trained}

    def persist(self, directory: Path) -> None:
        state = {
            "votes": self.votes,
            "epochs_trained": self.epochs_trained,
            "fine_tunes": self.fine_tunes,
        }
        (directory / "state.json").write_text(json.dumps(state))

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> FakeClassifier:
        classifier = cls(config)
        state = json.loads((directory / "state.json").read_text())
        classifier.votes = state["votes"]
        classifier.epochs_trained = state["epochs_trained"]
        classifier.fine_tunes = state["fine_tunes"]
        return classifier

    def process(self, message: Message) -> None:
        assert message.features, "featurizers run before the classifier"
        total: Counter[str] = Counter()
        for token in message.tokens:
            total.update(self.votes.get(token.text.lower(), {}))
        count = sum(total.values())
        ranking = [
            {"name": name, "confidence": votes / count} for name, votes in total.most_common()
        ]
        message.intent_ranking = ranking
        message.intent = ranking[0] if ranking else {"name": None, "confidence": 0.0}


class FakeFallback(_Logged):
    name = "FakeFallback"
    kind = "processor"

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"threshold": 0.3}

    def process(self, message: Message) -> None:
        if message.intent is None or message.intent["confidence"] < self.config["threshold"]:
            message.intent = {"name": "nlu_fallback", "confidence": self.config["threshold"]}


class FakePolicy(_Logged):
    name = "FakePolicy"
    kind = "policy"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.stories = 0

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"max_history": 5}

    def fit(self, inputs: TrainInputs, context: TrainContext) -> Any:
        self.stories = len(inputs.data.stories)
        return None

    def persist(self, directory: Path) -> None:
        (directory / "state.json").write_text(json.dumps({"stories": self.stories}))

    @classmethod
    def load(cls, config: dict[str, Any], directory: Path) -> FakePolicy:
        policy = cls(config)
        policy.stories = json.loads((directory / "state.json").read_text())["stories"]
        return policy


FAKES: tuple[type[Component], ...] = (
    FakeTokenizer,
    FakeFeaturizer,
    FakeClassifier,
    FakeFallback,
    FakePolicy,
)


def _rasa_named(name: str, base: type[Component], defaults: dict[str, Any]) -> type[Component]:
    def get_default_config(cls: type[Component]) -> dict[str, Any]:
        return {**base.get_default_config(), **defaults}

    attributes = {"name": name, "get_default_config": classmethod(get_default_config)}
    return type(name, (base,), attributes)


# The default pipeline's names (and MemoizationPolicy), played by the fakes
RASA_NAMED_FAKES: tuple[type[Component], ...] = (
    _rasa_named("WhitespaceTokenizer", FakeTokenizer, {}),
    _rasa_named("RegexFeaturizer", FakeFeaturizer, {}),
    _rasa_named("LexicalSyntacticFeaturizer", FakeFeaturizer, {}),
    _rasa_named(
        "CountVectorsFeaturizer",
        FakeFeaturizer,
        {"analyzer": "word", "min_ngram": 1, "max_ngram": 1},
    ),
    _rasa_named("DIETClassifier", FakeClassifier, {"epochs": 300, "constrain_similarities": False}),
    _rasa_named("EntitySynonymMapper", FakeFallback, {}),
    _rasa_named("ResponseSelector", FakeClassifier, {"epochs": 300, "retrieval_intent": None}),
    _rasa_named("FallbackClassifier", FakeFallback, {"ambiguity_threshold": 0.1}),
    _rasa_named("MemoizationPolicy", FakePolicy, {}),
)


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, type[Component]]]:
    registry: dict[str, type[Component]] = {}
    monkeypatch.setattr(component_module, "_REGISTRY", registry)
    monkeypatch.setattr(component_module, "_import_builtin_components", lambda: None)
    for cls in (*FAKES, *RASA_NAMED_FAKES):
        register(cls)
    TRAIN_LOG.clear()
    yield registry
    TRAIN_LOG.clear()


FAKE_PIPELINE: tuple[dict[str, Any], ...] = (
    {"name": "FakeTokenizer"},
    {"name": "FakeFeaturizer"},
    {"name": "FakeFeaturizer", "lowercase": False},
    {"name": "FakeClassifier", "epochs": 4},
    {"name": "FakeFallback"},
)
FAKE_POLICIES: tuple[dict[str, Any], ...] = ({"name": "FakePolicy"},)

EXAMPLES: tuple[NluExample, ...] = (
    NluExample("hello there", "greet"),
    NluExample("hi", "greet"),
    NluExample("good morning", "greet"),
    NluExample("bye now", "goodbye"),
    NluExample("see you later", "goodbye"),
    NluExample(
        "book a table in Paris",
        "book",
        (EntitySpan(16, 21, "city", "Paris", role="destination", group="1"),),
    ),
    NluExample("what is your name", "faq/ask_name"),
)


def make_data(
    *,
    pipeline: tuple[dict[str, Any], ...] = FAKE_PIPELINE,
    policies: tuple[dict[str, Any], ...] = FAKE_POLICIES,
    examples: tuple[NluExample, ...] = EXAMPLES,
    stories: int = 1,
    language: str = "en",
) -> TrainingData:
    domain = DomainSpec(
        intents=(
            IntentSpec("greet"),
            IntentSpec("goodbye"),
            IntentSpec("book"),
            IntentSpec("faq", is_retrieval=True),
        ),
        entities=(EntitySpec("city", roles=("destination",), groups=("1",)),),
        actions=("action_book",),
        responses=(("utter_greet", ({"text": "Hello!"},)),),
    )
    story_list = tuple(
        StorySpec(
            f"story {i}",
            (StoryEvent("intent", name="greet"), StoryEvent("action", name="utter_greet")),
        )
        for i in range(stories)
    )
    return TrainingData(
        config=EngineConfig(language=language, pipeline=pipeline, policies=policies),
        domain=domain,
        nlu=NluData(examples=examples),
        stories=story_list,
    )
