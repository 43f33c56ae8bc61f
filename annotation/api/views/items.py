"""The items of an assistant's domain, NLU data and stories, one viewset each.

Annotators and admins write NLU data and stories; only admins write the domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.permissions import IsAuthenticated

from annotation.api import serializers as s
from annotation.api.filters import ExampleFilter, NameFilter, StoryFilter
from annotation.api.permissions import AdminsWrite, AnnotatorsWrite
from annotation.api.views.base import AssistantItemViewSet
from annotation.models import (
    Action,
    Entity,
    Example,
    Form,
    Intent,
    LookupTable,
    RegexPattern,
    Response,
    Slot,
    Story,
    Synonym,
)
from annotation.selectors import items as selectors
from annotation.services import items as services

V = TypeVar("V", bound=type[AssistantItemViewSet])


def listed_with(filter_class: type[Any], tag: str) -> Callable[[V], V]:
    """Describe a viewset's list filters and group its operations under ``tag`` in the schema."""

    def decorate(viewset: V) -> V:
        viewset.filter_class = filter_class
        everything = {
            name: extend_schema(tags=[tag])
            for name in ("create", "retrieve", "update", "partial_update", "destroy")
        }
        return extend_schema_view(
            list=extend_schema(tags=[tag], parameters=[filter_class]), **everything
        )(viewset)

    return decorate


# ------------------------------------------------------------------------------------ domain


@listed_with(NameFilter, "domain")
class IntentViewSet(AssistantItemViewSet):
    """Intents, with how many examples each has. Annotators and admins write them."""

    model = Intent
    serializer_class = s.IntentSerializer
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.intent_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.intent_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.intent_update(intent=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.intent_delete(intent=item)


@listed_with(NameFilter, "domain")
class EntityViewSet(AssistantItemViewSet):
    """Entities with their roles and groups. Admins write them."""

    model = Entity
    serializer_class = s.EntitySerializer
    permission_classes = [IsAuthenticated, AdminsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.entity_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.entity_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.entity_update(entity=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.entity_delete(entity=item)


@listed_with(NameFilter, "domain")
class SlotViewSet(AssistantItemViewSet):
    """Slots with their type and mappings. Admins write them."""

    model = Slot
    serializer_class = s.SlotSerializer
    permission_classes = [IsAuthenticated, AdminsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.slot_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.slot_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.slot_update(slot=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.slot_delete(slot=item)


@listed_with(NameFilter, "domain")
class ActionViewSet(AssistantItemViewSet):
    """Custom actions. Admins write them."""

    model = Action
    serializer_class = s.ActionSerializer
    permission_classes = [IsAuthenticated, AdminsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.action_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.action_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.action_update(action=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.action_delete(action=item)


def _variations(data: dict[str, Any]) -> list[services.VariationInput] | None:
    raw = data.pop("variations", None)
    if raw is None:
        return None
    return [services.VariationInput(**dict(variation)) for variation in raw]


@listed_with(NameFilter, "domain")
class ResponseViewSet(AssistantItemViewSet):
    """Responses (``utter_...``) with their variations, in order. Admins write them."""

    model = Response
    serializer_class = s.ResponseSerializer
    permission_classes = [IsAuthenticated, AdminsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.response_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.response_create(
            assistant=self.assistant, name=data["name"], variations=_variations(data) or []
        )

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.response_update(
            response=item, name=data.get("name"), variations=_variations(data)
        )

    def delete_item(self, item: Any) -> None:
        services.response_delete(response=item)


@listed_with(NameFilter, "domain")
class FormViewSet(AssistantItemViewSet):
    """Forms and the slots they fill. Admins write them."""

    model = Form
    serializer_class = s.FormSerializer
    permission_classes = [IsAuthenticated, AdminsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.form_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.form_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.form_update(form=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.form_delete(form=item)


# --------------------------------------------------------------------------------------- NLU


def _spans(data: dict[str, Any]) -> list[services.SpanInput] | None:
    raw = data.pop("spans", None)
    if raw is None:
        return None
    return [services.SpanInput(**dict(span)) for span in raw]


@listed_with(ExampleFilter, "nlu")
class ExampleViewSet(AssistantItemViewSet):
    """Training examples with their entity spans; filter by intent, entity or text.

    Annotators and admins write them; ``spans`` replaces all of an example's spans."""

    model = Example
    serializer_class = s.ExampleSerializer
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.example_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.example_create(
            assistant=self.assistant,
            intent=data["intent"],
            text=data["text"],
            spans=_spans(data) or [],
            metadata=data.get("metadata"),
        )

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        extra = {"metadata": data["metadata"]} if "metadata" in data else {}
        return services.example_update(
            example=item,
            intent=data.get("intent"),
            text=data.get("text"),
            spans=_spans(data),
            **extra,
        )

    def delete_item(self, item: Any) -> None:
        services.example_delete(example=item)


@listed_with(NameFilter, "nlu")
class SynonymViewSet(AssistantItemViewSet):
    """Entity synonyms. Annotators and admins write them."""

    model = Synonym
    serializer_class = s.SynonymSerializer
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.synonym_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.synonym_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.synonym_update(synonym=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.synonym_delete(synonym=item)


@listed_with(NameFilter, "nlu")
class RegexViewSet(AssistantItemViewSet):
    """Regex features. Annotators and admins write them."""

    model = RegexPattern
    serializer_class = s.RegexSerializer
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.regex_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.regex_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.regex_update(regex=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.regex_delete(regex=item)


@listed_with(NameFilter, "nlu")
class LookupViewSet(AssistantItemViewSet):
    """Lookup tables. Annotators and admins write them."""

    model = LookupTable
    serializer_class = s.LookupSerializer
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.lookup_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        return services.lookup_create(assistant=self.assistant, data=data)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        return services.lookup_update(lookup=item, data=data)

    def delete_item(self, item: Any) -> None:
        services.lookup_delete(lookup=item)


# ----------------------------------------------------------------------------------- stories


def _steps(data: dict[str, Any]) -> list[services.StepInput] | None:
    raw = data.pop("steps", None)
    if raw is None:
        return None
    return [services.StepInput(**dict(step)) for step in raw]


@listed_with(StoryFilter, "stories")
class StoryViewSet(AssistantItemViewSet):
    """Stories and rules (``kind``) with their steps; filter by kind, test or name.

    Annotators and admins write them; ``steps`` replaces all of a story's steps."""

    model = Story
    serializer_class = s.StorySerializer
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def select(self, **filters: Any) -> QuerySet[Any]:
        return selectors.story_list(assistant=self.assistant, **filters)

    def create_item(self, data: dict[str, Any]) -> Model:
        steps = _steps(data) or []
        return services.story_create(assistant=self.assistant, data=data, steps=steps)

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        steps = _steps(data)
        return services.story_update(story=item, data=data, steps=steps)

    def delete_item(self, item: Any) -> None:
        services.story_delete(story=item)
