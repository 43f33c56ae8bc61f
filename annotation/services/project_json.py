"""The JSON forms of the dataclass parts that the models keep in JSON fields, both ways.

Comments are ``[{"path": [...], "where": ..., "lines": [...]}]``; slot mappings are
``[{"type": .., "entity"?: .., ..., "value"?: .., "conditions"?: [...]}]`` with only the keys
that are set; story steps nested in JSON (rule conditions, ``or`` alternatives) are
``{"kind", "name"?, "text"?, "entities"?, "slots"?, "alternatives"?, "metadata"?, "line"?,
"comments"?}``.
"""

from __future__ import annotations

from typing import Any, cast

from annotation.rasa_io.types import (
    Comment,
    CommentPlace,
    MappingCondition,
    Origin,
    SlotEvent,
    SlotMapping,
    StepKind,
    StoryStep,
)

JsonDict = dict[str, Any]

# ------------------------------------------------------------------------------- comments


def comments_to_json(comments: tuple[Comment, ...]) -> list[JsonDict]:
    return [{"path": list(c.path), "where": c.where, "lines": list(c.lines)} for c in comments]


def comments_from_json(data: list[JsonDict] | None) -> tuple[Comment, ...]:
    if not data:
        return ()
    return tuple(
        Comment(
            path=tuple(item.get("path") or ()),
            where=cast(CommentPlace, item.get("where", "before")),
            lines=tuple(item.get("lines") or ()),
        )
        for item in data
    )


def optional_list(value: tuple[Any, ...] | None) -> list[Any] | None:
    return None if value is None else list(value)


def optional_tuple(value: list[Any] | None) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def _names(value: str | tuple[str, ...] | None) -> str | list[str] | None:
    return list(value) if isinstance(value, tuple) else value


def _names_back(value: Any) -> str | tuple[str, ...] | None:
    return tuple(value) if isinstance(value, list) else value


# -------------------------------------------------------------------------- slot mappings


def mapping_to_json(mapping: SlotMapping) -> JsonDict:
    data: JsonDict = {"type": mapping.type}
    optional = {
        "entity": mapping.entity,
        "intent": _names(mapping.intent),
        "not_intent": _names(mapping.not_intent),
        "role": mapping.role,
        "group": mapping.group,
        "action": mapping.action,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    if mapping.has_value:
        data["value"] = mapping.value
    if mapping.conditions:
        data["conditions"] = [
            {"active_loop": c.active_loop, "requested_slot": c.requested_slot}
            for c in mapping.conditions
        ]
    return data


def mapping_from_json(data: JsonDict) -> SlotMapping:
    return SlotMapping(
        type=data["type"],
        entity=data.get("entity"),
        intent=_names_back(data.get("intent")),
        not_intent=_names_back(data.get("not_intent")),
        role=data.get("role"),
        group=data.get("group"),
        value=data.get("value"),
        has_value="value" in data,
        action=data.get("action"),
        conditions=tuple(
            MappingCondition(
                active_loop=c.get("active_loop"), requested_slot=c.get("requested_slot")
            )
            for c in data.get("conditions") or ()
        ),
    )


# ---------------------------------------------------------------------------- story steps


def slots_to_json(slots: tuple[SlotEvent, ...]) -> list[JsonDict]:
    return [{"name": s.name, "value": s.value, "has_value": s.has_value} for s in slots]


def slots_from_json(data: list[JsonDict] | None) -> tuple[SlotEvent, ...]:
    return tuple(
        SlotEvent(name=s["name"], value=s.get("value"), has_value=s.get("has_value", True))
        for s in data or ()
    )


def step_to_json(step: StoryStep) -> JsonDict:
    """A step nested in a JSON field (a rule condition or an ``or`` alternative)."""
    data: JsonDict = {"kind": step.kind}
    if step.name is not None:
        data["name"] = step.name
    if step.text is not None:
        data["text"] = step.text
    if step.entities:
        data["entities"] = list(step.entities)
    if step.slots:
        data["slots"] = slots_to_json(step.slots)
    if step.alternatives:
        data["alternatives"] = [step_to_json(alt) for alt in step.alternatives]
    if step.metadata is not None:
        data["metadata"] = step.metadata
    if step.origin.line:
        data["line"] = step.origin.line
    if step.comments:
        data["comments"] = comments_to_json(step.comments)
    return data


def step_from_json(data: JsonDict, *, file: str) -> StoryStep:
    return StoryStep(
        kind=cast(StepKind, data["kind"]),
        name=data.get("name"),
        text=data.get("text"),
        entities=tuple(data.get("entities") or ()),
        slots=slots_from_json(data.get("slots")),
        alternatives=tuple(
            step_from_json(alt, file=file) for alt in data.get("alternatives") or ()
        ),
        metadata=data.get("metadata"),
        origin=Origin(file=file, line=data.get("line", 0)),
        comments=comments_from_json(data.get("comments")),
    )
