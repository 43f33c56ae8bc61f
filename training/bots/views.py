"""Rasa's HTTP API and REST channel for one assistant. Views parse the request, check the
member's role and call ``training.serving``; they hold no logic of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import yaml
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.models import Role
from annotation.selectors.conversations import conversation_get, conversation_story_yaml
from annotation.selectors.items import assistant_access
from training import registry, serving
from training.bots.assistants import bot_assistant
from training.bots.auth import BOT_AUTHENTICATION
from training.bots.errors import rasa_exception_handler
from training.bots.rest_channel import rest_webhook_answer
from training.runtime.action_server import RASA_SDK_VERSION

MINIMUM_COMPATIBLE = "3.5.0"


class _FirstRenderer(BaseContentNegotiation):
    """Rasa clients send all sorts of ``Accept`` headers: always answer JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, str(renderer.media_type)


WRITERS = (Role.ADMIN, Role.ANNOTATOR)


class BotView(APIView):
    """The assistant from the URL (name or id); members read, annotators and admins write."""

    authentication_classes = BOT_AUTHENTICATION
    permission_classes = [AllowAny]  # checked in ``initial`` against the assistant's roles
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FirstRenderer
    public = False
    writes = False
    admins = False  # writing takes the admin role

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return rasa_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        key = str(kwargs["assistant"])
        found = bot_assistant(key)
        if found is None:
            raise NotFound(f"No assistant {key!r}.")
        self.assistant = found
        if self.public:
            return
        if not (request.user and request.user.is_authenticated):
            raise NotAuthenticated("Authentication required: pass ?token=<your API token>.")
        access = assistant_access(user=request.user, assistant_id=self.assistant.pk)
        if access is None or access.role is None:
            raise NotFound(f"No assistant {key!r}.")
        if self.writes and request.method not in ("GET", "HEAD") and access.role not in WRITERS:
            raise PermissionDenied("Only the assistant's annotators and admins may do this.")
        if self.admins and request.method not in ("GET", "HEAD") and access.role != Role.ADMIN:
            raise PermissionDenied("Only the assistant's admins may do this.")

    def body(self, request: Request) -> dict[str, Any]:
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError("The request body must be a JSON object.")
        return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValidationError({key: [f"{key} must be a string."]})
    return value


@extend_schema(exclude=True)
class RestWebhookView(BotView):
    """``POST webhooks/rest/webhook`` ``{sender, message, metadata?}`` (public, as in Rasa)."""

    authentication_classes = []
    public = True

    def post(self, request: Request, assistant: str) -> Response:
        # served by training.bots.rest_channel under ASGI; here for WSGI and the test client
        status, answer = rest_webhook_answer(self.assistant, request.data)
        return Response(answer, status=status)


@extend_schema(exclude=True)
class VersionView(BotView):
    """``GET version`` (public, as in Rasa): the Rasa version this API speaks."""

    authentication_classes = []
    public = True

    def get(self, request: Request, assistant: str) -> Response:
        return Response(
            {"version": RASA_SDK_VERSION, "minimum_compatible_version": MINIMUM_COMPATIBLE}
        )


@extend_schema(exclude=True)
class StatusView(BotView):
    def get(self, request: Request, assistant: str) -> Response:
        served = serving.assistant_active_model(assistant=self.assistant)
        return Response(
            {
                "model_file": served.path.name if served else None,
                "model_id": served.id if served else None,
                "num_active_training_jobs": 0,
            }
        )


@extend_schema(exclude=True)
class ParseView(BotView):
    def post(self, request: Request, assistant: str) -> Response:
        data = self.body(request)
        text = data.get("text", data.get("q"))
        if not isinstance(text, str):
            raise ValidationError({"text": ["text must be a string."]})
        return Response(serving.assistant_parse(assistant=self.assistant, text=text))


@extend_schema(exclude=True)
class TrackerView(BotView):
    def get(self, request: Request, assistant: str, sender_id: str) -> Response:
        include = request.query_params.get("include_events", "AFTER_RESTART")
        return Response(
            serving.conversation_tracker_json(
                assistant=self.assistant, sender_id=sender_id, include_events=include
            )
        )


