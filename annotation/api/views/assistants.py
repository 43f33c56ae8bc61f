"""Assistants: the ones you are a member of (all of them for a superuser). Creating one makes
you its admin; members read it; admins change and delete it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from annotation.api import serializers as s
from annotation.api.permissions import AdminsWrite
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from annotation.models import Assistant
from annotation.selectors import items as selectors
from annotation.services import items as services


@extend_schema_view(
    list=extend_schema(tags=["assistants"], description="The assistants you are a member of."),
    create=extend_schema(tags=["assistants"], description="A new assistant; you become admin."),
    retrieve=extend_schema(tags=["assistants"]),
    update=extend_schema(tags=["assistants"]),
    partial_update=extend_schema(tags=["assistants"]),
    destroy=extend_schema(tags=["assistants"], description="Delete it with all its data."),
)
class AssistantViewSet(AssistantScopedMixin, viewsets.ModelViewSet[Assistant]):
    authentication_classes = AUTHENTICATION
    serializer_class = s.AssistantSerializer
    assistant_lookup_kwarg = "pk"
    lookup_value_converter = "int"

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "create"):
            return [IsAuthenticated()]
        return [IsAuthenticated(), AdminsWrite()]

    def get_queryset(self) -> QuerySet[Assistant]:
        if self.is_schema_view:
            return Assistant.objects.none()
        return selectors.assistant_list_with_roles(user=self.request.user)

    def get_object(self) -> Assistant:
        assistant = self.assistant  # fetched with the user's role by the permission check
        self.check_object_permissions(self.request, assistant)
        return assistant

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data = serializer.validated_data
        created = services.assistant_create(
            name=data["name"], description=data.get("description", ""), creator=self.request.user
        )
        serializer.instance = self.get_queryset().get(pk=created.pk)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        assert isinstance(serializer.instance, Assistant)
        updated = services.assistant_update(
            assistant=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = updated

    def perform_destroy(self, instance: Assistant) -> None:
        services.assistant_delete(assistant=instance)
