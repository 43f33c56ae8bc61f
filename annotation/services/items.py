"""Writes of an assistant's items and memberships, called by the API views.

Items made here have no source file (``file`` is null, ``line`` 0): an export puts them in the
default files. Updates keep an item's file, position and comments; nested rows that are sent
back with their ``id`` keep their comments and line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Model, QuerySet

from annotation.models import (
    Action,
    Assistant,
    DomainSettings,
    Entity,
    EntitySpan,
    Example,
    Form,
    Intent,
    IntentBlock,
    LookupTable,
    Membership,
    RegexPattern,
    Response,
    ResponseVariation,
    Role,
    Slot,
    Story,
    StoryStep,
    Synonym,
    TrainingConfig,
)
from annotation.services.errors import AnnotationError
from annotation.services.project_import import assistant_import_from_path

M = TypeVar("M", bound=Model)

# ---------------------------------------------------------------------------------- errors


class UserNotFoundError(AnnotationError):
    code = "user_not_found"

    def __init__(self, username: str) -> None:
        super().__init__(f"There is no user named {username!r}")


class MembershipExistsError(AnnotationError):
    code = "already_member"
    http_status = 409

    def __init__(self, username: str) -> None:
        super().__init__(f"{username!r} is already a member of this assistant")


class LastAdminError(AnnotationError):
    code = "last_admin"

    def __init__(self) -> None:
        super().__init__("An assistant needs at least one admin; make another member admin first")


class NotAssistantAdminError(AnnotationError):
    code = "not_assistant_admin"
    http_status = 403

    def __init__(self, name: str) -> None:
        super().__init__(f"Only an admin of the assistant {name!r} may replace it")


# ------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class SpanInput:
    start: int
    end: int
    entity: str
    value: str
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class VariationInput:
    id: int | None = None
    text: str | None = None
    buttons: Any = None
    image: str | None = None
    custom: Any = None
    condition: Any = None
    channel: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepInput:
    kind: str
    id: int | None = None
    name: str | None = None
    text: str | None = None
    entities: list[Any] = field(default_factory=list)
    slots: list[Any] = field(default_factory=list)
    alternatives: list[Any] = field(default_factory=list)
    metadata: Any = None


# ------------------------------------------------------------------------------- helpers


def _next_position(queryset: QuerySet[Any]) -> int:
    top = queryset.aggregate(top=Max("position"))["top"]
    return 0 if top is None else int(top) + 1


@transaction.atomic
def _set_fields(instance: M, data: Mapping[str, Any]) -> M:
    for name, value in data.items():
        setattr(instance, name, value)
    instance.save()
    return instance


@transaction.atomic
def _item_create(model: type[M], *, assistant: Assistant, data: Mapping[str, Any]) -> M:
    manager = model._default_manager
    item = model(
        assistant=assistant,
        position=_next_position(manager.filter(assistant=assistant)),
        **data,
    )
    item.save()
    return item


# ------------------------------------------------------------------------------ assistants


@transaction.atomic
def assistant_create(*, name: str, description: str = "", creator: Any) -> Assistant:
    """A new, empty assistant; its creator becomes its admin."""
    assistant = Assistant.objects.create(name=name, description=description)
    Membership.objects.create(assistant=assistant, user=creator, role=Role.ADMIN)
    return assistant


def assistant_update(*, assistant: Assistant, data: Mapping[str, Any]) -> Assistant:
    allowed = {k: v for k, v in data.items() if k in {"name", "description"}}
    for name, value in allowed.items():
        setattr(assistant, name, value)
    assistant.save()
    return assistant


def assistant_delete(*, assistant: Assistant) -> None:
    assistant.delete()


@transaction.atomic
def assistant_import_for_user(*, user: Any, name: str, path: Path, replace: bool) -> Assistant:
    """Import a project (folder or archive) as assistant ``name``. Replacing an existing assistant
    needs its admin role; a new assistant makes the importing user its admin."""
    existing = Assistant.objects.filter(name=name).first()
    if existing is not None and replace and not getattr(user, "is_superuser", False):
        is_admin = Membership.objects.filter(
            assistant=existing, user=user, role=Role.ADMIN
        ).exists()
        if not is_admin:
            raise NotAssistantAdminError(name)
    if existing is not None and replace:
        return assistant_reimport(assistant=existing, path=path)
    assistant = assistant_import_from_path(name=name, path=path, replace=replace)
    Membership.objects.get_or_create(assistant=assistant, user=user, defaults={"role": Role.ADMIN})
    return assistant


@transaction.atomic
def assistant_reimport(*, assistant: Assistant, path: Path) -> Assistant:
    """Replace the assistant's data with a project's; its members and their roles stay."""
    members = list(Membership.objects.filter(assistant=assistant).values_list("user_id", "role"))
    imported = assistant_import_from_path(name=assistant.name, path=path, replace=True)
    if imported.pk != assistant.pk:
        for user_id, role in members:
            Membership.objects.get_or_create(
                assistant=imported, user_id=user_id, defaults={"role": role}
            )
    return imported


# ----------------------------------------------------------------------------- memberships


def _admin_count(assistant: Assistant) -> int:
    return Membership.objects.filter(assistant=assistant, role=Role.ADMIN).count()


@transaction.atomic
def membership_create(*, assistant: Assistant, username: str, role: Role | str) -> Membership:
    """Add an existing user to the assistant with a role."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise UserNotFoundError(username)
    if Membership.objects.filter(assistant=assistant, user=user).exists():
        raise MembershipExistsError(username)
    return Membership.objects.create(assistant=assistant, user=user, role=Role(role))


