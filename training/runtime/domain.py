"""The domain a model was trained with (``metadata["domain"]``), as the running assistant
uses it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

REQUESTED_SLOT = "requested_slot"


@dataclass(frozen=True)
class RuntimeDomain:
    intents: tuple[dict[str, Any], ...] = ()
    entities: tuple[dict[str, Any], ...] = ()
    slots: tuple[dict[str, Any], ...] = ()
    actions: tuple[str, ...] = ()
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)
    session_expiration_time: float = 60.0
    carry_over_slots_to_new_session: bool = True

    @classmethod
    def from_metadata(cls, data: Mapping[str, Any] | None) -> RuntimeDomain:
        """From ``asdict(DomainSpec)`` as stored in a model archive's metadata."""
        if not data:
            return cls()
        responses: dict[str, list[dict[str, Any]]] = {}
        raw = data.get("responses") or ()
        items = raw.items() if isinstance(raw, Mapping) else raw
        for name, variations in items:
            responses[str(name)] = [dict(v) for v in variations or ()]
        return cls(
            intents=tuple(dict(i) for i in data.get("intents") or ()),
            entities=tuple(dict(e) for e in data.get("entities") or ()),
            slots=tuple(dict(s) for s in data.get("slots") or ()),
            actions=tuple(str(a) for a in data.get("actions") or ()),
            responses=responses,
            forms={str(f["name"]): dict(f) for f in data.get("forms") or ()},
            session_expiration_time=float(data.get("session_expiration_time", 60.0) or 0.0),
            carry_over_slots_to_new_session=bool(data.get("carry_over_slots_to_new_session", True)),
        )

    def slot_defaults(self) -> dict[str, Any]:
        defaults = {str(s["name"]): s.get("initial_value") for s in self.slots}
        if self.forms:
            defaults.setdefault(REQUESTED_SLOT, None)
        return defaults

    def slot(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.slots if s.get("name") == name), None)

    @cached_property
    def rasa_json(self) -> str:
        """``as_rasa_dict`` as JSON, serialized once: every custom action's request carries the
        domain, and serializing it cost more than the rest of the call."""
        return json.dumps(self.as_rasa_dict(), default=str)

    def as_rasa_dict(self) -> dict[str, Any]:
        """The domain in the shape of Rasa's ``GET /domain`` (and the action server payload)."""
        intents: list[Any] = []
        for intent in self.intents:
            options: dict[str, Any] = {}
            if intent.get("use_entities") is not None:
                options["use_entities"] = list(intent["use_entities"])
            if intent.get("ignore_entities") is not None:
                options["ignore_entities"] = list(intent["ignore_entities"])
            if intent.get("is_retrieval"):
                options["is_retrieval_intent"] = True
            intents.append({intent["name"]: options} if options else intent["name"])
        entities: list[Any] = []
        for entity in self.entities:
            extra = {k: list(entity[k]) for k in ("roles", "groups") if entity.get(k)}
            entities.append({entity["name"]: extra} if extra else entity["name"])
        slots: dict[str, Any] = {}
        for slot in self.slots:
            body: dict[str, Any] = {
                "type": slot.get("type"),
                "influence_conversation": slot.get("influence_conversation", True),
                "initial_value": slot.get("initial_value"),
                "mappings": [dict(m) for m in slot.get("mappings") or ()],
            }
            if slot.get("values"):
                body["values"] = list(slot["values"])
            for key in ("min_value", "max_value"):
                if slot.get(key) is not None:
                    body[key] = slot[key]
            slots[str(slot["name"])] = body
        return {
            "version": "3.1",
            "config": {"store_entities_as_slots": True},
            "session_config": {
                "session_expiration_time": self.session_expiration_time,
                "carry_over_slots_to_new_session": self.carry_over_slots_to_new_session,
            },
            "intents": intents,
            "entities": entities,
            "slots": slots,
            "responses": {name: [dict(v) for v in vs] for name, vs in self.responses.items()},
            "actions": list(self.actions),
            "forms": {
                name: {
                    "required_slots": list(form.get("required_slots") or ()),
                    **(
                        {"ignored_intents": list(form["ignored_intents"])}
                        if form.get("ignored_intents")
                        else {}
                    ),
                }
                for name, form in self.forms.items()
            },
        }
