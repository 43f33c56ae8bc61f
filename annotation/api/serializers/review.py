"""Recorded conversations as a reviewer sees them, and the NLU inbox."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotation.models import Conversation, Event, InboxItem

PREVIEW_LENGTH = 120


class ConversationSerializer(serializers.ModelSerializer[Conversation]):
    """A conversation of the list; the selector annotates ``preview``, ``flagged_count`` and
    ``min_intent_confidence`` and prefetches the tags."""

    tags = serializers.SerializerMethodField()
    flagged_count = serializers.IntegerField(read_only=True)
    preview = serializers.SerializerMethodField()
    min_intent_confidence = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "sender_id",
            "channel",
            "started_at",
            "latest_event_at",
            "event_count",
            "tags",
            "reviewed",
            "flagged_count",
            "model_id",
            "preview",
            "min_intent_confidence",
        ]
        read_only_fields = fields

    def get_tags(self, conversation: Conversation) -> list[str]:
        return [tag.name for tag in conversation.tags.all()]

    def get_preview(self, conversation: Conversation) -> str:
        """The latest user message, at most 120 characters."""
        text = getattr(conversation, "preview", None) or ""
        return text if len(text) <= PREVIEW_LENGTH else text[: PREVIEW_LENGTH - 1] + "…"


class ConversationDetailSerializer(ConversationSerializer):
    slots = serializers.JSONField(read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "slots", "active_loop"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer[Event]):
    intent_ranking = serializers.SerializerMethodField()
    entities = serializers.JSONField(read_only=True)
    slot_value = serializers.JSONField(read_only=True)

    class Meta:
        model = Event
        fields = [
            "position",
            "kind",
            "timestamp",
            "text",
            "intent",
            "intent_confidence",
            "intent_ranking",
            "entities",
            "action",
            "policy",
            "confidence",
            "slot_name",
            "slot_value",
            "flagged",
            "data",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_intent_ranking(self, event: Event) -> list[Any]:
        ranking = (event.data.get("parse_data") or {}).get("intent_ranking")
        return list(ranking) if isinstance(ranking, list) else []


class EventWindowSerializer(serializers.Serializer[Any]):
    results = EventSerializer(many=True)
    next_after = serializers.IntegerField(allow_null=True)


class TagsSerializer(serializers.Serializer[Any]):
    tags = serializers.ListField(child=serializers.CharField(allow_blank=True), max_length=100)


class ReviewSerializer(serializers.Serializer[Any]):
    reviewed = serializers.BooleanField()


class FlagSerializer(serializers.Serializer[Any]):
    flagged = serializers.BooleanField()


class FlagResultSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    flagged = serializers.BooleanField()


class SaveStorySerializer(serializers.Serializer[Any]):
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="The sender id if empty."
    )
    test = serializers.BooleanField(
        default=False, help_text="A test story: user messages keep their text."
    )


class SavedStorySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    is_test = serializers.BooleanField()
    yaml = serializers.CharField()


class TagCountSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    count = serializers.IntegerField()


# ---------------------------------------------------------------------------------- inbox


class InboxItemSerializer(serializers.ModelSerializer[InboxItem]):
    entities = serializers.JSONField(
        read_only=True, help_text="Predicted: [{start, end, entity, value, role?, group?}]."
    )

    class Meta:
        model = InboxItem
        fields = ["id", "text", "count", "intent", "confidence", "entities", "latest_at", "status"]
        read_only_fields = fields


class InboxEntitySerializer(serializers.Serializer[Any]):
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=1)
    entity = serializers.CharField(max_length=200)
    value = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    role = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200)
    group = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200)


class ConfirmSerializer(serializers.Serializer[Any]):
    intent = serializers.CharField(max_length=200)
    entities = InboxEntitySerializer(
        many=True, required=False, help_text="The spans; the predicted ones when left out."
    )
    create_intent = serializers.BooleanField(
        default=False, help_text="Create the intent when the assistant does not have it."
    )

    def validate_intent(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("An intent name cannot be empty.")
        return value


class ConfirmResultSerializer(serializers.Serializer[Any]):
    example_id = serializers.IntegerField()


class BulkSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(child=serializers.IntegerField(), max_length=1000)
    action = serializers.ChoiceField(choices=["confirm", "archive", "delete"])


class BulkResultSerializer(serializers.Serializer[Any]):
    done = serializers.IntegerField()