@transaction.atomic
def membership_invite(*, assistant: Assistant, email: str, role: Role | str) -> Membership:
    """Add the person with this e-mail address, creating their account (no password yet: they
    choose one through a set-password link) when Parley does not know them."""
    email = email.strip()
    users = get_user_model().objects
    user = users.filter(email__iexact=email).first()
    if user is None:
        if users.filter(username=email).exists():
            raise MembershipExistsError(email)
        user = users.create_user(username=email, email=email)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return membership_create(assistant=assistant, username=user.get_username(), role=role)


@transaction.atomic
def membership_update(*, membership: Membership, role: Role | str) -> Membership:
    new_role = Role(role)
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.ADMIN and new_role != Role.ADMIN and _admin_count(locked.assistant) <= 1:
        raise LastAdminError()
    locked.role = new_role
    locked.save(update_fields=["role", "updated_at"])
    return locked


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    if membership.role == Role.ADMIN and _admin_count(membership.assistant) <= 1:
        raise LastAdminError()
    membership.delete()


# ---------------------------------------------------------------------------------- domain


@transaction.atomic
def intent_create(*, assistant: Assistant, data: Mapping[str, Any]) -> Intent:
    return _item_create(Intent, assistant=assistant, data=data)


@transaction.atomic
def intent_update(*, intent: Intent, data: Mapping[str, Any]) -> Intent:
    """Update an intent; a new name is carried into the story steps that predict it."""
    old_name = intent.name
    _set_fields(intent, data)
    if intent.name != old_name:
        StoryStep.objects.filter(
            story__assistant_id=intent.assistant_id, kind="intent", name=old_name
        ).update(name=intent.name)
    return intent


def intent_delete(*, intent: Intent) -> None:
    """Delete an intent with its examples."""
    intent.delete()


@transaction.atomic
def entity_create(*, assistant: Assistant, data: Mapping[str, Any]) -> Entity:
    return _item_create(Entity, assistant=assistant, data=data)


@transaction.atomic
def entity_update(*, entity: Entity, data: Mapping[str, Any]) -> Entity:
    """Update an entity; a new name is carried into the examples' spans."""
    old_name = entity.name
    _set_fields(entity, data)
    if entity.name != old_name:
        EntitySpan.objects.filter(assistant_id=entity.assistant_id, entity=old_name).update(
            entity=entity.name
        )
    return entity


