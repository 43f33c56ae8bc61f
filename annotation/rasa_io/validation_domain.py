"""Checks on the domain (intents, entities, slots, mappings, forms, responses) and the config."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from annotation.rasa_io.types import (
    SLOT_TYPES,
    FormDef,
    Origin,
    ResponseDef,
    SlotDef,
    SlotMapping,
)
from annotation.rasa_io.validation_context import Context, names, where

MAPPING_TYPES = ("from_entity", "from_text", "from_intent", "from_trigger_intent", "custom")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w-]*)\}")
BUTTON_PAYLOAD = re.compile(r"^/([^{@\s]+)(?:@[0-9.]+)?(\{.*\})?\s*$", re.DOTALL)


def check_domain(ctx: Context) -> None:
    _check_duplicates(ctx)
    _check_intents(ctx)
    for slot in ctx.project.domain.slots:
        _check_slot(ctx, slot)
    for form in ctx.project.domain.forms:
        _check_form(ctx, form)
    for response in ctx.project.domain.responses:
        _check_response(ctx, response)


def check_config(ctx: Context) -> None:
    config = ctx.project.config
    if config is None:
        ctx.warning(
            "config_missing",
            "The project has no config.yml; Rasa would train with its default pipeline and "
            "policies. Add a config.yml with a `language`.",
            Origin("config.yml", 0),
        )
        return
    if not config.language:
        ctx.warning(
            "config_language_missing",
            "config.yml sets no `language`; Rasa falls back to English. "
            "Add `language: <code>` (for example `language: en`).",
            config.origin,
        )


# ------------------------------------------------------------------------------------ names


def _check_duplicates(ctx: Context) -> None:
    domain = ctx.project.domain
    groups: list[tuple[str, list[tuple[str, Origin]]]] = [
        ("intent", [(i.name, i.origin) for i in domain.intents]),
        ("entity", [(e.name, e.origin) for e in domain.entities]),
        ("slot", [(s.name, s.origin) for s in domain.slots]),
        ("response", [(r.name, r.origin) for r in domain.responses]),
        ("action", [(a.name, a.origin) for a in domain.actions]),
        ("form", [(f.name, f.origin) for f in domain.forms]),
    ]
    for kind, items in groups:
        first: dict[str, Origin] = {}
        for name, origin in items:
            if name in first:
                ctx.warning(
                    "duplicate_domain_item",
                    f"The {kind} '{name}' is declared twice (first at {where(first[name])}); "
                    "Rasa keeps only one of them. Remove one declaration.",
                    origin,
                )
            else:
                first[name] = origin


def _check_intents(ctx: Context) -> None:
    entity_names = sorted(ctx.entities)
    for intent in ctx.project.domain.intents:
        for key, listed in (
            ("use_entities", intent.use_entities),
            ("ignore_entities", intent.ignore_entities),
        ):
            for entity in listed or ():
                if entity not in ctx.entities:
                    ctx.error(
                        "intent_entity_not_in_domain",
                        f"The intent '{intent.name}' lists '{entity}' in `{key}`, but the "
                        "domain declares no such entity.",
                        intent.origin,
                        suggestion=ctx.suggest(entity, entity_names, "entity"),
                    )


# ------------------------------------------------------------------------------------ slots


def _check_slot(ctx: Context, slot: SlotDef) -> None:
    if slot.type not in SLOT_TYPES and "." not in slot.type:
        ctx.error(
            "unknown_slot_type",
            f"The slot '{slot.name}' has the unknown type '{slot.type}'; use one of "
            f"{', '.join(SLOT_TYPES)} (or a custom slot class as `module.Class`).",
            slot.origin,
            suggestion=ctx.suggest(slot.type, SLOT_TYPES, "slot_type"),
        )
    if slot.type == "categorical":
        _check_categorical(ctx, slot)
    if slot.type == "float":
        _check_float(ctx, slot)
    for mapping in slot.mappings:
        _check_mapping(ctx, slot, mapping)


def _check_categorical(ctx: Context, slot: SlotDef) -> None:
    if not slot.values:
        ctx.warning(
            "categorical_slot_without_values",
            f"The categorical slot '{slot.name}' lists no `values`; every value it gets will "
            "count as the same '__other__' value. List the values it can take.",
            slot.origin,
        )
        return
    allowed = {str(v).lower() for v in slot.values}
    if slot.initial_value is not None and str(slot.initial_value).lower() not in allowed:
        ctx.error(
            "slot_initial_value_not_allowed",
            f"The initial value '{slot.initial_value}' of the categorical slot '{slot.name}' is "
            f"not one of its values ({', '.join(str(v) for v in slot.values)}).",
            slot.origin,
            suggestion=ctx.suggest(
                str(slot.initial_value), [str(v) for v in slot.values], f"values:{slot.name}"
            ),
        )


def _check_float(ctx: Context, slot: SlotDef) -> None:
    low = 0.0 if slot.min_value is None else slot.min_value
    high = 1.0 if slot.max_value is None else slot.max_value
    if low > high:
        ctx.error(
            "float_slot_min_above_max",
            f"The float slot '{slot.name}' has min_value {low} above max_value {high}; "
            "Rasa refuses such a slot. Swap or fix the bounds.",
            slot.origin,
        )
        return
    value = slot.initial_value
    if isinstance(value, int | float) and not isinstance(value, bool) and not low <= value <= high:
        ctx.warning(
            "slot_initial_value_out_of_range",
            f"The initial value {value} of the float slot '{slot.name}' lies outside "
            f"[{low}, {high}]; Rasa will clip it when featurizing.",
            slot.origin,
        )


def _check_mapping(ctx: Context, slot: SlotDef, mapping: SlotMapping) -> None:
    label = f"A `{mapping.type}` mapping of the slot '{slot.name}'"
    if mapping.type not in MAPPING_TYPES:
        ctx.error(
            "unknown_slot_mapping_type",
            f"{label} has an unknown type; use one of {', '.join(MAPPING_TYPES)}.",
            slot.origin,
            suggestion=ctx.suggest(mapping.type, MAPPING_TYPES, "mapping_type"),
        )
    if mapping.entity is not None:
        _check_mapping_entity(ctx, slot, mapping, label)
    elif mapping.type == "from_entity":
        ctx.error(
            "slot_mapping_without_entity",
            f"{label} names no `entity`; add the entity it reads.",
            slot.origin,
        )
    for key, value in (("intent", mapping.intent), ("not_intent", mapping.not_intent)):
        for intent in names(value):
            if not ctx.has_intent(intent):
                ctx.error(
                    "slot_mapping_intent_not_in_domain",
                    f"{label} refers to the intent '{intent}' in `{key}`, but the domain "
                    "declares no such intent.",
                    slot.origin,
                    suggestion=ctx.suggest(intent, ctx.intent_names(), "intent"),
                )
    if mapping.type == "custom" and mapping.action and not ctx.has_action(mapping.action):
        ctx.error(
            "slot_mapping_action_not_in_domain",
            f"{label} runs the action '{mapping.action}', which the domain does not declare. "
            "Add it under `actions`.",
            slot.origin,
            suggestion=ctx.suggest(mapping.action, ctx.action_names(), "action"),
        )
    for condition in mapping.conditions:
        loop = condition.active_loop
        if loop is not None and not ctx.has_loop(loop):
            ctx.error(
                "slot_mapping_form_not_in_domain",
                f"{label} has the condition `active_loop: {loop}`, but the domain has no "
                "such form.",
                slot.origin,
                suggestion=ctx.suggest(loop, sorted(ctx.forms), "form"),
            )
        requested = condition.requested_slot
        if requested is not None and requested not in ctx.known_slots:
            ctx.error(
                "slot_mapping_slot_not_in_domain",
                f"{label} has the condition `requested_slot: {requested}`, but there is no "
                "such slot.",
                slot.origin,
                suggestion=ctx.suggest(requested, sorted(ctx.known_slots), "slot"),
            )


def _check_mapping_entity(ctx: Context, slot: SlotDef, mapping: SlotMapping, label: str) -> None:
    entity_name = mapping.entity or ""
    entity = ctx.entities.get(entity_name)
    if entity is None:
        ctx.error(
            "slot_mapping_entity_not_in_domain",
            f"{label} reads the entity '{entity_name}', but the domain declares no such entity.",
            slot.origin,
            suggestion=ctx.suggest(entity_name, sorted(ctx.entities), "entity"),
        )
        return
    for kind, value, declared in (
        ("role", mapping.role, entity.roles),
        ("group", mapping.group, entity.groups),
    ):
        if value is not None and value not in declared:
            ctx.error(
                f"slot_mapping_{kind}_not_in_domain",
                f"{label} reads the {kind} '{value}' of the entity '{entity_name}', which is "
                f"not declared under the entity's `{kind}s`.",
                slot.origin,
                suggestion=ctx.suggest(value, declared, f"{kind}:{entity_name}"),
            )


# ------------------------------------------------------------------------------------ forms


def _check_form(ctx: Context, form: FormDef) -> None:
    slot_names = sorted(ctx.slots)
    for slot_name in form.required_slots:
        slot = ctx.slots.get(slot_name)
        if slot is None:
            ctx.error(
                "form_slot_not_in_domain",
                f"The form '{form.name}' requires the slot '{slot_name}', but the domain has no "
                "such slot. Add it under `slots` (with mappings) or fix the name.",
                form.origin,
                suggestion=ctx.suggest(slot_name, slot_names, "slot"),
            )
            continue
        _check_form_slot(ctx, form, slot)
    for intent in form.ignored_intents:
        if not ctx.has_intent(intent):
            ctx.error(
                "form_ignored_intent_not_in_domain",
                f"The form '{form.name}' ignores the intent '{intent}', but the domain declares "
                "no such intent.",
                form.origin,
                suggestion=ctx.suggest(intent, ctx.intent_names(), "intent"),
            )


def _check_form_slot(ctx: Context, form: FormDef, slot: SlotDef) -> None:
    asks = (
        f"utter_ask_{form.name}_{slot.name}",
        f"utter_ask_{slot.name}",
        f"action_ask_{form.name}_{slot.name}",
        f"action_ask_{slot.name}",
    )
    if not any(name in ctx.responses or name in ctx.actions for name in asks):
        ctx.warning(
            "form_slot_without_question",
            f"The form '{form.name}' requires the slot '{slot.name}', but there is no response "
            f"'utter_ask_{slot.name}' (nor 'utter_ask_{form.name}_{slot.name}' or an "
            f"'action_ask_{slot.name}' action) to ask for it.",
            form.origin,
        )
    mappings = slot.mappings
    if mappings and all(
        m.conditions and all(c.active_loop not in (None, form.name) for c in m.conditions)
        for m in mappings
    ):
        ctx.warning(
            "form_slot_not_mapped_in_form",
            f"The form '{form.name}' requires the slot '{slot.name}', but every mapping of that "
            f"slot applies only while another form is active, so '{form.name}' can never fill "
            "it. Add a condition `active_loop: " + form.name + "` to one of its mappings.",
            slot.origin,
        )


# -------------------------------------------------------------------------------- responses


def _check_response(ctx: Context, response: ResponseDef) -> None:
    if not response.variations:
        ctx.warning(
            "response_without_variations",
            f"The response '{response.name}' has no variations, so the bot would say nothing. "
            "Add at least one `- text: ...`.",
            response.origin,
        )
        return
    reported: set[str] = set()
    for variation in response.variations:
        for text in _strings(
            (variation.text, variation.image, variation.buttons, variation.custom)
        ):
            for placeholder in PLACEHOLDER.findall(text):
                if placeholder in ctx.known_slots or placeholder in reported:
                    continue
                reported.add(placeholder)
                ctx.warning(
                    "response_unknown_placeholder",
                    f"The response '{response.name}' uses the placeholder '{{{placeholder}}}', "
                    "but there is no slot of that name; Rasa will leave it as written unless "
                    "a custom action fills it.",
                    response.origin,
                    suggestion=ctx.suggest(placeholder, sorted(ctx.known_slots), "slot"),
                )
        for condition in variation.condition or ():
            _check_response_condition(ctx, response, condition)
        for button in variation.buttons or ():
            if isinstance(button, dict) and isinstance(button.get("payload"), str):
                _check_payload(ctx, response, button["payload"])


def _check_response_condition(ctx: Context, response: ResponseDef, condition: Any) -> None:
    if not isinstance(condition, dict) or condition.get("type", "slot") != "slot":
        return
    name = condition.get("name")
    if isinstance(name, str) and name not in ctx.known_slots:
        ctx.error(
            "response_condition_slot_not_in_domain",
            f"A variation of the response '{response.name}' has a condition on the slot "
            f"'{name}', but the domain has no such slot.",
            response.origin,
            suggestion=ctx.suggest(name, sorted(ctx.known_slots), "slot"),
        )


def _check_payload(ctx: Context, response: ResponseDef, payload: str) -> None:
    match = BUTTON_PAYLOAD.match(payload.strip())
    if match is None:
        return
    intent = match.group(1)
    if not ctx.has_intent(intent):
        ctx.error(
            "button_intent_not_in_domain",
            f"A button of the response '{response.name}' sends the intent '{intent}' "
            f"(payload '{payload}'), but the domain declares no such intent.",
            response.origin,
            suggestion=ctx.suggest(intent, ctx.intent_names(), "intent"),
        )
    if match.group(2):
        try:
            entities = json.loads(match.group(2))
        except ValueError:
            ctx.error(
                "button_payload_invalid",
                f"A button of the response '{response.name}' has the payload '{payload}', whose "
                "entity part is not valid JSON.",
                response.origin,
            )
            return
        if isinstance(entities, dict):
            for entity in entities:
                if entity not in ctx.entities and entity not in ctx.known_slots:
                    ctx.error(
                        "entity_not_in_domain",
                        f"A button of the response '{response.name}' sends the entity "
                        f"'{entity}' (payload '{payload}'), but the domain declares no such "
                        "entity.",
                        response.origin,
                        suggestion=ctx.suggest(entity, sorted(ctx.entities), "entity"),
                    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def button_intents(ctx: Context) -> set[str]:
    """Base intents that response buttons send directly (``/intent`` payloads skip NLU)."""
    found: set[str] = set()
    for response in ctx.project.domain.responses:
        for variation in response.variations:
            for button in variation.buttons or ():
                payload = button.get("payload") if isinstance(button, dict) else None
                if isinstance(payload, str):
                    match = BUTTON_PAYLOAD.match(payload.strip())
                    if match:
                        found.add(match.group(1).split("/", 1)[0])
    return found
