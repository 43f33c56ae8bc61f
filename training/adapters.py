"""Rasa projects and stored assistants -> the engine's frozen ``TrainingData``.

The only module that translates between ``annotation`` (Rasa file dataclasses, Django rows)
and ``training.engine`` types. ``training_data_from_project`` is pure Python (the CLI uses it
without Django); ``training_data_for_assistant`` reads the database and imports Django lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from annotation.rasa_io import types as t
from annotation.services.project_json import mapping_to_json
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    EntitySpan,
    EntitySpec,
    FormSpec,
    IntentSpec,
    NluData,
    NluExample,
    SlotSpec,
    StoryEvent,
    StorySpec,
    TrainingData,
)

if TYPE_CHECKING:
    from annotation.models import Assistant

# ``slot_was_set: [name]`` (no value) means "the slot is filled with something"
SLOT_SET_WITHOUT_VALUE = True


def training_data_for_assistant(*, assistant: Assistant) -> TrainingData:
    """The stored assistant's data, as the engine trains on it (test stories left out)."""
    from annotation.selectors.project_export import assistant_project

    return training_data_from_project(assistant_project(assistant=assistant))


def training_data_from_project(project: t.Project) -> TrainingData:
    """A Rasa project (as ``annotation.rasa_io`` reads it) as the engine's training data."""
    nlu = _nlu(project.nlu)
    # as in Rasa 3, an intent with ``intent/sub`` examples is a retrieval intent
    retrieval = {
        example.intent.split("/", 1)[0] for example in nlu.examples if "/" in example.intent
    }
    return TrainingData(
        config=_config(project.config),
        domain=_domain(project.domain, retrieval),
        nlu=nlu,
        stories=tuple(_story(story) for story in project.stories if not story.is_test),
    )


def nlu_examples_from_project(project: t.Project) -> list[NluExample]:
    """The project's labelled NLU examples (for evaluation)."""
    return list(_nlu(project.nlu).examples)


# ----------------------------------------------------------------------------------- config


def _config(config: t.TrainingConfig | None) -> EngineConfig:
    if config is None:
        return EngineConfig()
    extra = dict(config.extra)
    if config.recipe is not None:
        extra["recipe"] = config.recipe
    if config.assistant_id is not None:
        extra["assistant_id"] = config.assistant_id
    return EngineConfig(
        language=config.language or "en",
        pipeline=tuple(dict(item) for item in config.pipeline or ()),
        policies=tuple(dict(item) for item in config.policies or ()),
        extra=extra,
    )


# ----------------------------------------------------------------------------------- domain


def _domain(domain: t.Domain, retrieval: set[str]) -> DomainSpec:
    session = domain.session_config
    defaults = DomainSpec()
    return DomainSpec(
        intents=tuple(
            IntentSpec(
                name=intent.name,
                is_retrieval=intent.is_retrieval or intent.name in retrieval,
                use_entities=intent.use_entities,
                ignore_entities=intent.ignore_entities,
            )
            for intent in domain.intents
        ),
        entities=tuple(
            EntitySpec(name=entity.name, roles=entity.roles, groups=entity.groups)
            for entity in domain.entities
        ),
        slots=tuple(_slot(slot) for slot in domain.slots),
        actions=tuple(action.name for action in domain.actions),
        responses=tuple(
            (response.name, tuple(_variation(v) for v in response.variations))
            for response in domain.responses
        ),
        forms=tuple(
            FormSpec(
                name=form.name,
                required_slots=form.required_slots,
                ignored_intents=form.ignored_intents,
            )
            for form in domain.forms
        ),
        session_expiration_time=(
            session.session_expiration_time
            if session is not None and session.session_expiration_time is not None
            else defaults.session_expiration_time
        ),
        carry_over_slots_to_new_session=(
            session.carry_over_slots_to_new_session
            if session is not None and session.carry_over_slots_to_new_session is not None
            else defaults.carry_over_slots_to_new_session
        ),
    )


