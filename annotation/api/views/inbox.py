"""The NLU inbox: user messages that are not examples yet, to confirm (as examples), archive or
delete, one at a time or in bulk. Viewers read; annotators and admins write."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from annotation.api.filters import InboxFilter, query_params
from annotation.api.permissions import AnnotatorsWrite
from annotation.api.serializers import review as s
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from annotation.models import InboxItem
from annotation.selectors.inbox import inbox_list
from annotation.services import inbox as services

TAG = "inbox"
_ERRORS = {400: OpenApiResponse(description="Invalid input"), 403: None, 404: None}


@extend_schema_view(list=extend_schema(tags=[TAG], parameters=[InboxFilter]))
class InboxViewSet(AssistantScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet[InboxItem]):
    """User messages of recorded conversations, duplicates merged; least certain first."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AnnotatorsWrite]
    lookup_value_converter = "int"
    serializer_class = s.InboxItemSerializer

    def get_queryset(self) -> QuerySet[InboxItem]:
        if self.is_schema_view:
            return InboxItem.objects.none()
        return inbox_list(assistant=self.assistant, **query_params(self.request, InboxFilter))

    def _item(self) -> InboxItem:
        return get_object_or_404(InboxItem, assistant=self.assistant, pk=self.kwargs["pk"])

    @extend_schema(
        tags=[TAG],
        request=s.ConfirmSerializer,
        responses={201: s.ConfirmResultSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: int, assistant_pk: int) -> Response:
        """Make the message an NLU example of ``intent`` with ``entities`` as its spans (the
        predicted ones when left out); ``create_intent`` adds an intent the assistant lacks."""
        body = s.ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(body.validated_data)
        example = services.inbox_item_confirm(
            item=self._item(),
            intent=data["intent"],
            entities=[dict(e) for e in data["entities"]] if "entities" in data else None,
            create_intent=data["create_intent"],
        )
        return Response({"example_id": example.pk}, status=201)

    @extend_schema(tags=[TAG], request=None, responses={204: None, 403: None, 404: None})
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: int, assistant_pk: int) -> Response:
        """Put the message aside (``status=archived`` lists it)."""
        services.inbox_item_archive(item=self._item())
        return Response(status=204)

    @extend_schema(tags=[TAG], request=None, responses={204: None, 403: None, 404: None})
    @action(detail=True, methods=["post"], url_path="delete", url_name="delete")
    def remove(self, request: Request, pk: int, assistant_pk: int) -> Response:
        """Drop the message from the inbox (it does not come back when said again)."""
        services.inbox_item_delete(item=self._item())
        return Response(status=204)

    @extend_schema(
        tags=[TAG], request=s.BulkSerializer, responses={200: s.BulkResultSerializer, **_ERRORS}
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request, assistant_pk: int) -> Response:
        """Confirm (each with its predicted intent and entities), archive or delete many
        messages; ``done`` says how many were (confirming skips those without a known intent)."""
        body = s.BulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.inbox_items_bulk(
            assistant=self.assistant,
            ids=body.validated_data["ids"],
            action=body.validated_data["action"],
        )
        return Response({"done": done})
