"""Reads of an assistant's items for the API: scoped to one assistant, with the related rows the
serializers need fetched up front so that a page costs the same number of queries at any size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Count, Model, OuterRef, Prefetch, Q, QuerySet, Subquery

from annotation.models import (
    Action,
    Assistant,
    DomainSettings,
    Entity,
    EntitySpan,
    Example,
    Form,
    Intent,
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


@dataclass(frozen=True)
class AssistantAccess:
    """An assistant and the role the requesting user has on it (``None``: not a member)."""

    assistant: Assistant
    role: Role | None


def _role_subquery(user: Any) -> Subquery:
    return Subquery(
        Membership.objects.filter(assistant=OuterRef("pk"), user=user).values("role")[:1]
    )


def effective_role(*, user: Any, role: str | None) -> Role | None:
    """A superuser acts as admin everywhere; everybody else has their membership's role."""
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    return Role(role) if role else None


def assistant_access(*, user: Any, assistant_id: int | str) -> AssistantAccess | None:
    """The assistant with the user's role in one query, or ``None`` when it does not exist."""
    try:
        pk = int(assistant_id)
    except (TypeError, ValueError):
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    assistant = Assistant.objects.filter(pk=pk).annotate(user_role=_role_subquery(user)).first()
    if assistant is None:
        return None
    return AssistantAccess(
        assistant=assistant,
        role=effective_role(user=user, role=getattr(assistant, "user_role", None)),
    )


def assistant_list_with_roles(*, user: Any) -> QuerySet[Assistant]:
    """The assistants the user may see, each annotated with ``user_role`` (their membership)."""
    assistants = Assistant.objects.annotate(user_role=_role_subquery(user)).order_by("name", "pk")
    if getattr(user, "is_superuser", False):
        return assistants
    return assistants.filter(Q(memberships__user=user)).distinct()


def membership_list(*, assistant: Assistant) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(assistant=assistant)
        .select_related("user")
        .order_by("user__username", "pk")
    )


def _by_name(queryset: QuerySet[Any], q: str | None) -> QuerySet[Any]:
    return queryset.filter(name__icontains=q) if q else queryset


M = TypeVar("M", bound=Model)


def _scoped(model: type[M], assistant: Assistant) -> QuerySet[M]:
    return model._default_manager.filter(assistant=assistant).select_related("file")


def intent_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[Intent]:
    intents = _scoped(Intent, assistant).annotate(example_count=Count("examples"))
    return _by_name(intents, q).order_by("position", "pk")


def entity_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[Entity]:
    return _by_name(_scoped(Entity, assistant), q).order_by("position", "pk")


def slot_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[Slot]:
    return _by_name(_scoped(Slot, assistant), q).order_by("position", "pk")


def action_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[Action]:
    return _by_name(_scoped(Action, assistant), q).order_by("position", "pk")


def form_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[Form]:
    return _by_name(_scoped(Form, assistant), q).order_by("position", "pk")


def synonym_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[Synonym]:
    return _by_name(_scoped(Synonym, assistant), q).order_by("position", "pk")


def regex_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[RegexPattern]:
    return _by_name(_scoped(RegexPattern, assistant), q).order_by("position", "pk")


def lookup_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[LookupTable]:
    return _by_name(_scoped(LookupTable, assistant), q).order_by("position", "pk")


def response_list(*, assistant: Assistant, q: str | None = None) -> QuerySet[Response]:
    variations = ResponseVariation.objects.order_by("position", "pk")
    responses = _scoped(Response, assistant).prefetch_related(
        Prefetch("variations", queryset=variations)
    )
    return _by_name(responses, q).order_by("position", "pk")


def example_list(
    *,
    assistant: Assistant,
    intent: str | None = None,
    entity: str | None = None,
    q: str | None = None,
) -> QuerySet[Example]:
    """Examples in file order; ``intent`` is an intent name, ``entity`` keeps examples with a span
    of that entity, ``q`` searches the text (case-insensitive)."""
    spans = EntitySpan.objects.order_by("position", "pk")
    examples = (
        Example.objects.filter(assistant=assistant)
        .select_related("intent")
        .prefetch_related(Prefetch("spans", queryset=spans))
    )
    if intent:
        examples = examples.filter(intent__name=intent)
    if entity:
        examples = examples.filter(
            pk__in=EntitySpan.objects.filter(assistant=assistant, entity=entity).values(
                "example_id"
            )
        )
    if q:
        examples = examples.filter(text__icontains=q)
    return examples.order_by("block__position", "block_id", "position", "pk")


def story_list(
    *,
    assistant: Assistant,
    kind: str | None = None,
    is_test: bool | None = None,
    q: str | None = None,
) -> QuerySet[Story]:
    steps = StoryStep.objects.order_by("position")
    stories = _scoped(Story, assistant).prefetch_related(Prefetch("steps", queryset=steps))
    if kind:
        stories = stories.filter(kind=kind)
    if is_test is not None:
        stories = stories.filter(is_test=is_test)
    return _by_name(stories, q).order_by("position", "pk")


def training_config_get(*, assistant: Assistant) -> TrainingConfig:
    """The assistant's config.yml; an unsaved empty one when it has none yet."""
    config = TrainingConfig.objects.filter(assistant=assistant).first()
    return config if config is not None else TrainingConfig(assistant=assistant)


def domain_settings_get(*, assistant: Assistant) -> DomainSettings:
    """The assistant's session config and domain options; unsaved defaults when it has none."""
    found = DomainSettings.objects.filter(assistant=assistant).first()
    return found if found is not None else DomainSettings(assistant=assistant)
