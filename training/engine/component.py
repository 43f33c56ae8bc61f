"""The component contract, the registry of Rasa names, and what a training node receives.

A component is configured by ``__init__(config)`` (its defaults from ``get_default_config``
merged with the user's), learns in ``train`` from its node's inputs, writes its learned state
only through ``persist(directory)`` and reads it back in ``load``; ``process`` fills a
``Message`` at inference. Training is seeded and deterministic.

Node inputs (``TrainInputs``) are immutable values produced by other nodes, so independent
nodes (e.g. two featurizers) can train in parallel:

* ``data``: the ``TrainingData`` (NLU examples, regexes, lookups, synonyms, domain, stories);
* ``tokens``: the tokenizer node's output, one token list per NLU example, in example order;
* ``features``: the featurizer nodes' outputs (``FeatureBatch`` each), in pipeline order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from training.engine.data import TrainingData
from training.engine.data_hashes import dialogue_data_fingerprint, nlu_data_fingerprint
from training.engine.messages import FeatureBatch, Message, Token

ComponentKind = Literal[
    "tokenizer", "featurizer", "classifier", "extractor", "processor", "selector", "policy"
]


@dataclass(frozen=True)
class Progress:
    """A progress report from a training node (an epoch of an ML component, say)."""

    node: str
    epoch: int = 0
    epochs: int = 0
    metrics: dict[str, float] = field(default_factory=dict)  # loss, accuracy, ...


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class TrainContext:
    node: str  # this node's name in the graph
    seed: int = 42
    # fine-tuning: the same node's stored state in the base model, and the epoch fraction
    finetune_from: Path | None = None
    epoch_fraction: float = 1.0
    report: ProgressCallback = field(default=lambda progress: None)


@dataclass(frozen=True)
class TrainInputs:
    data: TrainingData
    tokens: tuple[tuple[Token, ...], ...] | None = None
    features: tuple[FeatureBatch, ...] = ()


C = TypeVar("C", bound="Component")


class Component(ABC):
    name: ClassVar[str]  # the registry name, as written in config.yml
    version: ClassVar[int] = 1  # bump when stored state or behaviour changes
    kind: ClassVar[ComponentKind]
    # graph inputs this component's node needs besides ``data``
    needs_tokens: ClassVar[bool] = False
    needs_features: ClassVar[bool] = False

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def data_fingerprint(cls, data: TrainingData) -> str:
        """A hash of what this component learns from in ``data`` (part of its node's cache key).

        NLU components see ``data.nlu`` and the language, policies the domain and the stories.
        Override to widen it (and use nothing of ``data`` beyond what the hash covers).
        """
        if cls.kind == "policy":
            return dialogue_data_fingerprint(data)
        return nlu_data_fingerprint(data)

    @abstractmethod
    def train(self, inputs: TrainInputs, context: TrainContext) -> Any:
        """Learn from the inputs; return this node's output for the nodes that need it
        (a tokenizer: token lists; a featurizer: a FeatureBatch; others: None or metrics)."""

    def persist(self, directory: Path) -> None:  # noqa: B027 - stateless by default
        """Write the learned state into ``directory`` (it exists and is empty)."""

    @classmethod
    def load(cls: type[C], config: dict[str, Any], directory: Path) -> C:
        return cls(config)

    def process(self, message: Message) -> None:  # noqa: B027 - policies don't process
        """Fill in ``message`` at inference time."""


class UnknownComponentError(ValueError):
    pass


_REGISTRY: dict[str, type[Component]] = {}


def register(cls: type[C]) -> type[C]:
    """Class decorator: make a component available under its ``name`` in config.yml."""
    _REGISTRY[cls.name] = cls
    return cls


def component_class(name: str) -> type[Component]:
    _import_builtin_components()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownComponentError(
            f"unknown component {name!r}; Parley supports: {known}"
        ) from None


def registered_names() -> list[str]:
    _import_builtin_components()
    return sorted(_REGISTRY)


def _import_builtin_components() -> None:
    # imported for their @register side effect; late, so that components can import this module
    from training.engine import components  # noqa: F401
