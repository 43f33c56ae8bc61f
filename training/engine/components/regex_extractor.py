"""RegexEntityExtractor: entities found by the regexes and lookup tables named after an entity.

Only patterns whose name is an entity type annotated in the training examples are used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from training.engine.component import (
    Component,
    ComponentKind,
    TrainContext,
    TrainInputs,
    register,
)
from training.engine.components._patterns import (
    NamedPattern,
    compile_pattern,
    match_spans,
    named_patterns,
)
from training.engine.components._state import read_json, write_json
from training.engine.messages import Message

PATTERNS_FILE = "patterns.json"

R = TypeVar("R", bound="RegexEntityExtractor")


@register
class RegexEntityExtractor(Component):
    name: ClassVar[str] = "RegexEntityExtractor"
    kind: ClassVar[ComponentKind] = "extractor"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.patterns: list[NamedPattern] = []
        self._compiled: list[tuple[str, re.Pattern[str]]] = []

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {
            "case_sensitive": False,
            "use_lookup_tables": True,
            "use_regexes": True,
            "use_word_boundaries": True,
        }

    def train(self, inputs: TrainInputs, context: TrainContext) -> None:
        nlu = inputs.data.nlu
        entity_types = frozenset(
            entity.entity for example in nlu.examples for entity in example.entities
        )
        self.patterns = named_patterns(
            nlu,
            use_regexes=self.config["use_regexes"],
            use_lookup_tables=self.config["use_lookup_tables"],
            word_boundaries=self.config["use_word_boundaries"],
            names=entity_types,
        )
        self._compile()

    def _compile(self) -> None:
        case_sensitive = bool(self.config["case_sensitive"])
        self._compiled = [
            (pattern.name, compile_pattern(pattern, case_sensitive)) for pattern in self.patterns
        ]

    def process(self, message: Message) -> None:
        found: set[tuple[int, int, str]] = set()
        for entity_type, compiled in self._compiled:
            for start, end in match_spans(compiled, message.text):
                if (start, end, entity_type) in found:
                    continue
                found.add((start, end, entity_type))
                message.entities.append(
                    {
                        "entity": entity_type,
                        "start": start,
                        "end": end,
                        "value": message.text[start:end],
                        "extractor": self.name,
                    }
                )

    def persist(self, directory: Path) -> None:
        write_json(
            directory / PATTERNS_FILE,
            [
                {"kind": pattern.kind, "name": pattern.name, "pattern": pattern.pattern}
                for pattern in self.patterns
            ],
        )

    @classmethod
    def load(cls: type[R], config: dict[str, Any], directory: Path) -> R:
        extractor = cls(config)
        extractor.patterns = [NamedPattern(**item) for item in read_json(directory / PATTERNS_FILE)]
        extractor._compile()
        return extractor
