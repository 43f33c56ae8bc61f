"""Who may work on an assistant, and as what. Members see the list; admins change it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.api import serializers as s
from annotation.api.permissions import AdminsWrite
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from annotation.models import Membership
from annotation.selectors import items as selectors
from annotation.services import items as services


@extend_schema_view(
    list=extend_schema(tags=["members"]),
    retrieve=extend_schema(tags=["members"]),
    create=extend_schema(
        tags=["members"],
        request=s.MembershipCreateSerializer,
        responses={201: s.MembershipSerializer},
        description="Invite an existing user by username, with a role.",
    ),
    update=extend_schema(tags=["members"], description="Change a member's role."),
    partial_update=extend_schema(tags=["members"], description="Change a member's role."),
    destroy=extend_schema(tags=["members"], description="Remove a member."),
)
class MembershipViewSet(
    AssistantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Membership],
):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AdminsWrite]
    serializer_class = s.MembershipSerializer
    lookup_value_converter = "int"

    def get_queryset(self) -> QuerySet[Membership]:
        if self.is_schema_view:
            return Membership.objects.none()
        return selectors.membership_list(assistant=self.assistant)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return s.MembershipCreateSerializer if self.action == "create" else s.MembershipSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = s.MembershipCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = services.membership_create(
            assistant=self.assistant,
            username=payload.validated_data["username"],
            role=payload.validated_data["role"],
        )
        fresh = self.get_queryset().get(pk=membership.pk)
        return Response(s.MembershipSerializer(fresh).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        assert isinstance(serializer.instance, Membership)
        role = serializer.validated_data.get("role", serializer.instance.role)
        updated = services.membership_update(membership=serializer.instance, role=role)
        serializer.instance = self.get_queryset().get(pk=updated.pk)

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_delete(membership=instance)
