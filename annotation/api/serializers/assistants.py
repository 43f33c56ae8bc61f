"""Assistants, their members, and the import/validate payloads."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from annotation.models import Assistant, Membership, Role
from annotation.selectors.items import effective_role


class AssistantSerializer(serializers.ModelSerializer[Assistant]):
    role = serializers.SerializerMethodField(help_text="Your role on this assistant.")

    class Meta:
        model = Assistant
        fields = ["id", "name", "description", "source_format", "role", "created_at", "updated_at"]
        read_only_fields = ["source_format", "created_at", "updated_at"]

    def get_role(self, assistant: Assistant) -> str | None:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        role = effective_role(user=user, role=getattr(assistant, "user_role", None))
        return role.value if role is not None else None

    def validate_name(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("A name cannot be empty.")
        return value


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "user", "username", "role", "created_at", "updated_at"]
        read_only_fields = ["user", "created_at", "updated_at"]


class MembershipCreateSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(help_text="An existing user's username.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)


class ImportSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The project as a .zip or .tar.gz archive.")
    name = serializers.CharField(
        required=False,
        max_length=100,
        help_text="The assistant's name; the archive's name when left out.",
    )
    replace = serializers.BooleanField(
        default=False, help_text="Replace the assistant of that name, if there is one."
    )


class ReimportSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The project as a .zip or .tar.gz archive.")


class ProblemSerializer(serializers.Serializer[Any]):
    severity = serializers.ChoiceField(choices=["error", "warning"])
    code = serializers.CharField()
    message = serializers.CharField()
    file = serializers.CharField()
    line = serializers.IntegerField()
    suggestion = serializers.CharField(allow_null=True)


class ValidationReportSerializer(serializers.Serializer[Any]):
    problems = ProblemSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    valid = serializers.BooleanField(help_text="True when there is no error (warnings allowed).")


# An error body (see annotation.api.errors), for the schema; its keys clash with a
# serializer's own attributes (``errors``), hence inline.
ErrorSerializer = inline_serializer(
    "Error",
    fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(required=False, help_text="Invalid input, by field."),
        "problems": ProblemSerializer(many=True, required=False),
    },
)
