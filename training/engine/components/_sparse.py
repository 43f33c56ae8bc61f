"""Building ``SparseFeatures`` from Python lists, and the base class of token featurizers."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from training.engine.component import Component, ComponentKind, TrainContext, TrainInputs
from training.engine.components._state import read_json, write_json
from training.engine.messages import FeatureBatch, Message, SparseFeatures, Token

NODE_FILE = "featurizer_node.json"

F = TypeVar("F", bound="TokenFeaturizer")


def sparse_features(
    dim: int,
    seq_rows: Sequence[int],
    seq_cols: Sequence[int],
    seq_vals: Sequence[float],
    sent_cols: Sequence[int],
    sent_vals: Sequence[float],
) -> SparseFeatures:
    return SparseFeatures(
        dim=dim,
        seq_rows=np.asarray(seq_rows, dtype=np.int32),
        seq_cols=np.asarray(seq_cols, dtype=np.int32),
        seq_vals=np.asarray(seq_vals, dtype=np.float32),
        sent_cols=np.asarray(sent_cols, dtype=np.int32),
        sent_vals=np.asarray(sent_vals, dtype=np.float32),
    )


class TokenFeaturizer(Component):
    """A featurizer node: learns from the tokenizer's output, returns a ``FeatureBatch``.

    At inference it stores its features under the node name it was trained as (the
    ``FeatureBatch.source`` the classifier learned from), which it persists with its state.
    """

    kind: ClassVar[ComponentKind] = "featurizer"
    needs_tokens: ClassVar[bool] = True

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.node_name = ""

    @property
    @abstractmethod
    def dim(self) -> int:
        """The number of feature columns (fixed after training; grows only by fine-tuning)."""

    @abstractmethod
    def fit(self, inputs: TrainInputs, context: TrainContext) -> None:
        """Learn the feature space (vocabulary, patterns) from the training data."""

    @abstractmethod
    def featurize(self, text: str, tokens: Sequence[Token]) -> SparseFeatures:
        """The features of one message."""

    def train(self, inputs: TrainInputs, context: TrainContext) -> FeatureBatch:
        if inputs.tokens is None:
            raise ValueError(f"{self.name} needs a tokenizer before it in the pipeline")
        self.node_name = context.node
        self.fit(inputs, context)
        examples = inputs.data.nlu.examples
        items = tuple(
            self.featurize(example.text, tokens)
            for example, tokens in zip(examples, inputs.tokens, strict=True)
        )
        return FeatureBatch(source=context.node, dim=self.dim, items=items)

    def process(self, message: Message) -> None:
        message.features[self.node_name] = self.featurize(message.text, message.tokens)

    def persist(self, directory: Path) -> None:
        write_json(directory / NODE_FILE, {"node": self.node_name})
        self.persist_state(directory)

    @classmethod
    def load(cls: type[F], config: dict[str, Any], directory: Path) -> F:
        featurizer = cls(config)
        featurizer.node_name = str(read_json(directory / NODE_FILE)["node"])
        featurizer.load_state(directory)
        return featurizer

    def persist_state(self, directory: Path) -> None:
        """Write what ``fit`` learned."""

    def load_state(self, directory: Path) -> None:
        """Read back what ``persist_state`` wrote."""
