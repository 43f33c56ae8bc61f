"""``/api/v1/assistants/<assistant_pk>/interactive/``: the training app's part of the API."""

from __future__ import annotations

from django.urls import URLPattern, path

from training.api import interactive as views
from training.api.jobs_urls import urlpatterns as jobs_urlpatterns

app_name = "training-api"

BASE = "assistants/<int:assistant_pk>/interactive"
SESSION = f"{BASE}/sessions/<int:pk>"

urlpatterns: list[URLPattern] = [
    path(f"{BASE}/sessions/", views.SessionStartView.as_view(), name="interactive-start"),
    path(f"{SESSION}/", views.SessionView.as_view(), name="interactive-session"),
    path(f"{SESSION}/parse/", views.ParseView.as_view(), name="interactive-parse"),
    path(f"{SESSION}/messages/", views.MessageView.as_view(), name="interactive-message"),
    path(f"{SESSION}/actions/", views.ActionView.as_view(), name="interactive-action"),
    path(f"{SESSION}/undo/", views.UndoView.as_view(), name="interactive-undo"),
    path(f"{SESSION}/restart/", views.RestartView.as_view(), name="interactive-restart"),
    path(f"{SESSION}/save/", views.SaveView.as_view(), name="interactive-save"),
    path(f"{BASE}/model/", views.ModelView.as_view(), name="interactive-model"),
    path(f"{BASE}/model/keep/", views.ModelKeepView.as_view(), name="interactive-keep"),
    path(f"{BASE}/model/discard/", views.ModelDiscardView.as_view(), name="interactive-discard"),
]

# training jobs and the model registry
urlpatterns += jobs_urlpatterns