def entity_delete(*, entity: Entity) -> None:
    entity.delete()


@transaction.atomic
def slot_create(*, assistant: Assistant, data: Mapping[str, Any]) -> Slot:
    return _item_create(Slot, assistant=assistant, data=data)


def slot_update(*, slot: Slot, data: Mapping[str, Any]) -> Slot:
    return _set_fields(slot, data)


def slot_delete(*, slot: Slot) -> None:
    slot.delete()


@transaction.atomic
def action_create(*, assistant: Assistant, data: Mapping[str, Any]) -> Action:
    return _item_create(Action, assistant=assistant, data=data)


def action_update(*, action: Action, data: Mapping[str, Any]) -> Action:
    return _set_fields(action, data)


def action_delete(*, action: Action) -> None:
    action.delete()


@transaction.atomic
def form_create(*, assistant: Assistant, data: Mapping[str, Any]) -> Form:
    return _item_create(Form, assistant=assistant, data=data)


def form_update(*, form: Form, data: Mapping[str, Any]) -> Form:
    return _set_fields(form, data)


def form_delete(*, form: Form) -> None:
    form.delete()


def _variations_replace(response: Response, variations: Sequence[VariationInput]) -> None:
    kept = {v.pk: v.comments for v in response.variations.all()}
    response.variations.all().delete()
    ResponseVariation.objects.bulk_create(
        ResponseVariation(
            response=response,
            position=index,
            comments=kept.get(variation.id, []) if variation.id is not None else [],
            **{k: v for k, v in dataclasses.asdict(variation).items() if k != "id"},
        )
        for index, variation in enumerate(variations)
    )


@transaction.atomic
def response_create(
    *, assistant: Assistant, name: str, variations: Sequence[VariationInput]
) -> Response:
    response = _item_create(Response, assistant=assistant, data={"name": name})
    _variations_replace(response, variations)
    return response


@transaction.atomic
def response_update(
    *,
    response: Response,
    name: str | None = None,
    variations: Sequence[VariationInput] | None = None,
) -> Response:
    """Rename a response and/or replace its variations (in the order given)."""
    if name is not None and name != response.name:
        response.name = name
        response.save(update_fields=["name", "updated_at"])
    if variations is not None:
        _variations_replace(response, variations)
    return response


def response_delete(*, response: Response) -> None:
    response.delete()


@transaction.atomic
def domain_settings_update(*, assistant: Assistant, data: Mapping[str, Any]) -> DomainSettings:
    found = DomainSettings.objects.filter(assistant=assistant).first()
    if found is None:
        return DomainSettings.objects.create(assistant=assistant, **data)
    return _set_fields(found, data)


@transaction.atomic
def training_config_update(*, assistant: Assistant, data: Mapping[str, Any]) -> TrainingConfig:
    found = TrainingConfig.objects.filter(assistant=assistant).first()
    if found is None:
        return TrainingConfig.objects.create(assistant=assistant, **data)
    return _set_fields(found, data)


# ------------------------------------------------------------------------------------- NLU


def _block_for(intent: Intent) -> IntentBlock:
    """The intent's last block (new examples join it), or a new block made here."""
    block = IntentBlock.objects.filter(intent=intent).order_by("-position", "-pk").first()
    if block is not None:
        return block
    return IntentBlock.objects.create(
        assistant_id=intent.assistant_id,
        intent=intent,
        position=_next_position(IntentBlock.objects.filter(assistant_id=intent.assistant_id)),
    )


def _spans_replace(example: Example, spans: Sequence[SpanInput]) -> None:
    EntitySpan.objects.bulk_create(
        EntitySpan(
            assistant_id=example.assistant_id,
            example=example,
            position=index,
            **dataclasses.asdict(span),
        )
        for index, span in enumerate(spans)
    )


