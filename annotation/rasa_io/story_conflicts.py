"""Story conflicts and rule contradictions.

Stories: each story is played as a conversation. Before every action the dialogue state is
recorded, as in Rasa: the last user message (intent, or text for end-to-end steps) with its
entities, the previous action, the slots set so far that influence the conversation (featurized:
text/list "set", bool, categorical value, clipped float), and the active loop. The action's key
is the last ``max_history`` states. ``action_listen`` is predicted before each user message that
follows an action, and at the end of a story that ends with an action (Rasa appends a final
``action_listen``). Checkpoints glue stories: the states with which a story ends at a checkpoint
flow into every story that starts with it; or-steps branch into each alternative. When one key
leads to different actions, the stories conflict.

Rules are matched by the rule policy on their conditions and steps; two rules whose conditions
and step prefix are the same but that then predict different actions contradict each other.

States are interned to integers, so a key is a small tuple of ints and the whole check is a few
dictionary operations per step (thousands of stories in well under a second).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from annotation.rasa_io.markup import parse_markup
from annotation.rasa_io.types import Origin, SlotDef, SlotEvent, Story, StoryStep
from annotation.rasa_io.validation_context import (
    USER_KINDS,
    Context,
    base_intent,
    step_entities,
    story_label,
    where,
)

DEFAULT_MAX_HISTORY = 5
LISTEN = "action_listen"
MAX_CONTEXTS_PER_PART = 64  # distinct incoming histories kept per checkpoint-started part
MAX_BRANCHES = 256  # or-step branches followed at once within one part

UserPart = tuple[str, str] | None  # ("intent", name) or ("text", text)
SlotState = tuple[tuple[str, Any], ...]
State = tuple[UserPart, tuple[str, ...], str | None, SlotState, str | None]


@dataclass(frozen=True)
class Source:
    story: int  # index in project.stories
    origin: Origin


@dataclass
class _Walker:
    """One way through a story so far (or-steps and checkpoints make several)."""

    history: tuple[int, ...]
    user: UserPart = None
    entities: tuple[str, ...] = ()
    prev: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    loop: str | None = None
    acted: bool = False  # an action ran since the last user message

    def freeze(self) -> tuple[Any, ...]:
        return (
            self.history,
            self.user,
            self.entities,
            self.prev,
            tuple(sorted(self.slots.items())),
            self.loop,
            self.acted,
        )

    def copy(self) -> _Walker:
        return _Walker(
            self.history,
            self.user,
            self.entities,
            self.prev,
            dict(self.slots),
            self.loop,
            self.acted,
        )


@dataclass
class _Part:
    """A stretch of a story between checkpoints."""

    story: int
    starts: tuple[str, ...]
    steps: list[StoryStep]
    ends: tuple[str, ...]


class _Featurizer:
    """Turns steps into state parts the way Rasa's state featurization sees them."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.slots: dict[str, SlotDef] = {
            name: slot
            for name, slot in ctx.slots.items()
            if slot.influence_conversation is not False and slot.type != "any"
        }
        self.ignored_entities = {
            name for name, entity in ctx.entities.items() if entity.influence_conversation is False
        }

    def initial_slots(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, slot in self.slots.items():
            if slot.initial_value is not None:
                value = self.slot_feature(slot, slot.initial_value, True)
                if value is not None:
                    found[name] = value
        return found

    def apply_slot(self, slots: dict[str, Any], event: SlotEvent) -> None:
        slot = self.slots.get(event.name)
        if slot is None:
            return
        value = self.slot_feature(slot, event.value, event.has_value)
        if value is None:
            slots.pop(event.name, None)
        else:
            slots[event.name] = value

    @staticmethod
    def slot_feature(slot: SlotDef, value: Any, has_value: bool) -> Any:
        if not has_value:
            return "set"
        if value is None:
            return None
        if slot.type == "bool":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            return bool(value) if isinstance(value, bool | int | float) else "set"
        if slot.type == "categorical":
            allowed = {str(v).lower() for v in slot.values or ()}
            text = str(value).lower()
            return text if text in allowed else "__other__"
        if slot.type == "float":
            try:
                number = float(value)
            except (TypeError, ValueError):
                return "set"
            low = 0.0 if slot.min_value is None else slot.min_value
            high = 1.0 if slot.max_value is None else slot.max_value
            return round(min(max(number, low), high), 6)
        if slot.type == "list":
            return "set" if value else None
        return "set"

    def user_part(self, step: StoryStep) -> tuple[UserPart, tuple[str, ...]]:
        if step.kind == "user":
            try:
                text, annotations = parse_markup((step.text or "").strip())
            except ValueError:
                return ("text", (step.text or "").strip()), ()
            labels: set[str] = set()
            for annotation in annotations:
                if annotation.entity not in self.ignored_entities:
                    labels.update(
                        _entity_labels(annotation.entity, annotation.role, annotation.group)
                    )
            return ("text", text), tuple(sorted(labels))
        name = step.name or ""
        intent = self.ctx.intents.get(base_intent(name))
        labels = set()
        for found in step_entities(step):
            if found.entity in self.ignored_entities:
                continue
            if intent is not None:
                if intent.use_entities is not None and found.entity not in intent.use_entities:
                    continue
                if intent.ignore_entities is not None and found.entity in intent.ignore_entities:
                    continue
            labels.update(_entity_labels(found.entity, found.role, found.group))
        return ("intent", name), tuple(sorted(labels))


def _entity_labels(entity: str, role: str | None, group: str | None) -> list[str]:
    labels = [entity]
    if role:
        labels.append(f"{entity}#{role}")
    if group:
        labels.append(f"{entity}#{group}")
    return labels


def _action_target(step: StoryStep) -> str | None:
    if step.kind == "action":
        return step.name
    if step.kind == "bot":
        return f'bot: "{(step.text or "").strip()}"'
    return None


# ------------------------------------------------------------------------------- stories


class _StoryConflicts:
    def __init__(self, ctx: Context, max_history: int) -> None:
        self.ctx = ctx
        self.max_history = max_history
        self.features = _Featurizer(ctx)
        self.state_ids: dict[State, int] = {}
        self.states: list[State] = []
        self.predictions: dict[tuple[int, ...], dict[str, Source]] = {}

    def intern(self, state: State) -> int:
        found = self.state_ids.get(state)
        if found is None:
            found = len(self.states)
            self.state_ids[state] = found
            self.states.append(state)
        return found

    def snapshot(self, walker: _Walker) -> tuple[int, ...]:
        state: State = (
            walker.user,
            walker.entities,
            walker.prev,
            tuple(sorted(walker.slots.items())),
            walker.loop,
        )
        history = (*walker.history, self.intern(state))[-self.max_history :]
        walker.history = history
        return history

    def predict(self, walker: _Walker, target: str, source: Source) -> None:
        key = self.snapshot(walker)
        targets = self.predictions.get(key)
        if targets is None:
            self.predictions[key] = {target: source}
        elif target not in targets:
            targets[target] = source
        walker.prev = target
        walker.acted = True

    def step(self, walker: _Walker, step: StoryStep, source: Source) -> None:
        kind = step.kind
        if kind in ("intent", "user"):
            if walker.acted:
                self.predict(walker, LISTEN, source)
            walker.prev = LISTEN
            walker.acted = False
            walker.user, walker.entities = self.features.user_part(step)
            return
        target = _action_target(step)
        if target is not None:
            self.predict(walker, target, source)
        elif kind == "slot_was_set":
            for event in step.slots:
                self.features.apply_slot(walker.slots, event)
        elif kind == "active_loop":
            walker.loop = step.name

    def run_part(self, part: _Part, start: _Walker) -> list[_Walker]:
        stories = self.ctx.project.stories
        walkers = [start]
        for step in part.steps:
            origin = step.origin if step.origin.line else stories[part.story].origin
            source = Source(part.story, origin)
            if step.kind == "or" and step.alternatives:
                branched: dict[tuple[Any, ...], _Walker] = {}
                for walker in walkers:
                    for alternative in step.alternatives:
                        clone = walker.copy()
                        self.step(clone, alternative, source)
                        branched.setdefault(clone.freeze(), clone)
                        if len(branched) >= MAX_BRANCHES:
                            break
                walkers = list(branched.values())
            else:
                for walker in walkers:
                    self.step(walker, step, source)
        return walkers

    def finish(self, part: _Part, walker: _Walker) -> None:
        """A story that ends after a bot action waits for the user: Rasa appends action_listen."""
        if walker.acted and part.steps:
            last = part.steps[-1]
            origin = (
                last.origin if last.origin.line else self.ctx.project.stories[part.story].origin
            )
            self.predict(walker, LISTEN, Source(part.story, origin))

    def run(self) -> None:
        parts = _split_parts(self.ctx.project.stories)
        by_start: dict[str, list[int]] = {}
        for index, part in enumerate(parts):
            for name in part.starts:
                by_start.setdefault(name, []).append(index)
        seen: dict[int, set[tuple[Any, ...]]] = {}
        queue: deque[tuple[int, _Walker]] = deque()
        initial = _Walker(history=(), slots=self.features.initial_slots())
        for index, part in enumerate(parts):
            if not part.starts:
                queue.append((index, initial.copy()))
        while queue:
            index, walker = queue.popleft()
            part = parts[index]
            for end in self.run_part(part, walker):
                if not part.ends:
                    self.finish(part, end)
                    continue
                frozen = end.freeze()
                for name in part.ends:
                    for target in by_start.get(name, ()):
                        incoming = seen.setdefault(target, set())
                        if frozen in incoming or len(incoming) >= MAX_CONTEXTS_PER_PART:
                            continue
                        incoming.add(frozen)
                        queue.append((target, end.copy()))

    def report(self) -> None:
        stories = self.ctx.project.stories
        reported: set[tuple[tuple[int, str], ...]] = set()
        for key, targets in self.predictions.items():
            if len(targets) < 2:
                continue
            pairs = tuple(sorted((source.story, target) for target, source in targets.items()))
            if pairs in reported:
                continue
            reported.add(pairs)
            ordered = sorted(targets.items(), key=lambda item: item[1].story)
            described = [
                f"{story_label(stories[source.story])} ({where(source.origin)}) predicts '{target}'"
                for target, source in ordered
            ]
            actions = " vs. ".join(f"action '{target}'" for target, _ in ordered)
            message = (
                f"Story conflict after [{self.render(key)}]: {actions}. "
                + "; ".join(described)
                + f". With max_history {self.max_history} the policy sees the same history "
                "and cannot learn both; make the stories differ earlier (an intent, entity or "
                "slot) or make them predict the same action."
            )
            last = ordered[-1][1]
            self.ctx.error("story_conflict", message, last.origin)

    def render(self, key: tuple[int, ...]) -> str:
        parts: list[str] = []
        for state_id in key:
            user, entities, prev, _slots, _loop = self.states[state_id]
            if prev in (None, LISTEN):
                if user is None:
                    parts.append("(conversation start)")
                elif user[0] == "intent":
                    extra = f"{{{', '.join(entities)}}}" if entities else ""
                    parts.append(f"{user[1]}{extra}")
                else:
                    parts.append(f'user: "{user[1]}"')
            else:
                parts.append(prev)
        text = " -> ".join(parts)
        first = self.states[key[0]]
        if len(key) >= self.max_history and not (first[0] is None and first[2] is None):
            text = "... -> " + text
        _user, _entities, _prev, slots, loop = self.states[key[-1]]
        context: list[str] = []
        if slots:
            context.append("slots: " + ", ".join(f"{name}={value}" for name, value in slots))
        if loop:
            context.append(f"active loop: {loop}")
        if context:
            text += " (" + "; ".join(context) + ")"
        return text


def _split_parts(stories: tuple[Story, ...]) -> list[_Part]:
    parts: list[_Part] = []
    for index, story in enumerate(stories):
        if story.kind != "story" or story.is_test:
            continue
        starts: list[str] = []
        steps: list[StoryStep] = []
        pending: list[str] = []  # checkpoints seen after some steps
        for step in story.steps:
            if step.kind == "checkpoint":
                if steps:
                    pending.append(step.name or "")
                else:
                    starts.append(step.name or "")
                continue
            if pending:
                parts.append(_Part(index, tuple(starts), steps, tuple(pending)))
                starts, steps, pending = pending, [], []
            steps.append(step)
        if steps or pending:
            parts.append(_Part(index, tuple(starts), steps, tuple(pending)))
    return parts


# --------------------------------------------------------------------------------- rules

Token = tuple[Any, ...]


def _rule_token(step: StoryStep, features: _Featurizer) -> Token:
    if step.kind in ("intent", "user"):
        user, entities = features.user_part(step)
        return ("user", user, entities)
    if step.kind == "slot_was_set":
        return ("slots", tuple((e.name, repr(e.value), e.has_value) for e in step.slots))
    if step.kind == "active_loop":
        return ("loop", step.name)
    return (step.kind, step.name, step.text)


def _check_rules(ctx: Context) -> None:
    features = _Featurizer(ctx)
    stories = ctx.project.stories
    predictions: dict[tuple[Any, ...], dict[str, Source]] = {}

    def record(key: tuple[Any, ...], target: str, source: Source) -> None:
        targets = predictions.setdefault(key, {})
        targets.setdefault(target, source)

    for index, rule in enumerate(stories):
        if rule.kind != "rule" or rule.is_test:
            continue
        condition = tuple(
            sorted((_rule_token(step, features) for step in rule.condition), key=repr)
        )
        head: tuple[Any, ...] = (bool(rule.conversation_start), condition)
        _walk_rule(rule, index, head, features, record)

    reported: set[tuple[tuple[int, str], ...]] = set()
    for targets in predictions.values():
        if len(targets) < 2:
            continue
        pairs = tuple(sorted((source.story, target) for target, source in targets.items()))
        if pairs in reported:
            continue
        reported.add(pairs)
        ordered = sorted(targets.items(), key=lambda item: item[1].story)
        described = "; ".join(
            f"{story_label(stories[source.story])} ({where(source.origin)}) predicts '{target}'"
            for target, source in ordered
        )
        ctx.error(
            "rule_conflict",
            "Contradicting rules: they have the same conditions and steps up to here but "
            f"predict different actions: {described}. Change a condition or a step so that "
            "only one rule applies.",
            ordered[-1][1].origin,
        )


def _walk_rule(
    rule: Story,
    index: int,
    head: tuple[Any, ...],
    features: _Featurizer,
    record: Callable[[tuple[Any, ...], str, Source], None],
) -> None:
    paths: list[tuple[Token, ...]] = [()]
    last_kind = ""
    # A rule that is a snippet (not conversation_start) and begins with actions only says that
    # they ran before; Rasa predicts nothing until the rule's first user message or action.
    started = bool(rule.conversation_start)
    for step in rule.steps:
        source = Source(index, step.origin if step.origin.line else rule.origin)
        options = step.alternatives if step.kind == "or" and step.alternatives else (step,)
        kind = options[0].kind
        target = _action_target(step)
        if kind in USER_KINDS and last_kind in ("action", "bot"):
            for path in paths:
                record((head, path), LISTEN, source)
        if target is not None and started:
            for path in paths:
                record((head, path), target, source)
        if kind in USER_KINDS or target is not None:
            started = True
        paths = [(*path, _rule_token(option, features)) for path in paths for option in options][
            :MAX_BRANCHES
        ]
        last_kind = kind
    if last_kind in ("action", "bot") and rule.wait_for_user_input is not False:
        end = Source(index, rule.steps[-1].origin if rule.steps[-1].origin.line else rule.origin)
        for path in paths:
            record((head, path), LISTEN, end)


# ------------------------------------------------------------------------------ entry point


def check_conflicts(ctx: Context, max_history: int | None = None) -> None:
    history = DEFAULT_MAX_HISTORY if max_history is None else max(1, max_history)
    checker = _StoryConflicts(ctx, history)
    checker.run()
    checker.report()
    _check_rules(ctx)
