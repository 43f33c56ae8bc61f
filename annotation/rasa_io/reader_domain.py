"""Read domain sections: intents, entities, slots, responses, actions, forms, session config.

Rasa 2 forms (``required_slots: {slot: [mappings]}``) are read into :class:`LegacyForm` so the
reader can move their mappings onto the slots once the whole domain is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotation.rasa_io.reader_common import (
    FileContext,
    item_comments,
    split_comments,
    suggest,
    walk_comments,
)
from annotation.rasa_io.types import (
    SLOT_TYPES,
    ActionDef,
    Comment,
    EntityDef,
    FormDef,
    IntentDef,
    MappingCondition,
    ResponseDef,
    ResponseVariation,
    SessionConfig,
    SlotDef,
    SlotMapping,
)
from annotation.rasa_io.yaml_source import YNode

INTENT_KEYS = ("use_entities", "ignore_entities", "is_retrieval_intent")
ENTITY_KEYS = ("roles", "groups", "influence_conversation")
SLOT_KEYS = (
    "type",
    "influence_conversation",
    "values",
    "min_value",
    "max_value",
    "initial_value",
    "mappings",
)
LEGACY_SLOT_KEYS = (*SLOT_KEYS, "auto_fill")
MAPPING_TYPES = ("from_entity", "from_text", "from_intent", "from_trigger_intent", "custom")
MAPPING_KEYS = (
    "type",
    "entity",
    "intent",
    "not_intent",
    "role",
    "group",
    "value",
    "action",
    "conditions",
)
CONDITION_KEYS = ("active_loop", "requested_slot")
VARIATION_KEYS = ("text", "buttons", "image", "custom", "condition", "channel")
VARIATION_EXTRA_KEYS = ("quick_replies", "attachment", "elements", "metadata", "id")
ACTION_KEYS = ("send_domain",)
FORM_KEYS = ("required_slots", "ignored_intents")
SESSION_KEYS = ("session_expiration_time", "carry_over_slots_to_new_session")
DOMAIN_CONFIG_KEYS = ("store_entities_as_slots",)


@dataclass(frozen=True)
class LegacySlot:
    """What a Rasa 2 slot needs for normalization (``auto_fill`` and whether it had mappings)."""

    name: str
    auto_fill: bool
    has_mappings: bool


@dataclass(frozen=True)
class LegacyForm:
    """A Rasa 2 form's slot mappings, keyed by slot, kept until the slots are known."""

    form: str
    mappings: tuple[tuple[str, tuple[SlotMapping, ...], int], ...]  # slot, mappings, line


def _entry_name(ctx: FileContext, node: YNode, what: str) -> tuple[str | None, YNode | None]:
    """A list entry that is ``name`` or ``{name: {...}}``: its name and settings node."""
    if node.is_scalar:
        return ctx.string(node, f"{what} name"), None
    pairs = ctx.expect_map(node, f"{what} entry", allow_null=False)
    if len(pairs) != 1:
        if pairs:
            ctx.error("wrong_type", f"{what} entry must have exactly one name", node.line)
        return None, None
    key, value = pairs[0]
    name = ctx.string(key, f"{what} name")
    if value.is_scalar and value.value is None:
        return name, None
    return name, value if ctx.expect(value, "map", f"the settings of {what} '{name}'") else None


def read_intents(ctx: FileContext, section: YNode, floor: int) -> list[IntentDef]:
    out: list[IntentDef] = []
    for node in ctx.expect_list(section, "'intents'"):
        comments = tuple(item_comments(ctx, node.line, node, floor))
        name, settings = _entry_name(ctx, node, "an intent")
        if name is None:
            continue
        use = ignore = None
        retrieval = False
        if settings is not None:
            ctx.check_keys(settings, INTENT_KEYS, f"intent '{name}'")
            use = _use_entities(ctx, settings.get("use_entities"))
            ignore_node = settings.get("ignore_entities")
            ignore = ctx.names(ignore_node, "ignore_entities") if ignore_node is not None else None
            retrieval = bool(
                ctx.boolean(settings.get("is_retrieval_intent"), "is_retrieval_intent")
            )
        out.append(IntentDef(name, use, ignore, retrieval, ctx.origin(node.line), comments))
    return out


def _use_entities(ctx: FileContext, node: YNode | None) -> tuple[str, ...] | None:
    if node is None:
        return None
    if node.is_scalar and isinstance(node.value, bool):
        return None if node.value else ()
    return ctx.names(node, "use_entities")


