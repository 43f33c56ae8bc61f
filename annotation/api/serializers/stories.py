"""Stories and rules with their steps, in order."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotation.api.serializers.base import SOURCE_FIELDS, SourcedItemSerializer
from annotation.models import StepKind, Story, StoryKind, StoryStep

# what each kind of step must carry
_NEEDS_NAME = {StepKind.INTENT, StepKind.ACTION, StepKind.CHECKPOINT}
_NEEDS_TEXT = {StepKind.USER}


class StoryStepSerializer(serializers.ModelSerializer[StoryStep]):
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Send an existing step's id back to keep its comments and line.",
    )
    entities = serializers.ListField(required=False)
    slots = serializers.ListField(child=serializers.DictField(), required=False)
    alternatives = serializers.ListField(required=False)

    class Meta:
        model = StoryStep
        fields = [
            "id",
            "kind",
            "name",
            "text",
            "entities",
            "slots",
            "alternatives",
            "metadata",
            "line",
            "comments",
        ]
        read_only_fields = ["line", "comments"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind")
        if kind in _NEEDS_NAME and not attrs.get("name"):
            raise serializers.ValidationError({"name": [f"A {kind} step needs a name."]})
        if kind in _NEEDS_TEXT and not (attrs.get("text") or attrs.get("name")):
            raise serializers.ValidationError(
                {"text": ["A user step needs a text (or an intent name)."]}
            )
        if kind == StepKind.BOT and not (attrs.get("text") or attrs.get("name")):
            raise serializers.ValidationError({"text": ["A bot step needs a text."]})
        if kind == StepKind.SLOT_WAS_SET and not attrs.get("slots"):
            raise serializers.ValidationError({"slots": ["A slot_was_set step needs slots."]})
        if kind == StepKind.OR and not attrs.get("alternatives"):
            raise serializers.ValidationError({"alternatives": ["An or step needs alternatives."]})
        for index, slot in enumerate(attrs.get("slots") or []):
            if not slot.get("name"):
                raise serializers.ValidationError({"slots": {str(index): ["A slot needs a name."]}})
        return attrs


class StorySerializer(SourcedItemSerializer):
    steps = StoryStepSerializer(many=True)
    condition = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="A rule's conditions, as steps."
    )
    unique_name = False

    class Meta:
        model = Story
        fields = [
            "id",
            "name",
            "kind",
            "is_test",
            "condition",
            "conversation_start",
            "wait_for_user_input",
            "metadata",
            "steps",
            *SOURCE_FIELDS,
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind", getattr(self.instance, "kind", StoryKind.STORY))
        if kind == StoryKind.STORY:
            for key in ("condition", "conversation_start", "wait_for_user_input"):
                if attrs.get(key) not in (None, []):
                    raise serializers.ValidationError({key: ["Only rules have this."]})
        return attrs