@transaction.atomic
def example_create(
    *,
    assistant: Assistant,
    intent: Intent,
    text: str,
    spans: Sequence[SpanInput] = (),
    metadata: Any = None,
) -> Example:
    """Add a training example to the intent's last block, with its entity spans."""
    block = _block_for(intent)
    example = Example.objects.create(
        assistant=assistant,
        intent=intent,
        block=block,
        text=text,
        metadata=metadata,
        position=_next_position(Example.objects.filter(block=block)),
    )
    _spans_replace(example, spans)
    return example


_UNSET: Any = object()


@transaction.atomic
def example_update(
    *,
    example: Example,
    intent: Intent | None = None,
    text: str | None = None,
    spans: Sequence[SpanInput] | None = None,
    metadata: Any = _UNSET,
) -> Example:
    """Change an example's intent (it moves to that intent's last block), text, metadata or
    spans (``spans`` replaces them all)."""
    if spans is not None:
        EntitySpan.objects.filter(example=example).delete()
    if intent is not None and intent.pk != example.intent_id:
        block = _block_for(intent)
        example.intent = intent
        example.block = block
        example.position = _next_position(Example.objects.filter(block=block))
    if text is not None:
        example.text = text
    if metadata is not _UNSET:
        example.metadata = metadata
    example.save()
    if spans is not None:
        _spans_replace(example, spans)
    return example


def example_delete(*, example: Example) -> None:
    example.delete()


@transaction.atomic
def synonym_create(*, assistant: Assistant, data: Mapping[str, Any]) -> Synonym:
    return _item_create(Synonym, assistant=assistant, data=data)


def synonym_update(*, synonym: Synonym, data: Mapping[str, Any]) -> Synonym:
    return _set_fields(synonym, data)


def synonym_delete(*, synonym: Synonym) -> None:
    synonym.delete()


@transaction.atomic
def regex_create(*, assistant: Assistant, data: Mapping[str, Any]) -> RegexPattern:
    return _item_create(RegexPattern, assistant=assistant, data=data)


def regex_update(*, regex: RegexPattern, data: Mapping[str, Any]) -> RegexPattern:
    return _set_fields(regex, data)


def regex_delete(*, regex: RegexPattern) -> None:
    regex.delete()


@transaction.atomic
def lookup_create(*, assistant: Assistant, data: Mapping[str, Any]) -> LookupTable:
    return _item_create(LookupTable, assistant=assistant, data=data)


def lookup_update(*, lookup: LookupTable, data: Mapping[str, Any]) -> LookupTable:
    return _set_fields(lookup, data)


def lookup_delete(*, lookup: LookupTable) -> None:
    lookup.delete()


# ----------------------------------------------------------------------------------- stories


def _steps_replace(story: Story, steps: Sequence[StepInput]) -> None:
    kept = {s.pk: (s.line, s.comments) for s in story.steps.all()}
    story.steps.all().delete()
    rows = []
    for index, step in enumerate(steps):
        line, comments = kept.get(step.id, (0, [])) if step.id is not None else (0, [])
        values = {k: v for k, v in dataclasses.asdict(step).items() if k != "id"}
        rows.append(StoryStep(story=story, position=index, line=line, comments=comments, **values))
    StoryStep.objects.bulk_create(rows)


@transaction.atomic
def story_create(
    *, assistant: Assistant, data: Mapping[str, Any], steps: Sequence[StepInput]
) -> Story:
    """A story or rule (``data["kind"]``) with its steps, in order."""
    story = _item_create(Story, assistant=assistant, data=data)
    _steps_replace(story, steps)
    return story


@transaction.atomic
def story_update(
    *, story: Story, data: Mapping[str, Any], steps: Sequence[StepInput] | None = None
) -> Story:
    """Update a story's fields; ``steps`` replaces all its steps."""
    _set_fields(story, data)
    if steps is not None:
        _steps_replace(story, steps)
    return story


def story_delete(*, story: Story) -> None:
    story.delete()
