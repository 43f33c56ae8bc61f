"""``/api/v1/assistants/<id>/interactive/``: interactive learning sessions (talk to the bot,
correct it, save the session as training data) and the on-the-fly model version (keep it or
throw it away). Members read; annotators and admins talk and correct; a save that adds
intents, responses or actions to the domain needs an admin, like any domain change."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.api.permissions import AnnotatorsWrite, request_assistant_access
from annotation.api.views.base import AUTHENTICATION, AssistantScopedMixin
from annotation.models import Conversation, Role
from training.interactive import learning
from training.interactive import services as interactive
from training.interactive.services import CHANNEL, EntityInput

TAG = "interactive"
_ERRORS = {400: OpenApiResponse(description="Invalid input"), 403: None, 404: None, 409: None}


class InteractiveStartSerializer(serializers.Serializer[Any]):
    conversation = serializers.IntegerField(
        required=False, help_text="Fork this recorded conversation (any channel)."
    )
    position = serializers.IntegerField(
        required=False, min_value=0, help_text="...at the event at this position (included)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("conversation" in attrs) != ("position" in attrs):
            raise serializers.ValidationError("Send both conversation and position, or neither.")
        return attrs


class InteractiveTextSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=5000, trim_whitespace=False)


class InteractiveEntitySerializer(serializers.Serializer[Any]):
    entity = serializers.CharField(max_length=200)
    value = serializers.CharField(max_length=5000, allow_blank=True)
    start = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    end = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    role = serializers.CharField(required=False, allow_null=True, max_length=200)
    group = serializers.CharField(required=False, allow_null=True, max_length=200)


class InteractiveMessageSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=5000, trim_whitespace=False)
    intent = serializers.RegexField(r"^[^\s/{}]+$", max_length=200)
    entities = InteractiveEntitySerializer(many=True, required=False, allow_null=True, default=None)


class InteractiveActionSerializer(serializers.Serializer[Any]):
    name = serializers.RegexField(r"^[^\s/{}]+$", max_length=200)
    response_text = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default=""
    )


class InteractiveSaveSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    test = serializers.BooleanField(required=False, default=False)


def _body(request: Request, serializer_class: type[serializers.Serializer[Any]]) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _InteractiveView(AssistantScopedMixin, APIView):
    authentication_classes = AUTHENTICATION
    permission_classes = [IsAuthenticated, AnnotatorsWrite]

    def session(self, pk: int) -> Conversation:
        return get_object_or_404(Conversation, assistant=self.assistant, pk=pk, channel=CHANNEL)


class SessionStartView(_InteractiveView):
    @extend_schema(tags=[TAG], request=InteractiveStartSerializer, responses={201: None, **_ERRORS})
    def post(self, request: Request, assistant_pk: int) -> Response:
        """Start a session, or fork a recorded conversation at an event: the session's state."""
        body = _body(request, InteractiveStartSerializer)
        if "conversation" in body:
            source = get_object_or_404(
                Conversation, assistant=self.assistant, pk=body["conversation"]
            )
            session = interactive.interactive_fork(
                assistant=self.assistant, conversation=source, position=body["position"]
            )
        else:
            session = interactive.interactive_session_start(assistant=self.assistant)
        state = interactive.interactive_state(assistant=self.assistant, conversation=session)
        return Response(state, status=201)


class SessionView(_InteractiveView):
    @extend_schema(tags=[TAG], responses={200: None, **_ERRORS})
    def get(self, request: Request, assistant_pk: int, pk: int) -> Response:
        """The session: events, slots, what comes next (``awaiting``: ``user`` or ``action``,
        with the bot's ``prediction``), the domain's intents and entities, the model."""
        session = self.session(pk)
        return Response(
            interactive.interactive_state(assistant=self.assistant, conversation=session)
        )


class ParseView(_InteractiveView):
    @extend_schema(tags=[TAG], request=InteractiveTextSerializer, responses={200: None, **_ERRORS})
    def post(self, request: Request, assistant_pk: int, pk: int) -> Response:
        """What the model makes of a message (nothing recorded): intent, ranking, entities."""
        self.session(pk)
        text = _body(request, InteractiveTextSerializer)["text"]
        return Response(interactive.interactive_parse(assistant=self.assistant, text=text))


