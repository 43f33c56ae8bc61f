"""Whether an active loop (a form) can use the user's turn, or the turn is a digression.

As in Rasa, a form uses a turn when a slot mapping applies to it: one of the requested slot's
mappings (the requested slot: the ``requested_slot`` slot, else the first required slot not yet
filled), or a ``from_entity`` mapping of another required slot whose entity the user gave.
An intent the form ignores is never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from training.engine.data import DomainSpec
from training.engine.dialogue.states import DialogueState, slot_spec


@dataclass(frozen=True)
class LoopSpec:
    name: str
    required_slots: tuple[str, ...] = ()
    ignored_intents: tuple[str, ...] = ()
    mappings: tuple[tuple[str, dict[str, Any]], ...] = ()  # (slot, Rasa 3 mapping dict)

    def accepts(self, state: DialogueState) -> bool:
        if state.intent in self.ignored_intents:
            return False
        if not self.mappings:
            return True
        requested = state.requested_slot or next(
            (name for name in self.required_slots if name not in state.filled_slots), None
        )
        for slot, mapping in self.mappings:
            asked = slot == requested
            if not _condition_allows(mapping, self.name, requested):
                continue
            if not _intent_allows(mapping, state.intent):
                continue
            kind = mapping.get("type")
            if kind == "from_entity" and str(mapping.get("entity")) in state.entities:
                return True
            if asked and kind in ("from_text", "custom"):
                return True
            if asked and kind == "from_intent":
                return True  # _intent_allows checked the mapping's intents
        return False

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "required_slots": list(self.required_slots),
            "ignored_intents": list(self.ignored_intents),
            "mappings": [[slot, mapping] for slot, mapping in self.mappings],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LoopSpec:
        return cls(
            raw["name"],
            tuple(raw["required_slots"]),
            tuple(raw["ignored_intents"]),
            tuple((str(slot), dict(mapping)) for slot, mapping in raw["mappings"]),
        )


def loop_specs(domain: DomainSpec) -> dict[str, LoopSpec]:
    specs: dict[str, LoopSpec] = {}
    for form in domain.forms:
        mappings: list[tuple[str, dict[str, Any]]] = []
        for name in form.required_slots:
            spec = slot_spec(domain, name)
            mappings.extend((name, dict(m)) for m in (spec.mappings if spec else ()))
        specs[form.name] = LoopSpec(
            form.name, form.required_slots, form.ignored_intents, tuple(mappings)
        )
    return specs


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _intent_allows(mapping: dict[str, Any], intent: str | None) -> bool:
    wanted = _listed(mapping.get("intent"))
    if wanted and intent not in wanted:
        return False
    return intent not in _listed(mapping.get("not_intent"))


def _condition_allows(mapping: dict[str, Any], loop: str, requested: str | None) -> bool:
    conditions = mapping.get("conditions") or []
    if not conditions:
        return True
    for condition in conditions:
        if condition.get("active_loop") not in (None, loop):
            continue
        wanted = condition.get("requested_slot")
        if wanted is None or wanted == requested:
            return True
    return False
