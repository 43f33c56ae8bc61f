"""``/bots/<assistant>/``: Rasa's REST channel and HTTP API (paths as Rasa has them)."""

from __future__ import annotations

from django.urls import URLPattern, path

from training.bots import views

app_name = "bots"

BOT = "<str:assistant>"
CONVERSATION = f"{BOT}/conversations/<str:sender_id>"

urlpatterns: list[URLPattern] = [
    path(f"{BOT}/webhooks/rest/webhook", views.RestWebhookView.as_view(), name="rest-webhook"),
    path(f"{BOT}/version", views.VersionView.as_view(), name="version"),
    path(f"{BOT}/status", views.StatusView.as_view(), name="status"),
    path(f"{BOT}/model/parse", views.ParseView.as_view(), name="parse"),
    path(f"{BOT}/model", views.ModelView.as_view(), name="model"),
    path(f"{BOT}/domain", views.DomainView.as_view(), name="domain"),
    path(f"{CONVERSATION}/tracker", views.TrackerView.as_view(), name="tracker"),
    path(f"{CONVERSATION}/tracker/events", views.TrackerEventsView.as_view(), name="events"),
    path(f"{CONVERSATION}/messages", views.MessagesView.as_view(), name="messages"),
    path(f"{CONVERSATION}/predict", views.PredictView.as_view(), name="predict"),
    path(f"{CONVERSATION}/execute", views.ExecuteView.as_view(), name="execute"),
    path(f"{CONVERSATION}/trigger_intent", views.TriggerIntentView.as_view(), name="trigger"),
    path(f"{CONVERSATION}/story", views.StoryView.as_view(), name="story"),
]
