"""Tokens, sparse features and the message a pipeline fills in at inference time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Token:
    text: str  # as it appears in the message (the featurizers lowercase where they want)
    start: int
    end: int


@dataclass(frozen=True)
class SparseFeatures:
    """One featurizer's features for one message, in a feature space of ``dim`` columns.

    Sequence features: one row per token (``seq_rows`` token index, ``seq_cols`` column,
    ``seq_vals`` value). Sentence features: one row for the whole message.
    """

    dim: int
    seq_rows: IntArray
    seq_cols: IntArray
    seq_vals: FloatArray
    sent_cols: IntArray
    sent_vals: FloatArray

    @staticmethod
    def empty(dim: int) -> SparseFeatures:
        no_int = np.zeros(0, dtype=np.int32)
        no_float = np.zeros(0, dtype=np.float32)
        return SparseFeatures(dim, no_int, no_int, no_float, no_int, no_float)


@dataclass(frozen=True)
class FeatureBatch:
    """A featurizer node's output in training: one ``SparseFeatures`` per training example.

    ``source`` is the node name (stable across trainings: it keys the classifier's input layer,
    so that fine-tuning can widen the right weights when ``dim`` grows).
    """

    source: str
    dim: int
    items: tuple[SparseFeatures, ...]


@dataclass
class Message:
    """A user message as the inference pipeline processes it (mutable, one per parse)."""

    text: str
    tokens: list[Token] = field(default_factory=list)
    features: dict[str, SparseFeatures] = field(default_factory=dict)  # by featurizer node
    intent: dict[str, Any] | None = None  # {"name", "confidence"}
    intent_ranking: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)  # Rasa's entity dicts
    response_selector: dict[str, Any] = field(default_factory=dict)

    def as_parse_result(self) -> dict[str, Any]:
        """The JSON of Rasa's ``/model/parse``."""
        result: dict[str, Any] = {
            "text": self.text,
            "intent": self.intent or {"name": None, "confidence": 0.0},
            "entities": self.entities,
            "intent_ranking": self.intent_ranking,
        }
        if self.response_selector:
            result["response_selector"] = self.response_selector
        return result
