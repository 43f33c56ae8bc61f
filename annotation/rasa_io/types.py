"""Typed, framework-free view of a Rasa project: what the reader produces and the writer consumes.

Every item keeps where it came from (``origin``: file and line) and the comments that sit on it,
so that an export writes the same files, in the same order, with the same comments.

Comment convention
------------------
``Comment.path`` is relative to the item that owns it: ``()`` is the item itself, ``("slots",)``
or ``("required_slots", 0)`` a key or list element inside the item's YAML value.
``Comment.where`` is ``"before"`` (whole comment lines above that node) or ``"inline"`` (the
comment at the end of the line where that node starts). Lines keep their ``#`` and lose their
indentation. Comment lines that follow the last item of a section belong to the file
(``ProjectFileInfo.comments`` with path ``(section,)`` and where ``"after"``); comment lines
above a top-level key belong to the file with path ``(section,)`` and ``"before"``; the header
of a file (above its first key) has path ``()`` and ``"before"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CommentPlace = Literal["before", "inline", "after"]
PathPart = str | int


@dataclass(frozen=True)
class Comment:
    path: tuple[PathPart, ...]
    where: CommentPlace
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Origin:
    """Where an item was read from: project-relative POSIX path, 1-based line (0: unknown)."""

    file: str = ""
    line: int = 0


NO_ORIGIN = Origin()

# --------------------------------------------------------------------------------------- NLU


@dataclass(frozen=True)
class EntityAnnotation:
    """An entity span in an example's plain text: ``text[start:end]`` is the annotated words."""

    start: int
    end: int
    entity: str
    value: str
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Example:
    text: str  # plain text, markup removed
    entities: tuple[EntityAnnotation, ...] = ()
    metadata: Any = None
    origin: Origin = NO_ORIGIN


@dataclass(frozen=True)
class IntentBlock:
    """One ``- intent: name`` block of an NLU file."""

    intent: str
    examples: tuple[Example, ...]
    metadata: Any = None
    # True when the file used the list form (``examples: [{text: .., metadata: ..}]``)
    examples_as_list: bool = False
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class Synonym:
    name: str  # the canonical value
    examples: tuple[str, ...]
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class RegexPattern:
    name: str
    patterns: tuple[str, ...]
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class LookupTable:
    name: str
    elements: tuple[str, ...]
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


NluItem = IntentBlock | Synonym | RegexPattern | LookupTable

# ------------------------------------------------------------------------------------ domain


@dataclass(frozen=True)
class IntentDef:
    name: str
    use_entities: tuple[str, ...] | None = None  # None: all entities (Rasa's default)
    ignore_entities: tuple[str, ...] | None = None
    is_retrieval: bool = False
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class EntityDef:
    name: str
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    influence_conversation: bool | None = None
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class MappingCondition:
    active_loop: str | None
    requested_slot: str | None = None


@dataclass(frozen=True)
class SlotMapping:
    """One entry of a slot's ``mappings`` (Rasa 3 form; Rasa 2 form mappings are converted)."""

    type: str  # from_entity | from_text | from_intent | from_trigger_intent | custom
    entity: str | None = None
    intent: str | tuple[str, ...] | None = None
    not_intent: str | tuple[str, ...] | None = None
    role: str | None = None
    group: str | None = None
    value: Any = None
    has_value: bool = False  # ``value: null`` differs from no value key
    action: str | None = None
    conditions: tuple[MappingCondition, ...] = ()


SLOT_TYPES = ("text", "bool", "categorical", "float", "list", "any")


