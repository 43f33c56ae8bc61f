"""Reviewing recorded conversations: the filtered list, events a window at a time, tags,
reviewed and flagged marks, and saving a conversation as a story. Viewers read; annotators
and admins write."""

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
from rest_framework.views import APIView

from annotation.api.filters import ConversationFilter, EventWindowParams, TagFilter, query_params
from annotation.api.permissions import AnnotatorsWrite
from annotation.api.serializers import review as s
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from annotation.models import Conversation
from annotation.selectors.conversations import (
    conversation_event_window,
    conversation_review_list,
    conversation_story,
    conversation_tag_counts,
    story_yaml,
)
from annotation.services import review as services

TAG = "conversations"
_ERRORS = {400: OpenApiResponse(description="Invalid input"), 403: None, 404: None}


def _body(request: Request, serializer_class: type[Any]) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


@extend_schema_view(
    list=extend_schema(tags=[TAG], parameters=[ConversationFilter]),
    retrieve=extend_schema(tags=[TAG]),
)
class ConversationViewSet(
    AssistantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Conversation],
):
    """Recorded conversations, newest first; every filter keeps the conversations with at
    least one matching event."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AnnotatorsWrite]
    lookup_value_converter = "int"
    serializer_class = s.ConversationSerializer

    def get_queryset(self) -> QuerySet[Conversation]:
        if self.is_schema_view:
            return Conversation.objects.none()
        filters = query_params(self.request, ConversationFilter) if self.action == "list" else {}
        return conversation_review_list(assistant=self.assistant, **filters)

    def get_serializer_class(self) -> type[Any]:
        return s.ConversationSerializer if self.action == "list" else s.ConversationDetailSerializer

    def _conversation(self) -> Conversation:
        """The conversation of the URL, without the list's annotations."""
        return get_object_or_404(Conversation, assistant=self.assistant, pk=self.kwargs["pk"])

    def _detail(self, conversation: Conversation) -> Response:
        fresh = self.get_queryset().get(pk=conversation.pk)
        return Response(s.ConversationDetailSerializer(fresh).data)

    @extend_schema(tags=[TAG], parameters=[EventWindowParams], responses=s.EventWindowSerializer)
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: int, assistant_pk: int) -> Response:
        """Events in order, ``limit`` at a time after position ``after``; ``next_after`` is the
        ``after`` of the next window (null at the end)."""
        params = query_params(request, EventWindowParams)
        rows, next_after = conversation_event_window(
            conversation=self._conversation(), after=params["after"], limit=params["limit"]
        )
        return Response(
            {"results": s.EventSerializer(rows, many=True).data, "next_after": next_after}
        )

    @extend_schema(
        tags=[TAG],
        request=s.TagsSerializer,
        responses={200: s.ConversationDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def tags(self, request: Request, pk: int, assistant_pk: int) -> Response:
        """Replace the conversation's tags."""
        conversation = self._conversation()
        services.conversation_tag(
            conversation=conversation, tags=_body(request, s.TagsSerializer)["tags"]
        )
        return self._detail(conversation)

    @extend_schema(
        tags=[TAG],
        request=s.ReviewSerializer,
        responses={200: s.ConversationDetailSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: int, assistant_pk: int) -> Response:
        """Mark the conversation as reviewed, or not."""
        conversation = self._conversation()
        reviewed = _body(request, s.ReviewSerializer)["reviewed"]
        services.conversation_review(conversation=conversation, reviewed=reviewed)
        return self._detail(conversation)

    @extend_schema(
        tags=[TAG], request=s.FlagSerializer, responses={200: s.FlagResultSerializer, **_ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="events/<int:position>/flag", url_name="flag")
    def flag(self, request: Request, pk: int, assistant_pk: int, position: int) -> Response:
        """Flag (or unflag) one event of the conversation."""
        flagged = _body(request, s.FlagSerializer)["flagged"]
        services.event_flag(conversation=self._conversation(), position=position, flagged=flagged)
        return Response({"position": position, "flagged": flagged})

    @extend_schema(
        tags=[TAG],
        request=s.SaveStorySerializer,
        responses={201: s.SavedStorySerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="save-story", url_name="save-story")
    def save_story(self, request: Request, pk: int, assistant_pk: int) -> Response:
        """Save the conversation's latest session as a story, or as a test story (user texts
        kept). A 400 ``unknown_names`` lists the intents and actions the domain lacks
        (``unknown_intents``, ``unknown_actions``)."""
        body = _body(request, s.SaveStorySerializer)
        conversation = self._conversation()
        story = conversation_story(
            conversation=conversation, name=(body.get("name") or "").strip(), test=body["test"]
        )
        row = services.conversation_save_story(conversation=conversation, story=story)
        return Response(
            {"id": row.pk, "name": row.name, "is_test": row.is_test, "yaml": story_yaml(story)},
            status=201,
        )


class TagListView(AssistantScopedMixin, APIView):
    """The tags in use on the assistant's conversations, with how many have each."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    @extend_schema(tags=[TAG], parameters=[TagFilter], responses=s.TagCountSerializer(many=True))
    def get(self, request: Request, assistant_pk: int) -> Response:
        params = query_params(request, TagFilter)
        return Response(conversation_tag_counts(assistant=self.assistant, q=params.get("q")))