@extend_schema(exclude=True)
class TrackerEventsView(BotView):
    writes = True

    def _events(self, request: Request) -> list[Any]:
        data = request.data
        events = data if isinstance(data, list) else [data]
        if not all(isinstance(e, dict) for e in events):
            raise ValidationError("Send an event object or a list of them.")
        return events

    def post(self, request: Request, assistant: str, sender_id: str) -> Response:
        return Response(
            serving.conversation_events_add(
                assistant=self.assistant, sender_id=sender_id, events=self._events(request)
            )
        )

    def put(self, request: Request, assistant: str, sender_id: str) -> Response:
        return Response(
            serving.conversation_events_add(
                assistant=self.assistant,
                sender_id=sender_id,
                events=self._events(request),
                replace=True,
            )
        )


@extend_schema(exclude=True)
class MessagesView(BotView):
    writes = True

    def post(self, request: Request, assistant: str, sender_id: str) -> Response:
        data = self.body(request)
        if data.get("sender", "user") != "user":
            raise ValidationError({"sender": ['Only "user" messages can be logged.']})
        parse_data = data.get("parse_data")
        return Response(
            serving.conversation_log_message(
                assistant=self.assistant,
                sender_id=sender_id,
                text=_text(data, "text"),
                parse_data=parse_data if isinstance(parse_data, dict) else None,
            )
        )


@extend_schema(exclude=True)
class PredictView(BotView):
    writes = True

    def post(self, request: Request, assistant: str, sender_id: str) -> Response:
        return Response(serving.conversation_predict(assistant=self.assistant, sender_id=sender_id))


@extend_schema(exclude=True)
class ExecuteView(BotView):
    writes = True

    def post(self, request: Request, assistant: str, sender_id: str) -> Response:
        data = self.body(request)
        confidence = data.get("confidence")
        policy = data.get("policy")
        return Response(
            serving.conversation_execute(
                assistant=self.assistant,
                sender_id=sender_id,
                name=_text(data, "name"),
                policy=str(policy) if policy else None,
                confidence=float(confidence) if isinstance(confidence, int | float) else None,
            )
        )


@extend_schema(exclude=True)
class TriggerIntentView(BotView):
    writes = True

    def post(self, request: Request, assistant: str, sender_id: str) -> Response:
        data = self.body(request)
        entities = data.get("entities")
        if entities is not None and not isinstance(entities, dict):
            raise ValidationError({"entities": ["entities must be an object."]})
        return Response(
            serving.conversation_trigger_intent(
                assistant=self.assistant,
                sender_id=sender_id,
                intent=_text(data, "name"),
                entities=entities,
            )
        )


@extend_schema(exclude=True)
class StoryView(BotView):
    def get(self, request: Request, assistant: str, sender_id: str) -> HttpResponse:
        conversation = conversation_get(assistant=self.assistant, sender_id=sender_id)
        if conversation is None:
            raise NotFound(f"No conversation {sender_id!r}.")
        all_sessions = request.query_params.get("all_sessions", "").lower() in ("1", "true")
        text = conversation_story_yaml(conversation=conversation, all_sessions=all_sessions)
        return HttpResponse(text, content_type="application/x-yaml; charset=utf-8")


@extend_schema(exclude=True)
class DomainView(BotView):
    def get(self, request: Request, assistant: str) -> HttpResponse | Response:
        domain = serving.assistant_domain(assistant=self.assistant)
        if "yaml" in request.headers.get("Accept", "") or "yml" in request.headers.get(
            "Accept", ""
        ):
            text = yaml.safe_dump(domain, sort_keys=False, allow_unicode=True)
            return HttpResponse(text, content_type="application/x-yaml; charset=utf-8")
        return Response(domain)


@extend_schema(exclude=True)
class ModelView(BotView):
    """``PUT /model`` ``{model_file}``: serve that model of the assistant from the next message
    (the registry's activate); ``DELETE /model``: serve none until one is activated again.
    Rasa's ``model_server`` and ``remote_storage`` have no counterpart: models are the
    assistant's own (train, upload)."""

    admins = True

    def put(self, request: Request, assistant: str) -> Response:
        data = self.body(request)
        if "model_file" not in data and ("model_server" in data or "remote_storage" in data):
            problem = "Only model_file is supported: upload the model to the assistant's models."
            raise ValidationError({"model_file": [problem]})
        name = _text(data, "model_file")
        try:
            registry.model_activate_file(assistant=self.assistant, model_file=name)
        except registry.RegistryError as error:
            raise ValidationError({"model_file": [str(error)]}) from error
        return Response(status=204)

    def delete(self, request: Request, assistant: str) -> Response:
        registry.models_unload(assistant=self.assistant)
        return Response(status=204)
