"""RegexFeaturizer: one column per regex pattern or lookup table.

Sequence features: 1.0 in a pattern's column for every token a match of it overlaps; sentence
features: 1.0 for every pattern that matches anywhere. Fine-tuning keeps the base model's
columns in their order and appends new patterns after them; a pattern removed from the data
keeps its column and never matches again, so the dimension only grows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from training.engine.component import TrainContext, TrainInputs, register
from training.engine.components._patterns import (
    NamedPattern,
    compile_pattern,
    match_spans,
    named_patterns,
)
from training.engine.components._sparse import TokenFeaturizer, sparse_features
from training.engine.components._state import read_json, write_json
from training.engine.messages import SparseFeatures, Token

PATTERNS_FILE = "patterns.json"


@register
class RegexFeaturizer(TokenFeaturizer):
    name: ClassVar[str] = "RegexFeaturizer"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        # one entry per column; None: a pattern of the base model that is no longer in the data
        self.patterns: list[NamedPattern | None] = []
        self.reserved_dim = 0
        self._compiled: list[tuple[int, re.Pattern[str]]] = []

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            "case_sensitive": True,
            "use_word_boundaries": True,
            "use_lookup_tables": True,
            "use_regexes": True,
            # spare columns kept free for patterns added by later fine-tunings
            "number_additional_patterns": None,
        }

    @property
    def dim(self) -> int:
        # at least one column: a featurizer without patterns still has a (silent) input
        return max(len(self.patterns), self.reserved_dim, 1)

    def fit(self, inputs: TrainInputs, context: TrainContext) -> None:
        current = named_patterns(
            inputs.data.nlu,
            use_regexes=self.config["use_regexes"],
            use_lookup_tables=self.config["use_lookup_tables"],
            word_boundaries=self.config["use_word_boundaries"],
        )
        by_key: dict[str, NamedPattern] = {}
        for pattern in current:
            by_key.setdefault(pattern.key, pattern)
        self.patterns, self.reserved_dim = [], 0
        if context.finetune_from is not None:
            self.load_state(context.finetune_from)
        old_keys = {pattern.key for pattern in self.patterns if pattern is not None}
        self.patterns = [
            by_key.get(pattern.key) if pattern is not None else None for pattern in self.patterns
        ]
        self.patterns.extend(pattern for key, pattern in by_key.items() if key not in old_keys)
        if context.finetune_from is None and self.config["number_additional_patterns"]:
            self.reserved_dim = len(self.patterns) + int(self.config["number_additional_patterns"])
        self._compile()

    def _compile(self) -> None:
        case_sensitive = bool(self.config["case_sensitive"])
        self._compiled = [
            (column, compile_pattern(pattern, case_sensitive))
            for column, pattern in enumerate(self.patterns)
            if pattern is not None
        ]

    def featurize(self, text: str, tokens: Sequence[Token]) -> SparseFeatures:
        rows: list[int] = []
        cols: list[int] = []
        sent_cols: list[int] = []
        for column, compiled in self._compiled:
            spans = match_spans(compiled, text)
            if not spans:
                continue
            sent_cols.append(column)
            for index, token in enumerate(tokens):
                if any(token.start < end and start < token.end for start, end in spans):
                    rows.append(index)
                    cols.append(column)
        order = sorted(range(len(rows)), key=lambda i: (rows[i], cols[i]))
        return sparse_features(
            self.dim,
            [rows[i] for i in order],
            [cols[i] for i in order],
            [1.0] * len(order),
            sent_cols,
            [1.0] * len(sent_cols),
        )

    def persist_state(self, directory: Path) -> None:
        columns = [
            None
            if pattern is None
            else {"kind": pattern.kind, "name": pattern.name, "pattern": pattern.pattern}
            for pattern in self.patterns
        ]
        write_json(
            directory / PATTERNS_FILE, {"columns": columns, "reserved_dim": self.reserved_dim}
        )

    def load_state(self, directory: Path) -> None:
        state = read_json(directory / PATTERNS_FILE)
        self.patterns = [
            None if column is None else NamedPattern(**column) for column in state["columns"]
        ]
        self.reserved_dim = int(state["reserved_dim"])
        self._compile()
