"""A reviewer's writes on recorded conversations: tags, reviewed, flagged events, and saving a
conversation as a story or a test story of the assistant's training data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotation.models import (
    Action,
    Conversation,
    ConversationTag,
    Event,
    Form,
    Intent,
    Response,
    Story,
)
from annotation.rasa_io.types import Story as StoryData
from annotation.rasa_io.types import StoryStep as StepData
from annotation.rasa_io.validation_context import DEFAULT_ACTIONS, DEFAULT_INTENTS, DEFAULT_LOOPS
from annotation.services.errors import AnnotationError
from annotation.services.items import StepInput, story_create
from annotation.services.project_json import slots_to_json

TAG_MAX_LENGTH = 100

# ---------------------------------------------------------------------------------- errors


class EventNotFoundError(AnnotationError):
    code = "not_found"
    http_status = 404

    def __init__(self, position: int) -> None:
        super().__init__(f"This conversation has no event at position {position}")


class InvalidTagError(AnnotationError):
    code = "invalid_tag"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class UnknownNamesError(AnnotationError):
    """The story names intents or actions the assistant's domain does not have."""

    code = "unknown_names"

    def __init__(self, *, intents: Sequence[str], actions: Sequence[str]) -> None:
        self.details = {"unknown_intents": list(intents), "unknown_actions": list(actions)}
        named = [
            f"{what} {', '.join(names)}"
            for what, names in (("intents", intents), ("actions", actions))
            if names
        ]
        super().__init__(
            f"The conversation uses names the assistant does not have ({'; '.join(named)}); "
            "add them to the domain first"
        )


# ------------------------------------------------------------------------------- review


def _tag_names(tags: Iterable[str]) -> list[str]:
    names: list[str] = []
    for tag in tags:
        name = tag.strip()
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise InvalidTagError(f"A tag has at most {TAG_MAX_LENGTH} characters: {name[:20]!r}…")
        if name not in names:
            names.append(name)
    return names


@transaction.atomic
def conversation_tag(*, conversation: Conversation, tags: Iterable[str]) -> list[str]:
    """Replace the conversation's tags (stripped, duplicates and blanks dropped)."""
    names = _tag_names(tags)
    ConversationTag.objects.filter(conversation=conversation).exclude(name__in=names).delete()
    have = set(
        ConversationTag.objects.filter(conversation=conversation).values_list("name", flat=True)
    )
    ConversationTag.objects.bulk_create(
        ConversationTag(assistant_id=conversation.assistant_id, conversation=conversation, name=n)
        for n in names
        if n not in have
    )
    return sorted(names)


def conversation_review(*, conversation: Conversation, reviewed: bool) -> None:
    """Mark the conversation as reviewed, or not."""
    Conversation.objects.filter(pk=conversation.pk).update(reviewed=reviewed)
    conversation.reviewed = reviewed


def event_flag(*, conversation: Conversation, position: int, flagged: bool) -> None:
    """Flag (or unflag) the conversation's event at ``position`` for a later look."""
    found = Event.objects.filter(conversation=conversation, position=position).update(
        flagged=flagged
    )
    if not found:
        raise EventNotFoundError(position)
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())


# -------------------------------------------------------------------------------- story


def _names(steps: Iterable[StepData], kind: str) -> set[str]:
    return {step.name for step in steps if step.kind == kind and step.name}


def _check_names(conversation: Conversation, story: StoryData) -> None:
    assistant_id = conversation.assistant_id
    intents = _names(story.steps, "intent")
    actions = _names(story.steps, "action")
    loops = _names(story.steps, "active_loop")
    known_intents = set(
        Intent.objects.filter(assistant_id=assistant_id, name__in=intents).values_list(
            "name", flat=True
        )
    )
    forms = set(
        Form.objects.filter(assistant_id=assistant_id, name__in=actions | loops).values_list(
            "name", flat=True
        )
    )
    known_actions = forms | set(
        Action.objects.filter(assistant_id=assistant_id, name__in=actions).values_list(
            "name", flat=True
        )
    )
    known_actions |= set(
        Response.objects.filter(assistant_id=assistant_id, name__in=actions).values_list(
            "name", flat=True
        )
    )
    unknown_intents = sorted(intents - known_intents - DEFAULT_INTENTS)
    unknown_actions = sorted(
        (actions - known_actions - DEFAULT_ACTIONS) | (loops - forms - DEFAULT_LOOPS)
    )
    if unknown_intents or unknown_actions:
        raise UnknownNamesError(intents=unknown_intents, actions=unknown_actions)


def _step_input(step: StepData) -> StepInput:
    return StepInput(
        kind=step.kind,
        name=step.name,
        text=step.text,
        entities=list(step.entities),
        slots=slots_to_json(step.slots),
    )


@transaction.atomic
def conversation_save_story(*, conversation: Conversation, story: StoryData) -> Story:
    """Store ``story`` (made from the conversation by
    :func:`annotation.selectors.conversations.conversation_story`) in the assistant's training
    data, or its tests when ``story.is_test``. Refused when it names intents or actions the
    domain does not have (:class:`UnknownNamesError` lists them)."""
    _check_names(conversation, story)
    data: dict[str, Any] = {"name": story.name, "kind": "story", "is_test": story.is_test}
    return story_create(
        assistant=conversation.assistant,
        data=data,
        steps=[_step_input(step) for step in story.steps],
    )