def read_entities(ctx: FileContext, section: YNode, floor: int) -> list[EntityDef]:
    out: list[EntityDef] = []
    for node in ctx.expect_list(section, "'entities'"):
        comments = tuple(item_comments(ctx, node.line, node, floor))
        name, settings = _entry_name(ctx, node, "an entity")
        if name is None:
            continue
        roles: tuple[str, ...] = ()
        groups: tuple[str, ...] = ()
        influence = None
        if settings is not None:
            ctx.check_keys(settings, ENTITY_KEYS, f"entity '{name}'")
            roles = ctx.names(settings.get("roles"), "roles")
            groups = ctx.names(settings.get("groups"), "groups")
            influence = ctx.boolean(
                settings.get("influence_conversation"), "influence_conversation"
            )
        out.append(EntityDef(name, roles, groups, influence, ctx.origin(node.line), comments))
    return out


def read_slots(
    ctx: FileContext, section: YNode, floor: int
) -> tuple[list[SlotDef], list[LegacySlot]]:
    out: list[SlotDef] = []
    legacy: list[LegacySlot] = []
    for key, node in ctx.expect_map(section, "'slots'"):
        comments = tuple(item_comments(ctx, key.line, node, floor))
        name = ctx.string(key, "a slot name")
        if name is None or not ctx.expect(node, "map", f"slot '{name}'"):
            continue
        ctx.check_keys(node, LEGACY_SLOT_KEYS if ctx.is_legacy else SLOT_KEYS, f"slot '{name}'")
        slot = _read_slot(ctx, name, node, key.line, comments)
        if slot is None:
            continue
        out.append(slot)
        if ctx.is_legacy:
            auto_fill = ctx.boolean(node.get("auto_fill"), "auto_fill")
            legacy.append(
                LegacySlot(name, auto_fill is not False, node.get("mappings") is not None)
            )
    return out, legacy


def _read_slot(
    ctx: FileContext, name: str, node: YNode, line: int, comments: tuple[Comment, ...]
) -> SlotDef | None:
    type_node = node.get("type")
    if type_node is None:
        ctx.error("missing_key", f"slot '{name}' has no 'type'", line)
        return None
    slot_type = ctx.string(type_node, f"the type of slot '{name}'")
    if slot_type is None:
        return None
    if slot_type not in SLOT_TYPES and "." not in slot_type:
        guess = suggest(slot_type, SLOT_TYPES)
        ctx.error(
            "slot_type",
            f"slot '{name}' has unknown type '{slot_type}' (known: {', '.join(SLOT_TYPES)})",
            type_node.line,
            suggestion=guess,
        )
    values_node = node.get("values")
    values = None
    if values_node is not None:
        values = tuple(item.to_python() for item in ctx.expect_list(values_node, "values"))
    initial = node.get("initial_value")
    return SlotDef(
        name=name,
        type=slot_type,
        influence_conversation=ctx.boolean(
            node.get("influence_conversation"), "influence_conversation"
        ),
        values=values,
        min_value=ctx.number(node.get("min_value"), "min_value"),
        max_value=ctx.number(node.get("max_value"), "max_value"),
        initial_value=initial.to_python() if initial is not None else None,
        mappings=read_mappings(ctx, node.get("mappings"), f"slot '{name}'"),
        origin=ctx.origin(line),
        comments=comments,
    )


def read_mappings(ctx: FileContext, node: YNode | None, what: str) -> tuple[SlotMapping, ...]:
    if node is None:
        return ()
    out: list[SlotMapping] = []
    for item in ctx.expect_list(node, f"the mappings of {what}"):
        mapping = _read_mapping(ctx, item, what)
        if mapping is not None:
            out.append(mapping)
    return tuple(out)


def _read_mapping(ctx: FileContext, node: YNode, what: str) -> SlotMapping | None:
    if not ctx.expect(node, "map", f"a mapping of {what}"):
        return None
    ctx.check_keys(node, MAPPING_KEYS, f"a slot mapping of {what}")
    type_node = node.get("type")
    if type_node is None:
        ctx.error("missing_key", f"a slot mapping of {what} has no 'type'", node.line)
        return None
    kind = ctx.string(type_node, "the mapping type")
    if kind is None:
        return None
    if kind not in MAPPING_TYPES:
        guess = suggest(kind, MAPPING_TYPES)
        hint = f"; did you mean '{guess}'?" if guess else ""
        ctx.error(
            "mapping_type", f"unknown slot mapping type '{kind}'{hint}", type_node.line, guess
        )
    value_node = node.get("value")
    return SlotMapping(
        type=kind,
        entity=ctx.string(node.get("entity"), "entity"),
        intent=_one_or_many(ctx, node.get("intent"), "intent"),
        not_intent=_one_or_many(ctx, node.get("not_intent"), "not_intent"),
        role=ctx.string(node.get("role"), "role"),
        group=ctx.string(node.get("group"), "group"),
        value=value_node.to_python() if value_node is not None else None,
        has_value=value_node is not None,
        action=ctx.string(node.get("action"), "action"),
        conditions=_conditions(ctx, node.get("conditions")),
    )


