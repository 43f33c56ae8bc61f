"""The domain: intents, entities, slots, actions, responses, forms, session settings, config."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotation.api.serializers.base import SOURCE_FIELDS, SourcedItemSerializer, StringListField
from annotation.models import (
    Action,
    DomainSettings,
    Entity,
    Form,
    Intent,
    Response,
    ResponseVariation,
    Slot,
    SlotType,
    TrainingConfig,
)


class IntentSerializer(SourcedItemSerializer):
    example_count = serializers.IntegerField(read_only=True, default=0)
    use_entities = serializers.JSONField(
        required=False, allow_null=True, help_text="Entity names, or null for all of them."
    )
    ignore_entities = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = Intent
        fields = [
            "id",
            "name",
            "use_entities",
            "ignore_entities",
            "is_retrieval",
            "in_domain",
            "example_count",
            *SOURCE_FIELDS,
        ]

    def _entity_names(self, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise serializers.ValidationError("A list of entity names, true, false or null.")
        return value

    def validate_use_entities(self, value: Any) -> Any:
        return self._entity_names(value)

    def validate_ignore_entities(self, value: Any) -> Any:
        return self._entity_names(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("use_entities") is not None and attrs.get("ignore_entities") is not None:
            raise serializers.ValidationError(
                {"ignore_entities": ["Set use_entities or ignore_entities, not both."]}
            )
        return attrs


class EntitySerializer(SourcedItemSerializer):
    roles = StringListField(required=False)
    groups = StringListField(required=False)

    class Meta:
        model = Entity
        fields = ["id", "name", "roles", "groups", "influence_conversation", *SOURCE_FIELDS]


class SlotSerializer(SourcedItemSerializer):
    mappings = serializers.ListField(child=serializers.DictField(), required=False)

    class Meta:
        model = Slot
        fields = [
            "id",
            "name",
            "type",
            "influence_conversation",
            "values",
            "min_value",
            "max_value",
            "initial_value",
            "mappings",
            *SOURCE_FIELDS,
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def current(name: str) -> Any:
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name, None)

        low, high = current("min_value"), current("max_value")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"max_value": ["max_value must not be less than min_value."]}
            )
        values = current("values")
        categorical = current("type") == SlotType.CATEGORICAL
        if categorical and values is not None and not isinstance(values, list):
            raise serializers.ValidationError(
                {"values": ["A categorical slot's values are a list."]}
            )
        for index, mapping in enumerate(attrs.get("mappings") or []):
            if not mapping.get("type"):
                raise serializers.ValidationError(
                    {"mappings": {str(index): ["A slot mapping needs a type."]}}
                )
        return attrs


class ActionSerializer(SourcedItemSerializer):
    class Meta:
        model = Action
        fields = ["id", "name", "send_domain", *SOURCE_FIELDS]


class ResponseVariationSerializer(serializers.ModelSerializer[ResponseVariation]):
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Send an existing variation's id back to keep its comments.",
    )
    comments = serializers.JSONField(read_only=True)

    class Meta:
        model = ResponseVariation
        fields = [
            "id",
            "text",
            "buttons",
            "image",
            "custom",
            "condition",
            "channel",
            "extra",
            "comments",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if all(attrs.get(key) in (None, "", []) for key in ("text", "image", "custom", "buttons")):
            raise serializers.ValidationError(
                "A variation needs a text, an image, buttons or a custom payload."
            )
        return attrs


class ResponseSerializer(SourcedItemSerializer):
    variations = ResponseVariationSerializer(many=True)

    class Meta:
        model = Response
        fields = ["id", "name", "variations", *SOURCE_FIELDS]

    def validate_name(self, value: str) -> str:
        value = super().validate_name(value)
        if not value.startswith("utter_"):
            raise serializers.ValidationError("A response's name starts with 'utter_'.")
        return value


class FormSerializer(SourcedItemSerializer):
    required_slots = StringListField(required=False)
    ignored_intents = StringListField(required=False)

    class Meta:
        model = Form
        fields = ["id", "name", "required_slots", "ignored_intents", *SOURCE_FIELDS]


class DomainSettingsSerializer(serializers.ModelSerializer[DomainSettings]):
    session_expiration_time = serializers.FloatField(required=False, allow_null=True, min_value=0)
    domain_config = serializers.DictField(required=False)
    e2e_actions = StringListField(required=False)

    class Meta:
        model = DomainSettings
        fields = [
            "session_expiration_time",
            "carry_over_slots_to_new_session",
            "domain_config",
            "e2e_actions",
            "comments",
            "updated_at",
        ]
        read_only_fields = ["comments", "updated_at"]


class TrainingConfigSerializer(serializers.ModelSerializer[TrainingConfig]):
    pipeline = serializers.JSONField(required=False, allow_null=True)
    policies = serializers.JSONField(required=False, allow_null=True)
    extra = serializers.DictField(required=False)

    class Meta:
        model = TrainingConfig
        fields = [
            "recipe",
            "language",
            "pipeline",
            "policies",
            "assistant_identifier",
            "extra",
            "comments",
            "updated_at",
        ]
        read_only_fields = ["comments", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for key in ("pipeline", "policies"):
            components = attrs.get(key)
            if components is None:
                continue
            if not isinstance(components, list):
                raise serializers.ValidationError({key: ["A list of components."]})
            for index, component in enumerate(components):
                if not isinstance(component, dict) or not component.get("name"):
                    raise serializers.ValidationError(
                        {key: {str(index): ["A component needs a name."]}}
                    )
        return attrs
