"""Serializers of the API: they validate input and shape output; the services write."""

from __future__ import annotations

from annotation.api.serializers.assistants import (
    AssistantSerializer,
    ErrorSerializer,
    ImportSerializer,
    MembershipCreateSerializer,
    MembershipSerializer,
    ReimportSerializer,
    ValidationReportSerializer,
)
from annotation.api.serializers.domain import (
    ActionSerializer,
    DomainSettingsSerializer,
    EntitySerializer,
    FormSerializer,
    IntentSerializer,
    ResponseSerializer,
    ResponseVariationSerializer,
    SlotSerializer,
    TrainingConfigSerializer,
)
from annotation.api.serializers.nlu import (
    EntitySpanSerializer,
    ExampleSerializer,
    LookupSerializer,
    RegexSerializer,
    SynonymSerializer,
)
from annotation.api.serializers.stories import StorySerializer, StoryStepSerializer

__all__ = [
    "ActionSerializer",
    "AssistantSerializer",
    "DomainSettingsSerializer",
    "EntitySerializer",
    "EntitySpanSerializer",
    "ErrorSerializer",
    "ExampleSerializer",
    "FormSerializer",
    "ImportSerializer",
    "IntentSerializer",
    "LookupSerializer",
    "MembershipCreateSerializer",
    "MembershipSerializer",
    "RegexSerializer",
    "ReimportSerializer",
    "ResponseSerializer",
    "ResponseVariationSerializer",
    "SlotSerializer",
    "StorySerializer",
    "StoryStepSerializer",
    "SynonymSerializer",
    "TrainingConfigSerializer",
    "ValidationReportSerializer",
]
