"""LexicalSyntacticFeaturizer: per-token lexical features over a window, hashed.

``features`` is Rasa's nested list: one list of feature names per window position, the middle
list for the token itself, those before it for the preceding tokens and those after for the
following ones. Every (position, feature, value) is hashed into ``feature_space_size`` columns,
so the dimension never changes (fine-tuning can't break it). Sequence features only.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from training.engine.component import TrainContext, TrainInputs, register
from training.engine.components._sparse import TokenFeaturizer, sparse_features
from training.engine.messages import SparseFeatures, Token

DEFAULT_FEATURES = [
    ["low", "title", "upper"],
    ["BOS", "EOS", "low", "upper", "title", "digit"],
    ["low", "title", "upper"],
]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


# features of a token's text alone; BOS and EOS depend on its position and are added apart
TOKEN_FEATURES: dict[str, Callable[[str], object]] = {
    "low": str.islower,
    "upper": str.isupper,
    "title": str.istitle,
    "digit": str.isdigit,
    "alpha": str.isalpha,
    "number": _is_number,
    "punctuation": lambda text: any(not char.isalnum() for char in text),
    "length": lambda text: min(len(text), 10),
    "prefix5": lambda text: text[:5],
    "prefix2": lambda text: text[:2],
    "suffix5": lambda text: text[-5:],
    "suffix3": lambda text: text[-3:],
    "suffix2": lambda text: text[-2:],
    "suffix1": lambda text: text[-1:],
}
POSITION_FEATURES = ("BOS", "EOS")
SUPPORTED_FEATURES = (*POSITION_FEATURES, *TOKEN_FEATURES)


def stable_hash(key: str, size: int) -> int:
    # not hash(): Python salts it per process, and the columns must survive a restart
    return zlib.crc32(key.encode("utf-8")) % size


@register
class LexicalSyntacticFeaturizer(TokenFeaturizer):
    name: ClassVar[str] = "LexicalSyntacticFeaturizer"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        window = self.config["features"]
        if not window or len(window) % 2 == 0:
            raise ValueError(
                "LexicalSyntacticFeaturizer: `features` needs an odd number of lists "
                "(before, current token, after)"
            )
        unknown = sorted({name for names in window for name in names} - set(SUPPORTED_FEATURES))
        if unknown:
            raise ValueError(
                f"LexicalSyntacticFeaturizer: unsupported features {unknown}; "
                f"supported: {', '.join(SUPPORTED_FEATURES)}"
            )
        self.size = int(self.config["feature_space_size"])
        if self.size < 1:
            raise ValueError("LexicalSyntacticFeaturizer: feature_space_size must be positive")
        half = len(window) // 2
        # (offset from the current token, feature names) per window position
        self.window: list[tuple[int, list[str]]] = [
            (index - half, list(names)) for index, names in enumerate(window)
        ]
        self._columns: dict[tuple[int, str], list[int]] = {}
        self._position_columns = {
            (offset, name, value): stable_hash(f"{offset}:{name}:{value}", self.size)
            for offset, names in self.window
            for name in POSITION_FEATURES
            if name in names
            for value in (False, True)
        }

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"features": DEFAULT_FEATURES, "feature_space_size": 2**14}

    @property
    def dim(self) -> int:
        return self.size

    def fit(self, inputs: TrainInputs, context: TrainContext) -> None:
        """Nothing to learn: the feature space is fixed by the config."""

    def _text_columns(self, offset: int, names: Sequence[str], text: str) -> list[int]:
        """Columns of a token's text-only features seen from ``offset`` (cached)."""
        cached = self._columns.get((offset, text))
        if cached is None:
            cached = [
                stable_hash(f"{offset}:{name}:{TOKEN_FEATURES[name](text)}", self.size)
                for name in names
                if name in TOKEN_FEATURES
            ]
            if len(self._columns) < 1_000_000:
                self._columns[(offset, text)] = cached
        return cached

    def featurize(self, text: str, tokens: Sequence[Token]) -> SparseFeatures:
        rows: list[int] = []
        cols: list[int] = []
        last = len(tokens) - 1
        for index in range(len(tokens)):
            columns: set[int] = set()
            for offset, names in self.window:
                position = index + offset
                if position < 0 or position > last:
                    continue
                columns.update(self._text_columns(offset, names, tokens[position].text))
                if "BOS" in names:
                    columns.add(self._position_columns[(offset, "BOS", position == 0)])
                if "EOS" in names:
                    columns.add(self._position_columns[(offset, "EOS", position == last)])
            ordered = sorted(columns)
            rows.extend([index] * len(ordered))
            cols.extend(ordered)
        return sparse_features(self.size, rows, cols, [1.0] * len(cols), [], [])

    def persist_state(self, directory: Path) -> None:
        """Stateless apart from the config (and the node name the base class stores)."""