def _one_or_many(ctx: FileContext, node: YNode | None, what: str) -> str | tuple[str, ...] | None:
    if node is None or (node.is_scalar and node.value is None):
        return None
    if node.is_seq:
        return ctx.names(node, what)
    return ctx.string(node, what)


def _conditions(ctx: FileContext, node: YNode | None) -> tuple[MappingCondition, ...]:
    if node is None:
        return ()
    out: list[MappingCondition] = []
    for item in ctx.expect_list(node, "conditions"):
        if not ctx.expect(item, "map", "a mapping condition"):
            continue
        ctx.check_keys(item, CONDITION_KEYS, "a mapping condition")
        loop = ctx.string(item.get("active_loop"), "active_loop", allow_none=True)
        requested = ctx.string(item.get("requested_slot"), "requested_slot", allow_none=True)
        out.append(MappingCondition(loop, requested))
    return tuple(out)


def read_responses(ctx: FileContext, section: YNode, floor: int) -> list[ResponseDef]:
    out: list[ResponseDef] = []
    for key, node in ctx.expect_map(section, "'responses'"):
        comments = item_comments(ctx, key.line, node, floor)
        name = ctx.string(key, "a response name")
        if name is None:
            continue
        own, moved = split_comments(comments, None)
        variations: list[ResponseVariation] = []
        for index, item in enumerate(ctx.expect_list(node, f"response '{name}'")):
            variation = _read_variation(ctx, item, name, tuple(moved.get(index, ())))
            if variation is not None:
                variations.append(variation)
        out.append(ResponseDef(name, tuple(variations), ctx.origin(key.line), tuple(own)))
    return out


def _read_variation(
    ctx: FileContext, node: YNode, name: str, comments: tuple[Comment, ...]
) -> ResponseVariation | None:
    if not ctx.expect(node, "map", f"a variation of response '{name}'"):
        return None
    ctx.check_keys(node, (*VARIATION_KEYS, *VARIATION_EXTRA_KEYS), f"response '{name}'")
    values: dict[str, Any] = {str(key.value): value.to_python() for key, value in node.pairs()}
    text = values.get("text")
    if text is not None and not isinstance(text, str):
        text = ctx.string(node.get("text"), "a response text")
    buttons = values.get("buttons")
    condition = values.get("condition")
    for key, value in (("buttons", buttons), ("condition", condition)):
        if value is not None and not isinstance(value, list):
            ctx.error("wrong_type", f"'{key}' of response '{name}' must be a list", node.line)
    image = values.get("image")
    channel = values.get("channel")
    return ResponseVariation(
        text=text,
        buttons=tuple(buttons) if isinstance(buttons, list) else None,
        image=str(image) if image is not None else None,
        custom=values.get("custom"),
        condition=tuple(condition) if isinstance(condition, list) else None,
        channel=str(channel) if channel is not None else None,
        extra={key: values[key] for key in VARIATION_EXTRA_KEYS if key in values},
        comments=comments,
    )


def read_actions(ctx: FileContext, section: YNode, floor: int) -> list[ActionDef]:
    out: list[ActionDef] = []
    for node in ctx.expect_list(section, "'actions'"):
        comments = tuple(item_comments(ctx, node.line, node, floor))
        name, settings = _entry_name(ctx, node, "an action")
        if name is None:
            continue
        send_domain = None
        if settings is not None:
            ctx.check_keys(settings, ACTION_KEYS, f"action '{name}'")
            send_domain = ctx.boolean(settings.get("send_domain"), "send_domain")
        out.append(ActionDef(name, send_domain, ctx.origin(node.line), comments))
    return out


