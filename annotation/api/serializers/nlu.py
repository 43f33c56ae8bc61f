"""NLU data: examples with their entity spans, synonyms, regexes, lookup tables."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any, cast

from rest_framework import serializers

from annotation.api.serializers.base import (
    SOURCE_FIELDS,
    SourcedItemSerializer,
    StringListField,
    context_assistant,
)
from annotation.models import EntitySpan, Example, Intent, LookupTable, RegexPattern, Synonym


class EntitySpanSerializer(serializers.ModelSerializer[EntitySpan]):
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=1)
    value = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="The entity's value; the annotated words when left out.",
    )

    class Meta:
        model = EntitySpan
        fields = ["id", "start", "end", "entity", "value", "role", "group"]
        read_only_fields = ["id"]


class ExampleSerializer(serializers.ModelSerializer[Example]):
    intent = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Intent.objects.none(),
        error_messages={"does_not_exist": "This assistant has no intent named {value!r}."},
        help_text="The intent's name; it must exist in this assistant.",
    )
    spans = EntitySpanSerializer(many=True, required=False)

    class Meta:
        model = Example
        fields = ["id", "intent", "text", "metadata", "spans", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        assistant = context_assistant(self)
        intent_field = fields["intent"]
        if assistant is not None and isinstance(intent_field, serializers.SlugRelatedField):
            cast(Any, intent_field).queryset = Intent.objects.filter(assistant=assistant)
        return fields

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("An example's text cannot be empty.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        text: str = attrs.get("text", getattr(self.instance, "text", ""))
        spans: list[dict[str, Any]] | None = attrs.get("spans")
        if spans is None:
            if self.instance is not None and "text" in attrs:
                too_long = [s for s in self.instance.spans.all() if s.end > len(text)]
                if too_long:
                    raise serializers.ValidationError(
                        {"text": ["The new text is shorter than an entity span; send the spans."]}
                    )
            return attrs
        # keyed by the span's index, as DRF reports errors inside a list
        errors: dict[str, dict[str, list[str]]] = {}
        for index, span in enumerate(spans):
            start, end = span["start"], span["end"]
            if start >= end:
                errors[str(index)] = {"end": ["A span's end must be greater than its start."]}
            elif end > len(text):
                errors[str(index)] = {
                    "end": [f"A span must lie inside the text (end {end} > length {len(text)})."]
                }
            elif not text[start:end].strip():
                errors[str(index)] = {"start": ["A span must cover some words, not only spaces."]}
            elif not span.get("value"):
                span["value"] = text[start:end]
        if errors:
            raise serializers.ValidationError({"spans": errors})
        ordered = sorted(enumerate(spans), key=lambda pair: (pair[1]["start"], pair[1]["end"]))
        for (_, before), (index, after) in pairwise(ordered):
            same = all(before.get(key) == after.get(key) for key in ("entity", "role", "group"))
            if same and after["start"] < before["end"]:
                raise serializers.ValidationError(
                    {
                        "spans": {
                            str(index): {
                                "start": [f"It overlaps another {after['entity']!r} span."]
                            }
                        }
                    }
                )
        return attrs


class SynonymSerializer(SourcedItemSerializer):
    examples = StringListField(allow_empty=False)
    unique_name = False

    class Meta:
        model = Synonym
        fields = ["id", "name", "examples", *SOURCE_FIELDS]


class RegexSerializer(SourcedItemSerializer):
    patterns = StringListField(allow_empty=False)
    unique_name = False

    class Meta:
        model = RegexPattern
        fields = ["id", "name", "patterns", *SOURCE_FIELDS]

    def validate_patterns(self, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise serializers.ValidationError(f"{pattern!r} is not a regex: {exc}.") from exc
        return value


class LookupSerializer(SourcedItemSerializer):
    elements = StringListField(allow_empty=False)
    unique_name = False

    class Meta:
        model = LookupTable
        fields = ["id", "name", "elements", *SOURCE_FIELDS]