class MessageView(_InteractiveView):
    @extend_schema(
        tags=[TAG], request=InteractiveMessageSerializer, responses={200: None, **_ERRORS}
    )
    def post(self, request: Request, assistant_pk: int, pk: int) -> Response:
        """Record the message with the intent and entities confirmed or chosen (a new intent
        is fine: it joins the domain when the session is saved)."""
        body = _body(request, InteractiveMessageSerializer)
        entities = body.get("entities")
        state = interactive.interactive_user_message(
            assistant=self.assistant,
            conversation=self.session(pk),
            text=body["text"],
            intent=body["intent"],
            entities=None if entities is None else [EntityInput(**e) for e in entities],
        )
        return Response(state)


class ActionView(_InteractiveView):
    @extend_schema(
        tags=[TAG], request=InteractiveActionSerializer, responses={200: None, **_ERRORS}
    )
    def post(self, request: Request, assistant_pk: int, pk: int) -> Response:
        """Run the action confirmed or chosen; another one than predicted is learned at once
        (``learned``). A name the domain lacks with ``response_text`` is a new response."""
        body = _body(request, InteractiveActionSerializer)
        result = interactive.interactive_action(
            assistant=self.assistant,
            conversation=self.session(pk),
            name=body["name"],
            response_text=body["response_text"] or None,
        )
        return Response(result)


class UndoView(_InteractiveView):
    @extend_schema(tags=[TAG], request=None, responses={200: None, **_ERRORS})
    def post(self, request: Request, assistant_pk: int, pk: int) -> Response:
        """Undo the last user message or bot action."""
        session = self.session(pk)
        return Response(
            interactive.interactive_undo(assistant=self.assistant, conversation=session)
        )


class RestartView(_InteractiveView):
    @extend_schema(tags=[TAG], request=None, responses={200: None, **_ERRORS})
    def post(self, request: Request, assistant_pk: int, pk: int) -> Response:
        """Start the conversation over."""
        session = self.session(pk)
        return Response(
            interactive.interactive_restart(assistant=self.assistant, conversation=session)
        )


class SaveView(_InteractiveView):
    @extend_schema(tags=[TAG], request=InteractiveSaveSerializer, responses={201: None, **_ERRORS})
    def post(self, request: Request, assistant_pk: int, pk: int) -> Response:
        """Save the session as a story (and a test story with ``test``), its corrected
        messages as NLU examples, its new intents, responses and actions in the domain.
        ``full_training_required`` and ``differences``: the fine-tune checker's verdict."""
        body = _body(request, InteractiveSaveSerializer)
        session = self.session(pk)
        additions = interactive.interactive_domain_additions(
            assistant=self.assistant, conversation=session
        )
        access = request_assistant_access(request, self)
        if additions and (access is None or access.role != Role.ADMIN):
            names = ", ".join(str(a) for a in additions)
            raise PermissionDenied(f"Only the assistant's admins may add to the domain: {names}.")
        result = interactive.interactive_save(
            assistant=self.assistant, conversation=session, name=body["name"], test=body["test"]
        )
        return Response(result, status=201)


class ModelView(_InteractiveView):
    @extend_schema(tags=[TAG], responses={200: None, **_ERRORS})
    def get(self, request: Request, assistant_pk: int) -> Response:
        """The model served now; ``interactive`` when it is an on-the-fly version."""
        return Response(learning.interactive_model_status(assistant=self.assistant))


class ModelKeepView(_InteractiveView):
    @extend_schema(tags=[TAG], request=None, responses={200: None, **_ERRORS})
    def post(self, request: Request, assistant_pk: int) -> Response:
        """Keep the on-the-fly version (it stays the served model)."""
        return Response(learning.interactive_model_keep(assistant=self.assistant))


class ModelDiscardView(_InteractiveView):
    @extend_schema(tags=[TAG], request=None, responses={200: None, **_ERRORS})
    def post(self, request: Request, assistant_pk: int) -> Response:
        """Throw the on-the-fly version away: its parent is served again."""
        return Response(learning.interactive_model_discard(assistant=self.assistant))
