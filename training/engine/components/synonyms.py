"""EntitySynonymMapper: maps extracted entity values onto their canonical value.

Synonyms come from the data's synonym lists and from annotated entities whose value differs
from their text (``[NYC](city:New York)``). Keys are lowercased: matching ignores case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from training.engine.component import (
    Component,
    ComponentKind,
    TrainContext,
    TrainInputs,
    register,
)
from training.engine.components._state import read_json, write_json
from training.engine.data import NluData
from training.engine.messages import Message

SYNONYMS_FILE = "synonyms.json"

S = TypeVar("S", bound="EntitySynonymMapper")


def collect_synonyms(nlu: NluData) -> dict[str, str]:
    """Lowercased variant -> canonical value; a later definition overrides an earlier one."""
    synonyms: dict[str, str] = {}
    for example in nlu.examples:
        for entity in example.entities:
            written = example.text[entity.start : entity.end]
            if written and written != entity.value:
                synonyms[written.lower()] = entity.value
    for variant, canonical in nlu.synonyms:
        if variant != canonical:
            synonyms[variant.lower()] = canonical
    return synonyms


@register
class EntitySynonymMapper(Component):
    name: ClassVar[str] = "EntitySynonymMapper"
    kind: ClassVar[ComponentKind] = "processor"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.synonyms: dict[str, str] = {}

    def train(self, inputs: TrainInputs, context: TrainContext) -> None:
        self.synonyms = collect_synonyms(inputs.data.nlu)

    def process(self, message: Message) -> None:
        for entity in message.entities:
            canonical = self.synonyms.get(str(entity.get("value", "")).lower())
            if canonical is not None and canonical != entity.get("value"):
                entity["value"] = canonical
                entity.setdefault("processors", []).append(self.name)

    def persist(self, directory: Path) -> None:
        write_json(directory / SYNONYMS_FILE, self.synonyms)

    @classmethod
    def load(cls: type[S], config: dict[str, Any], directory: Path) -> S:
        mapper = cls(config)
        mapper.synonyms = {str(k): str(v) for k, v in read_json(directory / SYNONYMS_FILE).items()}
        return mapper
