"""Read ``stories:`` and ``rules:`` sections (training data and test stories)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from annotation.rasa_io.markup import parse_markup
from annotation.rasa_io.reader_common import (
    FileContext,
    item_comments,
    split_comments,
    suggest,
)
from annotation.rasa_io.types import Comment, SlotEvent, Story, StoryStep
from annotation.rasa_io.yaml_source import YNode

STORY_KEYS = ("story", "steps", "metadata")
RULE_KEYS = (
    "rule",
    "steps",
    "condition",
    "conversation_start",
    "wait_for_user_input",
    "metadata",
)
STEP_KINDS = ("intent", "user", "action", "bot", "slot_was_set", "active_loop", "checkpoint", "or")
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "user": ("intent", "user", "entities", "metadata"),
    "action": ("action", "metadata"),
    "bot": ("bot", "metadata"),
    "slot_was_set": ("slot_was_set", "metadata"),
    "active_loop": ("active_loop", "metadata"),
    "checkpoint": ("checkpoint", "metadata"),
    "or": ("or", "metadata"),
}
ALTERNATIVE_KINDS = ("intent", "user", "slot_was_set")
CONDITION_KINDS = ("active_loop", "slot_was_set")


def read_stories(
    ctx: FileContext, section: YNode, kind: Literal["story", "rule"], floor: int, is_test: bool
) -> list[Story]:
    stories: list[Story] = []
    what = "the 'stories' section" if kind == "story" else "the 'rules' section"
    for node in ctx.expect_list(section, what):
        story = _read_story(ctx, node, kind, floor, is_test)
        if story is not None:
            stories.append(story)
    return stories


def _read_story(
    ctx: FileContext, node: YNode, kind: Literal["story", "rule"], floor: int, is_test: bool
) -> Story | None:
    comments = item_comments(ctx, node.line, node, floor)
    if not ctx.expect(node, "map", f"a {kind}"):
        return None
    ctx.check_keys(node, STORY_KEYS if kind == "story" else RULE_KEYS, f"a {kind}")
    name_node = node.get(kind)
    if name_node is None:
        ctx.error("missing_key", f"a {kind} needs a '{kind}' name", node.line)
        return None
    name = ctx.string(name_node, f"the {kind} name")
    comments, step_comments = split_comments(comments, "steps")
    comments, condition_comments = split_comments(comments, "condition")
    steps_node = node.get("steps")
    if steps_node is None:
        ctx.error("missing_key", f"{kind} '{name}' has no 'steps'", node.line)
    steps = _read_steps(ctx, steps_node, step_comments, STEP_KINDS, "a step")
    condition = _read_steps(
        ctx, node.get("condition"), condition_comments, CONDITION_KINDS, "a rule condition"
    )
    metadata_node = node.get("metadata")
    if name is None:
        return None
    return Story(
        kind=kind,
        name=name,
        steps=steps,
        condition=condition,
        conversation_start=ctx.boolean(node.get("conversation_start"), "conversation_start"),
        wait_for_user_input=ctx.boolean(node.get("wait_for_user_input"), "wait_for_user_input"),
        metadata=metadata_node.to_python() if metadata_node is not None else None,
        is_test=is_test,
        origin=ctx.origin(node.line),
        comments=tuple(comments),
    )


def _read_steps(
    ctx: FileContext,
    node: YNode | None,
    comments: dict[int, list[Comment]],
    kinds: Sequence[str],
    what: str,
) -> tuple[StoryStep, ...]:
    if node is None:
        return ()
    steps: list[StoryStep] = []
    for index, item in enumerate(ctx.expect_list(node, f"the list of {what}s")):
        step = read_step(ctx, item, kinds, what, tuple(comments.get(index, ())))
        if step is not None:
            steps.append(step)
    return tuple(steps)


def read_step(
    ctx: FileContext,
    node: YNode,
    kinds: Sequence[str],
    what: str,
    comments: tuple[Comment, ...] = (),
) -> StoryStep | None:
    if not ctx.expect(node, "map", what):
        return None
    found = [key for key in node.key_names() if key in STEP_KINDS]
    kind = "user" if "intent" in found and "user" in found else (found[0] if found else None)
    if kind is None or (len(found) > 1 and set(found) != {"intent", "user"}):
        _report_step_kind(ctx, node, found, kinds, what)
        return None
    if kind not in kinds and not (kind == "user" and "intent" in kinds):
        ctx.error("step_kind", f"'{kind}' is not allowed in {what}", node.line)
        return None
    group = "user" if kind in ("intent", "user") else kind
    ctx.check_keys(node, STEP_KEYS[group], what)
    metadata_node = node.get("metadata")
    metadata = metadata_node.to_python() if metadata_node is not None else None
    base: dict[str, Any] = {
        "metadata": metadata,
        "origin": ctx.origin(node.line),
        "comments": comments,
    }
    reader = _STEP_READERS[group]
    return reader(ctx, node, base)


def _report_step_kind(
    ctx: FileContext, node: YNode, found: list[str], kinds: Sequence[str], what: str
) -> None:
    if found:
        ctx.error("step_kind", f"{what} has several kinds: {', '.join(found)}", node.line)
        return
    keys = [str(k) for k in node.key_names()]
    guess = next((g for g in (suggest(k, kinds) for k in keys) if g), None)
    hint = f"; did you mean '{guess}'?" if guess else ""
    ctx.error(
        "step_kind",
        f"{what} needs one of {', '.join(kinds)} (found: {', '.join(keys) or 'nothing'}){hint}",
        node.line,
        suggestion=guess,
    )


def _user_step(ctx: FileContext, node: YNode, base: dict[str, Any]) -> StoryStep | None:
    intent_node = node.get("intent")
    user_node = node.get("user")
    text = ctx.string(user_node, "the user text") if user_node is not None else None
    if text is not None:
        try:
            parse_markup(text)
        except ValueError as error:
            ctx.error("entity_markup", f"bad entity markup in user text: {error}", user_node.line)  # type: ignore[union-attr]
    entities = _read_entities(ctx, node.get("entities"))
    if intent_node is None:
        return StoryStep(kind="user", text=text, entities=entities, **base)
    name = ctx.string(intent_node, "the intent name")
    if name is None:
        return None
    return StoryStep(kind="intent", name=name, text=text, entities=entities, **base)


def _read_entities(ctx: FileContext, node: YNode | None) -> tuple[Any, ...]:
    if node is None:
        return ()
    out: list[Any] = []
    for item in ctx.expect_list(node, "a step's 'entities'"):
        if item.is_scalar:
            name = ctx.string(item, "an entity name")
            if name is not None:
                out.append(name)
        elif ctx.expect(item, "map", "an entity"):
            value = item.to_python()
            if all(isinstance(key, str) for key in value):
                out.append(value)
            else:
                ctx.error("wrong_type", "entity keys must be names", item.line)
    return tuple(out)


def _named_step(kind: Literal["action", "bot", "checkpoint"]) -> Any:
    def read(ctx: FileContext, node: YNode, base: dict[str, Any]) -> StoryStep | None:
        value = ctx.string(node.get(kind), f"the {kind} name" if kind != "bot" else "the bot text")
        if value is None:
            return None
        if kind == "bot":
            return StoryStep(kind="bot", text=value, **base)
        return StoryStep(kind=kind, name=value, **base)

    return read


def _active_loop_step(ctx: FileContext, node: YNode, base: dict[str, Any]) -> StoryStep | None:
    name = ctx.string(node.get("active_loop"), "the active_loop name", allow_none=True)
    return StoryStep(kind="active_loop", name=name, **base)


def _slot_step(ctx: FileContext, node: YNode, base: dict[str, Any]) -> StoryStep | None:
    slots_node = node.get("slot_was_set")
    assert slots_node is not None
    events: list[SlotEvent] = []
    for item in ctx.expect_list(slots_node, "'slot_was_set'", allow_null=False):
        if item.is_scalar:
            name = ctx.string(item, "a slot name")
            if name is not None:
                events.append(SlotEvent(name, None, has_value=False))
            continue
        for key, value in ctx.expect_map(item, "a slot_was_set entry"):
            name = ctx.string(key, "a slot name")
            if name is not None:
                events.append(SlotEvent(name, value.to_python()))
    return StoryStep(kind="slot_was_set", slots=tuple(events), **base)


def _or_step(ctx: FileContext, node: YNode, base: dict[str, Any]) -> StoryStep | None:
    alternatives_node = node.get("or")
    assert alternatives_node is not None
    own, moved = split_comments(base["comments"], "or")
    alternatives: list[StoryStep] = []
    items = ctx.expect_list(alternatives_node, "'or'", allow_null=False)
    for index, item in enumerate(items):
        step = read_step(ctx, item, ALTERNATIVE_KINDS, "an 'or' alternative")
        if step is not None:
            alternatives.append(step)
        if index in moved:  # comments inside an alternative stay on the or-step
            own.extend(Comment(("or", index, *c.path), c.where, c.lines) for c in moved[index])
    if not items and alternatives_node.is_seq:
        ctx.error("empty_or", "'or' needs at least one alternative", node.line)
    base = {**base, "comments": tuple(own)}
    return StoryStep(kind="or", alternatives=tuple(alternatives), **base)


_STEP_READERS: dict[str, Any] = {
    "user": _user_step,
    "action": _named_step("action"),
    "bot": _named_step("bot"),
    "checkpoint": _named_step("checkpoint"),
    "active_loop": _active_loop_step,
    "slot_was_set": _slot_step,
    "or": _or_step,
}
