"""Query parameters of the list endpoints, validated like a request body (a bad value is a 400
naming the parameter) and described in the OpenAPI schema (``extend_schema(parameters=[...])``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from annotation.models import InboxStatus, StoryKind


class NameFilter(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Case-insensitive search in the name."
    )


class ExampleFilter(serializers.Serializer):
    intent = serializers.CharField(required=False, allow_blank=True, help_text="Intent name.")
    entity = serializers.CharField(
        required=False, allow_blank=True, help_text="Keep examples with a span of this entity."
    )
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Case-insensitive search in the text."
    )


class StoryFilter(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StoryKind.choices, required=False)
    is_test = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Test stories only, or none."
    )
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Case-insensitive search in the name."
    )


class ConversationFilter(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False, help_text="Latest event at or after this time (ISO 8601)."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Latest event at or before this time (ISO 8601)."
    )
    intent = serializers.CharField(
        required=False, allow_blank=True, help_text="A user message with this intent."
    )
    action = serializers.CharField(
        required=False, allow_blank=True, help_text="This action was predicted."
    )
    entity = serializers.CharField(
        required=False, allow_blank=True, help_text="A user message with this entity."
    )
    slot = serializers.CharField(required=False, allow_blank=True, help_text="This slot was set.")
    policy = serializers.CharField(
        required=False, allow_blank=True, help_text="This policy predicted an action."
    )
    confidence_below = serializers.FloatField(
        required=False, help_text="A user message's intent confidence below this."
    )
    confidence_above = serializers.FloatField(
        required=False, help_text="A user message's intent confidence above this."
    )
    channel = serializers.CharField(required=False, allow_blank=True)
    tag = serializers.CharField(required=False, allow_blank=True)
    reviewed = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Reviewed ones, or the others."
    )
    flagged = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Those with a flagged event, or without.",
    )
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Case-insensitive search in user messages."
    )


class EventWindowParams(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=-1,
        help_text="Events after this position (from the first when left out).",
    )
    limit = serializers.IntegerField(required=False, default=200, min_value=1, max_value=500)


class TagFilter(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Tags that start with this."
    )


class InboxFilter(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[InboxStatus.OPEN.value, InboxStatus.ARCHIVED.value],
        required=False,
        default=InboxStatus.OPEN.value,
    )
    order = serializers.ChoiceField(
        choices=["confidence", "-confidence", "time", "-time"],
        required=False,
        default="confidence",
        help_text="confidence: least certain first; time: oldest first; '-': reversed.",
    )
    q = serializers.CharField(
        required=False, allow_blank=True, help_text="Case-insensitive search in the text."
    )
    intent = serializers.CharField(required=False, allow_blank=True, help_text="Predicted intent.")


class ValidateParams(serializers.Serializer):
    max_history = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="Check story conflicts with this much history (the policies' default if empty).",
    )


def query_params(request: Request, filter_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The request's query parameters validated by ``filter_class``; raises a 400 naming them."""
    params = filter_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    return dict(params.validated_data)
