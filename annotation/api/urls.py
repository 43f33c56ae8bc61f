"""``/api/v1/``: assistants and, under ``assistants/<assistant_pk>/``, everything they hold."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from annotation.api.views import items
from annotation.api.views.assistants import AssistantViewSet
from annotation.api.views.auth import TokenView
from annotation.api.views.inbox import InboxViewSet
from annotation.api.views.members import MembershipViewSet
from annotation.api.views.review import ConversationViewSet, TagListView
from annotation.api.views.settings import DomainSettingsView, TrainingConfigView
from annotation.api.views.transfer import (
    AssistantExportView,
    AssistantImportView,
    AssistantReimportView,
    AssistantValidateView,
)

app_name = "api"

ASSISTANT = "assistants/<int:assistant_pk>"

router = SimpleRouter(use_regex_path=False)
router.register("assistants", AssistantViewSet, basename="assistant")
router.register(f"{ASSISTANT}/members", MembershipViewSet, basename="member")
router.register(f"{ASSISTANT}/intents", items.IntentViewSet, basename="intent")
router.register(f"{ASSISTANT}/entities", items.EntityViewSet, basename="entity")
router.register(f"{ASSISTANT}/slots", items.SlotViewSet, basename="slot")
router.register(f"{ASSISTANT}/actions", items.ActionViewSet, basename="action")
router.register(f"{ASSISTANT}/responses", items.ResponseViewSet, basename="response")
router.register(f"{ASSISTANT}/forms", items.FormViewSet, basename="form")
router.register(f"{ASSISTANT}/examples", items.ExampleViewSet, basename="example")
router.register(f"{ASSISTANT}/synonyms", items.SynonymViewSet, basename="synonym")
router.register(f"{ASSISTANT}/regexes", items.RegexViewSet, basename="regex")
router.register(f"{ASSISTANT}/lookups", items.LookupViewSet, basename="lookup")
router.register(f"{ASSISTANT}/stories", items.StoryViewSet, basename="story")
router.register(f"{ASSISTANT}/conversations", ConversationViewSet, basename="conversation")
router.register(f"{ASSISTANT}/inbox", InboxViewSet, basename="inbox")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("assistants/import/", AssistantImportView.as_view(), name="assistant-import"),
    path(f"{ASSISTANT}/import/", AssistantReimportView.as_view(), name="assistant-reimport"),
    path(f"{ASSISTANT}/export/", AssistantExportView.as_view(), name="assistant-export"),
    path(f"{ASSISTANT}/validate/", AssistantValidateView.as_view(), name="assistant-validate"),
    path(f"{ASSISTANT}/config/", TrainingConfigView.as_view(), name="config"),
    path(f"{ASSISTANT}/domain-settings/", DomainSettingsView.as_view(), name="domain-settings"),
    path(f"{ASSISTANT}/tags/", TagListView.as_view(), name="tag-list"),
    *router.urls,
]