def _slot(slot: t.SlotDef) -> SlotSpec:
    # Rasa's default: every slot influences the conversation, except slots of type "any"
    influence = slot.influence_conversation
    if influence is None:
        influence = slot.type != "any"
    return SlotSpec(
        name=slot.name,
        type=slot.type,
        influence_conversation=influence,
        values=tuple(slot.values or ()),
        min_value=slot.min_value,
        max_value=slot.max_value,
        initial_value=slot.initial_value,
        mappings=tuple(mapping_to_json(mapping) for mapping in slot.mappings),
    )


def _variation(variation: t.ResponseVariation) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "text": variation.text,
        "buttons": None if variation.buttons is None else list(variation.buttons),
        "image": variation.image,
        "custom": variation.custom,
        "condition": None if variation.condition is None else list(variation.condition),
        "channel": variation.channel,
    }
    result = {key: value for key, value in fields.items() if value is not None}
    result.update(variation.extra)
    return result


# -------------------------------------------------------------------------------------- NLU


def _nlu(items: tuple[t.NluItem, ...]) -> NluData:
    examples: list[NluExample] = []
    regexes: list[tuple[str, tuple[str, ...]]] = []
    lookups: list[tuple[str, tuple[str, ...]]] = []
    synonyms: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, t.IntentBlock):
            examples.extend(_example(example, item.intent) for example in item.examples)
        elif isinstance(item, t.RegexPattern):
            regexes.append((item.name, item.patterns))
        elif isinstance(item, t.LookupTable):
            lookups.append((item.name, item.elements))
        elif isinstance(item, t.Synonym):
            synonyms.extend((variant, item.name) for variant in item.examples)
    return NluData(
        examples=tuple(examples),
        regexes=tuple(regexes),
        lookups=tuple(lookups),
        synonyms=tuple(synonyms),
    )


def _example(example: t.Example, intent: str) -> NluExample:
    return NluExample(
        text=example.text,
        intent=intent,
        entities=tuple(
            EntitySpan(
                start=span.start,
                end=span.end,
                entity=span.entity,
                value=span.value,
                role=span.role,
                group=span.group,
            )
            for span in example.entities
        ),
    )


# ------------------------------------------------------------------------------ stories


def _story(story: t.Story) -> StorySpec:
    return StorySpec(
        name=story.name,
        events=_events(story.steps),
        is_rule=story.kind == "rule",
        condition=_events(story.condition),
        conversation_start=bool(story.conversation_start),
        wait_for_user_input=story.wait_for_user_input is not False,
    )


def _events(steps: tuple[t.StoryStep, ...]) -> tuple[StoryEvent, ...]:
    return tuple(event for step in steps for event in _step_events(step))


def _step_events(step: t.StoryStep) -> list[StoryEvent]:
    if step.kind == "intent":
        return [
            StoryEvent(
                kind="intent",
                name=step.name,
                text=step.text,
                entities=_step_entities(step.entities),
            )
        ]
    if step.kind == "slot_was_set":
        return [
            StoryEvent(
                kind="slot",
                name=slot.name,
                value=slot.value if slot.has_value else SLOT_SET_WITHOUT_VALUE,
            )
            for slot in step.slots
        ]
    if step.kind == "or":
        # an alternative that sets several slots becomes one alternative per slot
        return [StoryEvent(kind="or", alternatives=_events(step.alternatives))]
    if step.kind in ("user", "bot"):
        return [StoryEvent(kind=step.kind, text=step.text)]
    # action, active_loop (name None ends the loop), checkpoint
    return [StoryEvent(kind=step.kind, name=step.name)]


def _step_entities(entities: tuple[Any, ...]) -> tuple[dict[str, Any], ...]:
    """Story entities as written (``city``, ``{city: Berlin}``, ``{entity: city, ...}``) as
    ``{entity, value, role, group}`` dicts."""
    found: list[dict[str, Any]] = []
    for item in entities:
        if isinstance(item, str):
            found.append(_entity(item))
        elif isinstance(item, dict) and "entity" in item:
            found.append(
                _entity(str(item["entity"]), item.get("value"), item.get("role"), item.get("group"))
            )
        elif isinstance(item, dict):
            found.extend(_entity(str(name), value) for name, value in item.items())
    return tuple(found)


def _entity(name: str, value: Any = None, role: Any = None, group: Any = None) -> dict[str, Any]:
    return {"entity": name, "value": value, "role": role, "group": group}
