"""What the engine trains on: frozen, framework-free training data.

``training/adapters.py`` builds these from an assistant (Django) or from a Rasa project read by
``annotation.rasa_io``; the engine never reads files or databases itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EntitySpan:
    start: int
    end: int
    entity: str
    value: str
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class NluExample:
    text: str
    intent: str  # full name; retrieval intents keep their sub-intent: "faq/ask_name"
    entities: tuple[EntitySpan, ...] = ()


@dataclass(frozen=True)
class NluData:
    examples: tuple[NluExample, ...] = ()
    regexes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, patterns)
    lookups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, elements)
    synonyms: tuple[tuple[str, str], ...] = ()  # (variant as written, canonical value)


@dataclass(frozen=True)
class SlotSpec:
    name: str
    type: str
    influence_conversation: bool = True
    values: tuple[Any, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    initial_value: Any = None
    mappings: tuple[dict[str, Any], ...] = ()  # Rasa 3 mapping dicts, as in domain.yml


@dataclass(frozen=True)
class IntentSpec:
    name: str
    is_retrieval: bool = False
    use_entities: tuple[str, ...] | None = None
    ignore_entities: tuple[str, ...] | None = None


@dataclass(frozen=True)
class EntitySpec:
    name: str
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSpec:
    name: str
    required_slots: tuple[str, ...] = ()
    ignored_intents: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainSpec:
    intents: tuple[IntentSpec, ...] = ()
    entities: tuple[EntitySpec, ...] = ()
    slots: tuple[SlotSpec, ...] = ()
    actions: tuple[str, ...] = ()  # custom action names, in domain order
    # response name -> variations (dicts with text, buttons, image, custom, condition, channel)
    responses: tuple[tuple[str, tuple[dict[str, Any], ...]], ...] = ()
    forms: tuple[FormSpec, ...] = ()
    session_expiration_time: float = 60.0
    carry_over_slots_to_new_session: bool = True

    def response_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.responses)


@dataclass(frozen=True)
class StoryEvent:
    """One step of a training dialogue (stories and rules, or-steps and checkpoints kept).

    kind: intent (name, entities as {entity, value, role, group} dicts, text for e2e) | user
    (text) | action (name) | bot (text) | slot (name, value) | active_loop (name, None ends it)
    | checkpoint (name) | or (alternatives).
    """

    kind: str
    name: str | None = None
    text: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    value: Any = None
    alternatives: tuple[StoryEvent, ...] = ()


@dataclass(frozen=True)
class StorySpec:
    name: str
    events: tuple[StoryEvent, ...]
    is_rule: bool = False
    condition: tuple[StoryEvent, ...] = ()
    conversation_start: bool = False
    wait_for_user_input: bool = True


@dataclass(frozen=True)
class EngineConfig:
    """``config.yml``: language, pipeline and policies as written (defaults filled by the graph)."""

    language: str = "en"
    pipeline: tuple[dict[str, Any], ...] = ()
    policies: tuple[dict[str, Any], ...] = ()
    # the ``assistant_id`` / ``recipe`` keys: kept, never affect training
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingData:
    config: EngineConfig
    domain: DomainSpec
    nlu: NluData
    stories: tuple[StorySpec, ...] = ()  # stories and rules (is_rule); test stories excluded


def fingerprint_of(value: Any) -> str:
    """A stable content hash of a dataclass (or JSON-able value)."""
    raw = asdict(value) if hasattr(value, "__dataclass_fields__") else value
    payload = json.dumps(raw, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
