"""What every view under ``/api/v1/assistants/<assistant_pk>/`` shares: authentication, the
assistant from the URL (looked up once, with the user's role), role permissions, and writes
that go through the services."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated

from annotation.api.filters import NameFilter, query_params
from annotation.api.permissions import AnnotatorsWrite, request_assistant_access
from annotation.models import Assistant

# Token first, so that an unauthenticated request gets 401 with ``WWW-Authenticate: Token``.
AUTHENTICATION = [TokenAuthentication, SessionAuthentication]


class AssistantScopedMixin:
    """The assistant named by ``assistant_lookup_kwarg`` in the URL; permission classes have
    already answered 404 to non-members by the time a handler runs."""

    assistant_lookup_kwarg = "assistant_pk"
    request: Any

    @property
    def assistant(self) -> Assistant:
        access = request_assistant_access(self.request, self)
        if access is None:  # the permission classes make this unreachable
            raise RuntimeError("assistant view without an assistant in its URL")
        return access.assistant

    @property
    def is_schema_view(self) -> bool:
        return bool(getattr(self, "swagger_fake_view", False))


class AssistantItemViewSet(AssistantScopedMixin, viewsets.ModelViewSet[Any]):
    """Items of one assistant: list (paginated, filtered), create, retrieve, update, delete.

    Subclasses say which model (``model``), how to read (``select``) and how to write
    (``create_item``, ``update_item``, ``delete_item``, which call the services)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AnnotatorsWrite]
    lookup_value_converter = "int"
    model: ClassVar[type[Model]]
    filter_class: ClassVar[type[serializers.Serializer[Any]]] = NameFilter

    def select(self, **filters: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def create_item(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def update_item(self, item: Any, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def delete_item(self, item: Any) -> None:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if self.is_schema_view:
            return self.model._default_manager.none()
        filters = query_params(self.request, self.filter_class) if self.action == "list" else {}
        return self.select(**filters)

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not self.is_schema_view:
            context["assistant"] = self.assistant
        return context

    def _fresh(self, item: Model) -> Model:
        """The item read back the way a list reads it (annotations, prefetched children)."""
        return self.select().get(pk=item.pk)

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        item = self.create_item(dict(serializer.validated_data))
        serializer.instance = self._fresh(item)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        item = self.update_item(serializer.instance, dict(serializer.validated_data))
        serializer.instance = self._fresh(item)

    def perform_destroy(self, instance: Any) -> None:
        self.delete_item(instance)
