"""Slot mappings (Rasa 3): which slots a user message sets, given the conversation's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.runtime.domain import REQUESTED_SLOT, RuntimeDomain


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def intent_matches(mapping: Mapping[str, Any], intent: str | None) -> bool:
    wanted = _names(mapping.get("intent"))
    if wanted and intent not in wanted:
        return False
    return intent not in _names(mapping.get("not_intent"))


def conditions_hold(
    mapping: Mapping[str, Any], *, active_loop: str | None, slots: Mapping[str, Any]
) -> bool:
    """No conditions, or one of them names the active loop (and the requested slot)."""
    conditions = mapping.get("conditions") or ()
    if not conditions:
        return True
    for condition in conditions:
        if condition.get("active_loop") != active_loop:
            continue
        requested = condition.get("requested_slot")
        if requested is None or slots.get(REQUESTED_SLOT) == requested:
            return True
    return False


def entity_value(
    mapping: Mapping[str, Any], entities: list[Mapping[str, Any]], *, as_list: bool
) -> Any:
    found = [
        e.get("value")
        for e in entities
        if e.get("entity") == mapping.get("entity")
        and (mapping.get("role") is None or e.get("role") == mapping.get("role"))
        and (mapping.get("group") is None or e.get("group") == mapping.get("group"))
    ]
    if not found:
        return None
    return found if as_list else found[0]


def extract_slots(
    *,
    domain: RuntimeDomain,
    parse_data: Mapping[str, Any],
    text: str | None,
    active_loop: str | None,
    slots: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Slot events for a user message: ``from_entity``, ``from_text`` and ``from_intent`` mappings
    whose intent filters and conditions hold; ``from_trigger_intent`` applies when a form starts
    (see ``form_trigger_slots``). A slot already holding the value gets no event."""
    intent = (parse_data.get("intent") or {}).get("name")
    entities = [e for e in parse_data.get("entities") or () if isinstance(e, Mapping)]
    form = domain.forms.get(active_loop or "") or {}
    # an intent the active form ignores fills none of the form's slots
    skipped = (
        set(form.get("required_slots") or ())
        if intent in (form.get("ignored_intents") or ())
        else set()
    )
    events: list[dict[str, Any]] = []
    for slot in domain.slots:
        name = str(slot["name"])
        if name in skipped:
            continue
        for mapping in slot.get("mappings") or ():
            kind = mapping.get("type")
            if kind not in ("from_entity", "from_text", "from_intent"):
                continue
            if not intent_matches(mapping, intent):
                continue
            if not conditions_hold(mapping, active_loop=active_loop, slots=slots):
                continue
            if kind == "from_entity":
                value = entity_value(mapping, entities, as_list=slot.get("type") == "list")
            elif kind == "from_text":
                value = text
            else:
                value = mapping.get("value")
            if value is None:
                continue
            if slots.get(name) != value:
                events.append({"event": "slot", "name": name, "value": value})
            break
    return events


def form_trigger_slots(
    *, domain: RuntimeDomain, form: str, intent: str | None, slots: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``from_trigger_intent`` mappings for the form ``form`` being activated by ``intent``."""
    events: list[dict[str, Any]] = []
    for slot in domain.slots:
        for mapping in slot.get("mappings") or ():
            if mapping.get("type") != "from_trigger_intent":
                continue
            loops = [c.get("active_loop") for c in mapping.get("conditions") or ()]
            if loops and form not in loops:
                continue
            if not intent_matches(mapping, intent):
                continue
            if slots.get(str(slot["name"])) != mapping.get("value"):
                events.append(
                    {"event": "slot", "name": str(slot["name"]), "value": mapping.get("value")}
                )
            break
    return events