@dataclass(frozen=True)
class SlotDef:
    name: str
    type: str
    influence_conversation: bool | None = None
    values: tuple[Any, ...] | None = None  # categorical
    min_value: float | None = None  # float
    max_value: float | None = None
    initial_value: Any = None
    mappings: tuple[SlotMapping, ...] = ()
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class ResponseVariation:
    text: str | None = None
    buttons: tuple[Any, ...] | None = None
    image: str | None = None
    custom: Any = None
    condition: tuple[Any, ...] | None = None
    channel: str | None = None
    # other keys Rasa passes through to channels (quick_replies, attachment, elements, metadata, id)
    extra: dict[str, Any] = field(default_factory=dict)
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class ResponseDef:
    name: str
    variations: tuple[ResponseVariation, ...]
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class ActionDef:
    name: str
    send_domain: bool | None = None
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class FormDef:
    name: str
    required_slots: tuple[str, ...] = ()
    ignored_intents: tuple[str, ...] = ()
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class SessionConfig:
    session_expiration_time: float | None = None
    carry_over_slots_to_new_session: bool | None = None
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class Domain:
    intents: tuple[IntentDef, ...] = ()
    entities: tuple[EntityDef, ...] = ()
    slots: tuple[SlotDef, ...] = ()
    responses: tuple[ResponseDef, ...] = ()
    actions: tuple[ActionDef, ...] = ()
    forms: tuple[FormDef, ...] = ()
    session_config: SessionConfig | None = None
    # the domain's ``config:`` block (store_entities_as_slots) and ``e2e_actions`` list
    config: dict[str, Any] = field(default_factory=dict)
    e2e_actions: tuple[str, ...] = ()


# ---------------------------------------------------------------------------- stories, rules

StepKind = Literal[
    "intent", "user", "action", "bot", "slot_was_set", "active_loop", "checkpoint", "or"
]


@dataclass(frozen=True)
class SlotEvent:
    name: str
    value: Any = None
    has_value: bool = True  # False for the bare ``- slot_name`` form


@dataclass(frozen=True)
class StoryStep:
    """One step. ``kind`` says which fields matter:

    intent: ``name`` (intent), ``entities``, and ``text`` when a test story also gives ``user:``;
    user: ``text`` (end-to-end user text, markup kept as written); action: ``name``;
    bot: ``text``; slot_was_set: ``slots``; active_loop: ``name`` (None for ``active_loop: null``);
    checkpoint: ``name``; or: ``alternatives`` (intent / user / slot_was_set steps).
    """

    kind: StepKind
    name: str | None = None
    text: str | None = None
    # as written: a list of {entity: value} or {entity, value, role, group} dicts, or names
    entities: tuple[Any, ...] = ()
    slots: tuple[SlotEvent, ...] = ()
    alternatives: tuple[StoryStep, ...] = ()
    metadata: Any = None
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class Story:
    kind: Literal["story", "rule"]
    name: str
    steps: tuple[StoryStep, ...]
    condition: tuple[StoryStep, ...] = ()  # rules: active_loop / slot_was_set steps
    conversation_start: bool | None = None
    wait_for_user_input: bool | None = None
    metadata: Any = None
    is_test: bool = False  # read from a test stories file (tests/)
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


# ---------------------------------------------------------------------------- config, files


@dataclass(frozen=True)
class TrainingConfig:
    recipe: str | None = None
    language: str | None = None
    pipeline: tuple[dict[str, Any], ...] | None = None  # None: key absent or empty
    policies: tuple[dict[str, Any], ...] | None = None
    assistant_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # importers, core/nlu targets, ...
    origin: Origin = NO_ORIGIN
    comments: tuple[Comment, ...] = ()


FileKind = Literal["config", "domain", "data", "tests", "asset"]


@dataclass(frozen=True)
class ProjectFileInfo:
    """A file of the project: where it lies, its format version, its top-level keys in order."""

    path: str
    kind: FileKind
    version: str | None = None
    sections: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()


@dataclass(frozen=True)
class Asset:
    """A file Parley keeps but does not interpret (endpoints.yml, actions/*.py, data JSON)."""

    path: str
    content: bytes


@dataclass(frozen=True)
class Project:
    files: tuple[ProjectFileInfo, ...] = ()
    config: TrainingConfig | None = None
    domain: Domain = field(default_factory=Domain)
    nlu: tuple[NluItem, ...] = ()
    stories: tuple[Story, ...] = ()  # stories, rules and test stories, in file order
    assets: tuple[Asset, ...] = ()


# ----------------------------------------------------------------------------------- issues


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """A finding about a project, with a stable code and where it is."""

    severity: Severity
    code: str
    message: str
    file: str = ""
    line: int = 0
    suggestion: str | None = None

    def location(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "suggestion": self.suggestion,
        }
