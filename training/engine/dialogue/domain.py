"""The domain back from a model's metadata (``asdict(DomainSpec)``)."""

from __future__ import annotations

from typing import Any

from training.engine.data import DomainSpec, EntitySpec, FormSpec, IntentSpec, SlotSpec


def domain_from_dict(raw: dict[str, Any]) -> DomainSpec:
    return DomainSpec(
        intents=tuple(
            IntentSpec(
                name=item["name"],
                is_retrieval=bool(item.get("is_retrieval", False)),
                use_entities=_optional_tuple(item.get("use_entities")),
                ignore_entities=_optional_tuple(item.get("ignore_entities")),
            )
            for item in raw.get("intents", ())
        ),
        entities=tuple(
            EntitySpec(item["name"], tuple(item.get("roles", ())), tuple(item.get("groups", ())))
            for item in raw.get("entities", ())
        ),
        slots=tuple(
            SlotSpec(
                name=item["name"],
                type=item["type"],
                influence_conversation=bool(item.get("influence_conversation", True)),
                values=tuple(item.get("values", ())),
                min_value=item.get("min_value"),
                max_value=item.get("max_value"),
                initial_value=item.get("initial_value"),
                mappings=tuple(item.get("mappings", ())),
            )
            for item in raw.get("slots", ())
        ),
        actions=tuple(raw.get("actions", ())),
        responses=tuple((name, tuple(variations)) for name, variations in raw.get("responses", ())),
        forms=tuple(
            FormSpec(
                item["name"],
                tuple(item.get("required_slots", ())),
                tuple(item.get("ignored_intents", ())),
            )
            for item in raw.get("forms", ())
        ),
        session_expiration_time=float(raw.get("session_expiration_time", 60.0)),
        carry_over_slots_to_new_session=bool(raw.get("carry_over_slots_to_new_session", True)),
    )


def _optional_tuple(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
