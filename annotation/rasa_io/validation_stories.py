"""Checks on stories, rules and test stories, and on domain items that no story or rule uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from annotation.rasa_io.markup import parse_markup
from annotation.rasa_io.types import Origin, SlotDef, SlotEvent, Story, StoryStep
from annotation.rasa_io.validation_context import (
    DEFAULT_ACTIONS,
    DEFAULT_INTENTS,
    DEFAULT_RESPONSES,
    USER_KINDS,
    Context,
    base_intent,
    base_response,
    intent_examples,
    iter_steps,
    names,
    step_entities,
    story_label,
    where,
)
from annotation.rasa_io.validation_domain import button_intents
from annotation.rasa_io.validation_nlu import check_annotations

TRUE_WORDS = frozenset({"true", "false"})


@dataclass
class Usage:
    """What training stories and rules use (test stories do not count)."""

    intents: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    start_checkpoints: dict[str, Origin] = field(default_factory=dict)
    end_checkpoints: dict[str, Origin] = field(default_factory=dict)


def check_stories(ctx: Context) -> Usage:
    usage = Usage()
    restrict_rules = _rules_restricted(ctx)
    labels: dict[tuple[str, bool, str], Origin] = {}
    for story in ctx.project.stories:
        _check_story_shape(ctx, story, restrict_rules)
        key = (story.kind, story.is_test, story.name)
        if key in labels:
            ctx.warning(
                "duplicate_story_name",
                f"There is another {story_label(story)} at {where(labels[key])}; give each a "
                "distinct name so that reports and conflicts can tell them apart.",
                story.origin,
            )
        else:
            labels[key] = story.origin
        for step, _in_condition in iter_steps(story):
            _check_step(ctx, story, step, usage)
        if not story.is_test and story.kind == "story":
            _collect_checkpoints(story, usage)
    _check_checkpoints(ctx, usage)
    return usage


def _rules_restricted(ctx: Context) -> bool:
    config = ctx.project.config
    for policy in (config.policies if config else None) or ():
        if policy.get("name") == "RulePolicy" and policy.get("restrict_rules") is False:
            return False
    return True


def _check_story_shape(ctx: Context, story: Story, restrict_rules: bool) -> None:
    label = story_label(story)
    if not story.steps:
        ctx.warning(
            "empty_story",
            f"The {label} has no steps; it teaches nothing. Add steps or remove it.",
            story.origin,
        )
        return
    if story.kind == "story" and not story.is_test:
        first = story.steps[0]
        if first.kind not in USER_KINDS and first.kind != "checkpoint":
            ctx.warning(
                "story_starts_without_user_turn",
                f"The {label} starts with '{first.name or first.text}' instead of a user "
                "message; stories should start with what the user says (or with a checkpoint).",
                first.origin,
                fallback=story.origin,
            )
    if story.kind == "rule" and restrict_rules:
        turns = [step for step in story.steps if step.kind in USER_KINDS]
        if len(turns) > 1:
            ctx.error(
                "rule_with_several_user_turns",
                f"The {label} has {len(turns)} user messages; Rasa's RulePolicy refuses rules "
                "with more than one. Write it as a story, split it, or set "
                "`restrict_rules: false` on the RulePolicy.",
                turns[1].origin,
                fallback=story.origin,
            )


# ------------------------------------------------------------------------------------ steps


def _check_step(ctx: Context, story: Story, step: StoryStep, usage: Usage) -> None:
    training = not story.is_test
    origin = step.origin if step.origin.line else story.origin
    label = story_label(story)
    if step.kind == "intent" and step.name is not None:
        if training:
            usage.intents.add(base_intent(step.name))
        if not ctx.has_intent(step.name):
            ctx.error(
                "intent_not_in_domain",
                f"The {label} uses the intent '{step.name}', which the domain does not declare.",
                origin,
                suggestion=ctx.suggest(step.name, ctx.intent_names(), "intent"),
            )
        _check_step_entities(ctx, label, step, origin)
        if step.text:
            _check_user_text(ctx, step.text, origin)
    elif step.kind == "user" and step.text:
        _check_user_text(ctx, step.text, origin)
    elif step.kind == "action" and step.name is not None:
        if training:
            usage.actions.add(step.name)
        _check_action(ctx, label, step.name, origin)
    elif step.kind == "active_loop" and step.name is not None:
        if training:
            usage.actions.add(step.name)
        if not ctx.has_loop(step.name):
            ctx.error(
                "form_not_in_domain",
                f"The {label} activates the loop '{step.name}', but the domain has no such form.",
                origin,
                suggestion=ctx.suggest(step.name, sorted(ctx.forms), "form"),
            )
    elif step.kind == "slot_was_set":
        for event in step.slots:
            _check_slot_event(ctx, label, event, origin)


def _check_action(ctx: Context, label: str, name: str, origin: Origin) -> None:
    if ctx.has_action(name):
        return
    suggestion = ctx.suggest(name, ctx.action_names(), "action")
    if name.startswith("utter_"):
        ctx.error(
            "response_not_in_domain",
            f"The {label} runs '{name}', but the domain has no response of that name (and no "
            "custom action of that name). Add the response under `responses`.",
            origin,
            suggestion=suggestion,
        )
    else:
        ctx.error(
            "action_not_in_domain",
            f"The {label} runs the action '{name}', which the domain does not declare. Add it "
            "under `actions` (or `forms`).",
            origin,
            suggestion=suggestion,
        )


def _check_step_entities(ctx: Context, label: str, step: StoryStep, origin: Origin) -> None:
    intent = ctx.intents.get(base_intent(step.name or ""))
    for found in step_entities(step):
        entity = ctx.entities.get(found.entity)
        if entity is None:
            ctx.error(
                "entity_not_in_domain",
                f"The {label} gives the intent '{step.name}' the entity '{found.entity}', which "
                "the domain does not declare.",
                origin,
                suggestion=ctx.suggest(found.entity, sorted(ctx.entities), "entity"),
            )
            continue
        for kind, value, declared in (
            ("role", found.role, entity.roles),
            ("group", found.group, entity.groups),
        ):
            if value is not None and value not in declared:
                ctx.error(
                    f"entity_{kind}_not_in_domain",
                    f"The {label} gives the entity '{entity.name}' the {kind} '{value}', which "
                    f"is not listed under the entity's `{kind}s` in the domain.",
                    origin,
                    suggestion=ctx.suggest(value, declared, f"{kind}:{entity.name}"),
                )
        if intent is not None and (
            (intent.use_entities is not None and found.entity not in intent.use_entities)
            or (intent.ignore_entities is not None and found.entity in intent.ignore_entities)
        ):
            ctx.warning(
                "entity_ignored_by_intent",
                f"The {label} gives the intent '{step.name}' the entity '{found.entity}', but "
                "the domain tells that intent to ignore it, so the entity has no effect here.",
                origin,
            )


def _check_user_text(ctx: Context, text: str, origin: Origin) -> None:
    try:
        plain, annotations = parse_markup(text.strip())
    except ValueError:
        return  # the reader reports broken markup
    check_annotations(ctx, ((annotation, plain, origin) for annotation in annotations))


def _check_slot_event(ctx: Context, label: str, event: SlotEvent, origin: Origin) -> None:
    if event.name not in ctx.known_slots:
        ctx.error(
            "slot_not_in_domain",
            f"The {label} sets the slot '{event.name}', which the domain does not declare.",
            origin,
            suggestion=ctx.suggest(event.name, sorted(ctx.known_slots), "slot"),
        )
        return
    if not event.has_value or event.value is None:
        return
    if event.name == "requested_slot":
        value = str(event.value)
        if value not in ctx.known_slots:
            ctx.error(
                "requested_slot_not_a_slot",
                f"The {label} sets `requested_slot` to '{value}', which is not a slot.",
                origin,
                suggestion=ctx.suggest(value, sorted(ctx.slots), "slot"),
            )
        return
    slot = ctx.slots.get(event.name)
    if slot is not None:
        _check_slot_value(ctx, label, slot, event.value, origin)


def _check_slot_value(ctx: Context, label: str, slot: SlotDef, value: Any, origin: Origin) -> None:
    if slot.type == "categorical" and slot.values:
        allowed = [str(v) for v in slot.values]
        if str(value).lower() not in {v.lower() for v in allowed}:
            ctx.error(
                "slot_value_not_allowed",
                f"The {label} sets the categorical slot '{slot.name}' to '{value}', which is not "
                f"one of its values ({', '.join(allowed)}); Rasa would treat it as '__other__'.",
                origin,
                suggestion=ctx.suggest(str(value), allowed, f"values:{slot.name}"),
            )
    elif slot.type == "bool" and not (
        isinstance(value, bool) or (isinstance(value, str) and value.lower() in TRUE_WORDS)
    ):
        ctx.warning(
            "slot_value_type_mismatch",
            f"The {label} sets the bool slot '{slot.name}' to '{value}'; use true or false.",
            origin,
        )
    elif slot.type == "float" and (
        isinstance(value, bool) or not isinstance(value, int | float | str) or not _is_number(value)
    ):
        ctx.warning(
            "slot_value_type_mismatch",
            f"The {label} sets the float slot '{slot.name}' to '{value}', which is not a number.",
            origin,
        )


def _is_number(value: int | float | str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------------------ checkpoints


def _collect_checkpoints(story: Story, usage: Usage) -> None:
    steps = story.steps
    for index, step in enumerate(steps):
        if step.kind != "checkpoint" or step.name is None:
            continue
        before = any(s.kind != "checkpoint" for s in steps[:index])
        after = any(s.kind != "checkpoint" for s in steps[index + 1 :])
        origin = step.origin if step.origin.line else story.origin
        if not before:
            usage.start_checkpoints.setdefault(step.name, origin)
        if not after:
            usage.end_checkpoints.setdefault(step.name, origin)
        if before and after:  # a checkpoint inside a story ends one part and starts the next
            usage.start_checkpoints.setdefault(step.name, origin)
            usage.end_checkpoints.setdefault(step.name, origin)


def _check_checkpoints(ctx: Context, usage: Usage) -> None:
    for name, origin in usage.start_checkpoints.items():
        if name not in usage.end_checkpoints:
            ctx.warning(
                "checkpoint_without_end",
                f"The checkpoint '{name}' starts a story, but no story ends with it, so that "
                "story is never used. End another story with `- checkpoint: " + name + "`.",
                origin,
                suggestion=ctx.suggest(name, sorted(usage.end_checkpoints), "checkpoint"),
            )
    for name, origin in usage.end_checkpoints.items():
        if name not in usage.start_checkpoints:
            ctx.warning(
                "checkpoint_without_start",
                f"The checkpoint '{name}' ends a story, but no story starts with it. Start "
                "another story with `- checkpoint: " + name + "` or remove it.",
                origin,
                suggestion=ctx.suggest(name, sorted(usage.start_checkpoints), "checkpoint"),
            )


# ------------------------------------------------------------------------------------ unused


def check_unused(ctx: Context, usage: Usage) -> None:
    domain = ctx.project.domain
    mapping_intents: set[str] = set()
    mapping_actions: set[str] = set()
    for slot in domain.slots:
        for mapping in slot.mappings:
            mapping_intents.update(base_intent(i) for i in names(mapping.intent))
            if mapping.action:
                mapping_actions.add(mapping.action)
    examples = intent_examples(ctx.project)
    buttons = button_intents(ctx)
    for intent in domain.intents:
        name = base_intent(intent.name)
        if name in DEFAULT_INTENTS:
            continue
        if name not in usage.intents and name not in mapping_intents:
            ctx.warning(
                "unused_intent",
                f"The intent '{intent.name}' is not used in any story or rule (nor in a slot "
                "mapping), so the assistant does nothing particular when it is recognised.",
                intent.origin,
            )
        triggered = name.upper().startswith("EXTERNAL_") or name in buttons
        if not examples.get(name) and not triggered:
            ctx.warning(
                "intent_without_examples",
                f"The intent '{intent.name}' has no NLU examples, so it can never be "
                "recognised. Add examples (or remove it, unless it is only triggered "
                "externally).",
                intent.origin,
            )
    used_responses = {base_response(a) for a in usage.actions}
    form_asks = _form_ask_names(ctx)
    for response in domain.responses:
        name = base_response(response.name)
        if name in used_responses or name in DEFAULT_RESPONSES or name in form_asks:
            continue
        ctx.warning(
            "unused_response",
            f"The response '{response.name}' is not used in any story or rule (ignore this if "
            "a custom action sends it).",
            response.origin,
        )
    for action in domain.actions:
        name = action.name
        if (
            name in usage.actions
            or name in ctx.responses
            or name in ctx.response_bases
            or name in DEFAULT_ACTIONS
            or name in mapping_actions
            or name in form_asks
            or name == "action_validate_slot_mappings"
            or (name.startswith("validate_") and name[len("validate_") :] in ctx.forms)
        ):
            continue
        ctx.warning(
            "unused_action",
            f"The action '{name}' is not used in any story or rule (ignore this if it is "
            "triggered by other means, e.g. reminders or a followup action).",
            action.origin,
        )
    for form in domain.forms:
        if form.name not in usage.actions:
            ctx.warning(
                "unused_form",
                f"The form '{form.name}' is never run nor activated in a story or rule.",
                form.origin,
            )


def _form_ask_names(ctx: Context) -> set[str]:
    found: set[str] = set()
    for form in ctx.project.domain.forms:
        for slot in form.required_slots:
            found.update(
                (
                    f"utter_ask_{form.name}_{slot}",
                    f"utter_ask_{slot}",
                    f"action_ask_{form.name}_{slot}",
                    f"action_ask_{slot}",
                )
            )
    return found
