"""Rasa's inline entity markup in NLU examples: parse it into plain text + spans, render it back.

Forms read: ``[text](entity)``, ``[text](entity:value)``,
``[text]{"entity": .., "value": .., "role": .., "group": ..}`` and ``[text][{..}, {..}]`` (several
annotations on one span). A ``[`` that is not followed by one of these forms is plain text, as in
Rasa. ``render_markup`` writes ``(entity)`` when the value equals the text and there is no role or
group, the JSON form otherwise, and the list form for several annotations on the same span.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from annotation.rasa_io.types import EntityAnnotation

_JSON = json.JSONDecoder()
_DICT_KEYS = ("entity", "value", "role", "group")


def parse_markup(text: str) -> tuple[str, tuple[EntityAnnotation, ...]]:
    """Split an example written with entity markup into its plain text and entity spans.

    Raises ``ValueError`` with a readable message when the markup is broken.
    """
    if "[" not in text:
        return text, ()
    plain: list[str] = []
    entities: list[EntityAnnotation] = []
    length = 0  # length of the plain text built so far
    pos = 0
    while True:
        open_at = text.find("[", pos)
        if open_at < 0:
            break
        close_at = text.find("]", open_at + 1)
        if close_at < 0:
            break
        nested = text.rfind("[", open_at + 1, close_at)
        if nested >= 0:  # "[a [b](x)": the span starts at the last "[" before "]"
            open_at = nested
        after = text[close_at + 1 : close_at + 2]
        if after not in ("(", "{", "[") or close_at == open_at + 1:
            chunk = text[pos : close_at + 1]
            plain.append(chunk)
            length += len(chunk)
            pos = close_at + 1
            continue
        span_text = text[open_at + 1 : close_at]
        annotations, pos_after = _read_annotation(text, close_at + 1, span_text)
        before = text[pos:open_at]
        plain.append(before)
        start = length + len(before)
        end = start + len(span_text)
        plain.append(span_text)
        length = end
        for fields in annotations:
            entities.append(EntityAnnotation(start=start, end=end, **fields))
        pos = pos_after
    plain.append(text[pos:])
    return "".join(plain), tuple(entities)


def _read_annotation(text: str, at: int, span_text: str) -> tuple[list[dict[str, Any]], int]:
    """Read the annotation at ``text[at]`` (``(``, ``{`` or ``[``); return it and where it ends."""
    opener = text[at]
    if opener == "(":
        close = text.find(")", at + 1)
        if close < 0:
            raise ValueError(f"unclosed entity markup '[{span_text}](': missing ')'")
        inside = text[at + 1 : close]
        entity, sep, value = inside.partition(":")
        if not entity.strip():
            raise ValueError(f"entity markup '[{span_text}]({inside})' has no entity name")
        if sep and not value:
            raise ValueError(f"entity markup '[{span_text}]({inside})' has an empty value")
        fields = {"entity": entity, "value": value if sep else span_text}
        return [fields], close + 1
    try:
        decoded, end = _JSON.raw_decode(text, at)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"bad JSON in entity markup after '[{span_text}]': {error.msg} (column {error.pos + 1})"
        ) from None
    items = decoded if opener == "[" else [decoded]
    if opener == "[" and (not isinstance(decoded, list) or not decoded):
        raise ValueError(f"entity markup '[{span_text}][...]' must be a non-empty list of objects")
    return [_annotation_fields(item, span_text) for item in items], end


def _annotation_fields(item: Any, span_text: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"entity markup for '[{span_text}]' must be a JSON object")
    unknown = sorted(set(item) - set(_DICT_KEYS))
    if unknown:
        raise ValueError(
            f"entity markup for '[{span_text}]' has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(_DICT_KEYS)}"
        )
    entity = item.get("entity")
    if not isinstance(entity, str) or not entity:
        raise ValueError(f"entity markup for '[{span_text}]' needs a non-empty \"entity\" string")
    value = item.get("value", span_text)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"entity markup for '[{span_text}]': \"value\" must be a string")
    fields: dict[str, Any] = {"entity": entity, "value": str(value)}
    for key in ("role", "group"):
        part = item.get(key)
        if part is None:
            continue
        if isinstance(part, bool) or not isinstance(part, str | int):
            raise ValueError(f"entity markup for '[{span_text}]': \"{key}\" must be a string")
        fields[key] = str(part)
    return fields


def render_markup(text: str, entities: Sequence[EntityAnnotation]) -> str:
    """Write ``text`` with ``entities`` as Rasa markup; ``parse_markup`` reads it back unchanged.

    Entities are rendered in order of ``start`` (stable for several annotations on one span).
    Raises ``ValueError`` when the spans cannot be written as markup (overlap, out of range,
    brackets inside an entity's text, or plain text that would read back as markup).
    """
    if not entities:
        _check_round_trip(text, text, ())
        return text
    ordered = sorted(entities, key=lambda e: e.start)
    groups: list[list[EntityAnnotation]] = []
    for entity in ordered:
        if not 0 <= entity.start < entity.end <= len(text):
            raise ValueError(
                f"entity {entity.entity!r} span {entity.start}:{entity.end} is outside the text"
            )
        last = groups[-1][0] if groups else None
        if last is not None and (last.start, last.end) == (entity.start, entity.end):
            groups[-1].append(entity)
            continue
        if last is not None and entity.start < last.end:
            raise ValueError(
                f"entity spans {last.start}:{last.end} and {entity.start}:{entity.end} overlap"
            )
        groups.append([entity])
    parts: list[str] = []
    pos = 0
    for group in groups:
        start, end = group[0].start, group[0].end
        span_text = text[start:end]
        if "[" in span_text or "]" in span_text:
            raise ValueError(f"entity text {span_text!r} cannot contain '[' or ']' in markup")
        parts.append(text[pos:start])
        parts.append(f"[{span_text}]{_render_annotations(span_text, group)}")
        pos = end
    parts.append(text[pos:])
    rendered = "".join(parts)
    _check_round_trip(rendered, text, tuple(ordered))
    return rendered


def _render_annotations(span_text: str, group: list[EntityAnnotation]) -> str:
    if len(group) > 1:
        return "[" + ", ".join(_json_annotation(span_text, e) for e in group) + "]"
    entity = group[0]
    simple = (
        entity.value == span_text
        and entity.role is None
        and entity.group is None
        and entity.entity.strip()
        and not any(ch in entity.entity for ch in ":()")
    )
    if simple:
        return f"({entity.entity})"
    return _json_annotation(span_text, entity)


def _json_annotation(span_text: str, entity: EntityAnnotation) -> str:
    fields: dict[str, str] = {"entity": entity.entity}
    if entity.value != span_text:
        fields["value"] = entity.value
    if entity.role is not None:
        fields["role"] = entity.role
    if entity.group is not None:
        fields["group"] = entity.group
    return json.dumps(fields, ensure_ascii=False)


def _check_round_trip(rendered: str, text: str, entities: tuple[EntityAnnotation, ...]) -> None:
    try:
        parsed = parse_markup(rendered)
    except ValueError as error:
        raise ValueError(f"text {text!r} cannot be written as markup: {error}") from None
    if parsed != (text, entities):
        raise ValueError(f"text {text!r} cannot be written as markup unambiguously")
