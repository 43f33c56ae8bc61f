"""Query parameters of the list endpoints, validated like a request body (a bad value is a 400
naming the parameter) and described in the OpenAPI schema (``extend_schema(parameters=[...])``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from annotation.models import StoryKind


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
