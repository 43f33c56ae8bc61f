"""What the validation checks share: the project's names, Rasa's built-in names, problem builders.

The checks themselves live in ``validation_domain``, ``validation_nlu``, ``validation_stories``
and ``story_conflicts``; ``validation.validate_project`` runs them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from annotation.rasa_io.types import (
    EntityDef,
    FormDef,
    IntentBlock,
    IntentDef,
    Origin,
    Problem,
    Project,
    ResponseDef,
    Severity,
    SlotDef,
    Story,
    StoryStep,
)

# Actions every Rasa assistant has without declaring them.
DEFAULT_ACTIONS = frozenset(
    {
        "action_listen",
        "action_restart",
        "action_session_start",
        "action_default_fallback",
        "action_deactivate_loop",
        "action_revert_fallback_events",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "action_two_stage_fallback",
        "action_back",
        "action_unlikely_intent",
        "action_extract_slots",
    }
)
# Intents Rasa adds to every domain.
DEFAULT_INTENTS = frozenset({"restart", "back", "out_of_scope", "session_start", "nlu_fallback"})
# Slots Rasa adds to every domain (the knowledge base ones only with action_query_knowledge_base).
DEFAULT_SLOTS = frozenset({"requested_slot", "session_started_metadata"})
KNOWLEDGE_BASE_ACTION = "action_query_knowledge_base"
KNOWLEDGE_BASE_SLOTS = frozenset(
    {
        "knowledge_base_listed_objects",
        "knowledge_base_last_object",
        "knowledge_base_last_object_type",
    }
)
# Responses that default actions send when the domain has them.
DEFAULT_RESPONSES = frozenset(
    {
        "utter_default",
        "utter_ask_rephrase",
        "utter_restart",
        "utter_back",
        "utter_revert_fallback_and_reapply_last_intent",
    }
)
# Default actions that may run as a loop (``active_loop: action_two_stage_fallback``).
DEFAULT_LOOPS = frozenset({"action_two_stage_fallback"})

USER_KINDS = frozenset({"intent", "user", "or"})


def base_intent(name: str) -> str:
    """``faq/ask_name`` -> ``faq``: a retrieval intent counts as its base intent."""
    return name.split("/", 1)[0]


def base_response(name: str) -> str:
    """``utter_faq/ask_name`` -> ``utter_faq``."""
    return name.split("/", 1)[0]


def names(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """A slot mapping's ``intent``/``not_intent`` as a tuple of names."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class StepEntity:
    """An entity of a story step: ``{city: Berlin}``, ``{entity: city, role: to}`` or ``city``."""

    entity: str
    role: str | None = None
    group: str | None = None


def step_entities(step: StoryStep) -> list[StepEntity]:
    found: list[StepEntity] = []
    for item in step.entities:
        if isinstance(item, str):
            found.append(StepEntity(item))
        elif isinstance(item, dict):
            if "entity" in item:
                role = item.get("role")
                group = item.get("group")
                found.append(
                    StepEntity(
                        str(item["entity"]),
                        None if role is None else str(role),
                        None if group is None else str(group),
                    )
                )
            else:
                found.extend(StepEntity(str(key)) for key in item)
    return found


def iter_steps(story: Story) -> Iterator[tuple[StoryStep, bool]]:
    """Every step of a story or rule, or-alternatives included; the flag says "in the condition"."""
    for step in story.condition:
        yield step, True
    for step in story.steps:
        yield step, False
        for alternative in step.alternatives:
            yield alternative, False