def read_forms(
    ctx: FileContext, section: YNode, floor: int
) -> tuple[list[FormDef], list[LegacyForm]]:
    out: list[FormDef] = []
    legacy: list[LegacyForm] = []
    for key, node in ctx.expect_map(section, "'forms'"):
        comments = item_comments(ctx, key.line, node, floor)
        name = ctx.string(key, "a form name")
        if name is None:
            continue
        if node.is_scalar and node.value is None:
            out.append(FormDef(name, origin=ctx.origin(key.line), comments=tuple(comments)))
            continue
        if not ctx.expect(node, "map", f"form '{name}'"):
            continue
        ctx.check_keys(node, FORM_KEYS, f"form '{name}'")
        slots_node = node.get("required_slots")
        slots: tuple[str, ...] = ()
        if slots_node is not None and slots_node.is_map:
            slots, moved = _legacy_required_slots(ctx, name, slots_node)
            legacy.append(moved)
            comments = _legacy_form_comments(comments, slots)
        elif slots_node is not None:
            slots = ctx.names(slots_node, f"required_slots of form '{name}'")
        ignored = ctx.names(node.get("ignored_intents"), "ignored_intents")
        out.append(FormDef(name, slots, ignored, ctx.origin(key.line), tuple(comments)))
    return out, legacy


def _legacy_required_slots(
    ctx: FileContext, form: str, node: YNode
) -> tuple[tuple[str, ...], LegacyForm]:
    slots: list[str] = []
    moved: list[tuple[str, tuple[SlotMapping, ...], int]] = []
    for key, value in node.pairs():
        slot = ctx.string(key, "a required slot")
        if slot is None:
            continue
        slots.append(slot)
        mappings = read_mappings(ctx, value, f"slot '{slot}' in form '{form}'")
        moved.append((slot, tuple(_form_condition(m, form, slot) for m in mappings), key.line))
    return tuple(slots), LegacyForm(form, tuple(moved))


def _form_condition(mapping: SlotMapping, form: str, slot: str) -> SlotMapping:
    if mapping.type == "from_entity":
        condition = MappingCondition(active_loop=form)
    else:
        condition = MappingCondition(active_loop=form, requested_slot=slot)
    return SlotMapping(
        type=mapping.type,
        entity=mapping.entity,
        intent=mapping.intent,
        not_intent=mapping.not_intent,
        role=mapping.role,
        group=mapping.group,
        value=mapping.value,
        has_value=mapping.has_value,
        action=mapping.action,
        conditions=(*mapping.conditions, condition),
    )


def _legacy_form_comments(comments: list[Comment], slots: tuple[str, ...]) -> list[Comment]:
    """Re-root comments of ``required_slots: {slot: [...]}`` on the slot's place in the list."""
    out: list[Comment] = []
    merged: dict[tuple[Any, ...], list[str]] = {}
    for comment in comments:
        path = comment.path
        if len(path) >= 2 and path[0] == "required_slots" and path[1] in slots:
            target = ("required_slots", slots.index(str(path[1])))
            where = comment.where if len(path) == 2 else "before"
            key = (target, where)
            if key not in merged:
                merged[key] = []
                out.append(Comment(target, where, ()))
            merged[key].extend(comment.lines)
        else:
            out.append(comment)
    return [
        Comment(c.path, c.where, tuple(merged[(c.path, c.where)]))
        if (c.path, c.where) in merged
        else c
        for c in out
    ]


def read_session_config(ctx: FileContext, key: YNode, node: YNode) -> SessionConfig | None:
    if node.is_scalar and node.value is None:
        return SessionConfig(origin=ctx.origin(key.line))
    comments = tuple(walk_comments(ctx.comments, node, (), key.line))
    if not ctx.expect(node, "map", "'session_config'"):
        return None
    ctx.check_keys(node, SESSION_KEYS, "'session_config'")
    return SessionConfig(
        session_expiration_time=ctx.number(
            node.get("session_expiration_time"), "session_expiration_time"
        ),
        carry_over_slots_to_new_session=ctx.boolean(
            node.get("carry_over_slots_to_new_session"), "carry_over_slots_to_new_session"
        ),
        origin=ctx.origin(key.line),
        comments=comments,
    )


def read_domain_config(ctx: FileContext, node: YNode) -> dict[str, Any]:
    if node.is_scalar and node.value is None:
        return {}
    if not ctx.expect(node, "map", "the domain 'config'"):
        return {}
    ctx.check_keys(node, DOMAIN_CONFIG_KEYS, "the domain 'config'")
    return {str(key.value): value.to_python() for key, value in node.pairs()}
