"""What the item serializers share: the source file and line, comments, a name unique per
assistant. The view passes the assistant in the context (``context["assistant"]``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import serializers

from annotation.models import Assistant

SOURCE_FIELDS = ["file", "line", "comments", "created_at", "updated_at"]


def context_assistant(serializer: serializers.BaseSerializer[Any]) -> Assistant | None:
    assistant = serializer.context.get("assistant")
    return assistant if isinstance(assistant, Assistant) else None


class SourcedItemSerializer(serializers.ModelSerializer[Any]):
    """An item read from a project file: where it came from is shown, never written."""

    file = serializers.CharField(
        source="file.path",
        read_only=True,
        allow_null=True,
        help_text="The project file it came from; null when it was made here.",
    )
    line = serializers.IntegerField(read_only=True)
    comments = serializers.JSONField(read_only=True)

    unique_name = True

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("A name cannot be empty.")
        assistant = context_assistant(self)
        if self.unique_name and assistant is not None:
            model: type[Model] = self.Meta.model
            same = model._default_manager.filter(assistant=assistant, name=value)
            if self.instance is not None:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                raise serializers.ValidationError(
                    f"This assistant already has a {model._meta.verbose_name} named {value!r}.",
                    code="unique",
                )
        return value


class StringListField(serializers.ListField):
    """A list of non-empty strings (a lookup's elements, a synonym's examples, ...)."""

    child = serializers.CharField()