class Suggester:
    """Close-name suggestions (difflib), cached per kind of name and name."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], str | None] = {}

    def closest(self, name: str, candidates: Iterable[str], kind: str) -> str | None:
        key = (kind, name)
        if key not in self._cache:
            pool = [c for c in candidates if c != name]
            matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.7)
            self._cache[key] = matches[0] if matches else None
        return self._cache[key]


@dataclass
class Context:
    """Indexes of a project's names, built once, read by every check."""

    project: Project
    intents: dict[str, IntentDef] = field(default_factory=dict)  # base name -> definition
    entities: dict[str, EntityDef] = field(default_factory=dict)
    slots: dict[str, SlotDef] = field(default_factory=dict)
    responses: dict[str, ResponseDef] = field(default_factory=dict)
    response_bases: set[str] = field(default_factory=set)  # utter_faq for utter_faq/ask_x
    actions: set[str] = field(default_factory=set)  # declared custom actions
    forms: dict[str, FormDef] = field(default_factory=dict)
    known_slots: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    suggester: Suggester = field(default_factory=Suggester)

    @classmethod
    def build(cls, project: Project) -> Context:
        ctx = cls(project=project)
        domain = project.domain
        for intent in domain.intents:
            ctx.intents.setdefault(base_intent(intent.name), intent)
        for entity in domain.entities:
            ctx.entities.setdefault(entity.name, entity)
        for slot in domain.slots:
            ctx.slots.setdefault(slot.name, slot)
        for response in domain.responses:
            ctx.responses.setdefault(response.name, response)
            ctx.response_bases.add(base_response(response.name))
        ctx.actions = {action.name for action in domain.actions}
        for form in domain.forms:
            ctx.forms.setdefault(form.name, form)
        ctx.known_slots = set(ctx.slots) | DEFAULT_SLOTS
        if KNOWLEDGE_BASE_ACTION in ctx.actions:
            ctx.known_slots |= KNOWLEDGE_BASE_SLOTS
        return ctx

    # ------------------------------------------------------------------------------ lookups

    def has_intent(self, name: str) -> bool:
        base = base_intent(name)
        return base in self.intents or base in DEFAULT_INTENTS

    def has_action(self, name: str) -> bool:
        """An action a story may run: custom, form, response, retrieval, default, e2e bot text."""
        return (
            name in self.actions
            or name in self.forms
            or name in self.responses
            or name in self.response_bases
            or name in DEFAULT_ACTIONS
            or name in self.project.domain.e2e_actions
        )

    def has_loop(self, name: str) -> bool:
        return name in self.forms or name in DEFAULT_LOOPS or name in self.actions

    def intent_names(self) -> list[str]:
        return sorted(set(self.intents) | DEFAULT_INTENTS)

    def action_names(self) -> list[str]:
        return sorted(
            self.actions
            | set(self.forms)
            | set(self.responses)
            | self.response_bases
            | DEFAULT_ACTIONS
        )

    def suggest(self, name: str, candidates: Iterable[str], kind: str) -> str | None:
        return self.suggester.closest(name, candidates, kind)

    # ----------------------------------------------------------------------------- problems

    def report(
        self,
        severity: Severity,
        code: str,
        message: str,
        origin: Origin | None,
        suggestion: str | None = None,
        fallback: Origin | None = None,
    ) -> None:
        """Record a problem at ``origin`` (or ``fallback`` when the origin has no line)."""
        where = origin or Origin()
        if (
            fallback is not None
            and (not where.file or not where.line)
            and (not where.file or where.file == fallback.file)
        ):
            where = fallback
        self.problems.append(
            Problem(
                severity=severity,
                code=code,
                message=message,
                file=where.file,
                line=where.line,
                suggestion=suggestion,
            )
        )

    def error(self, code: str, message: str, origin: Origin | None, **kw: Any) -> None:
        self.report("error", code, message, origin, **kw)

    def warning(self, code: str, message: str, origin: Origin | None, **kw: Any) -> None:
        self.report("warning", code, message, origin, **kw)


def where(origin: Origin) -> str:
    """``file:line`` for a message, or ``"(not saved in a file)"``."""
    if not origin.file:
        return "(not saved in a file)"
    return f"{origin.file}:{origin.line}" if origin.line else origin.file


def story_label(story: Story) -> str:
    kind = "test story" if story.is_test else story.kind
    return f"{kind} '{story.name}'"


def intent_examples(project: Project) -> dict[str, int]:
    """Number of NLU examples per base intent."""
    counts: dict[str, int] = {}
    for item in project.nlu:
        if isinstance(item, IntentBlock):
            base = base_intent(item.intent)
            counts[base] = counts.get(base, 0) + len(item.examples)
    return counts
