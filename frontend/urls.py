from __future__ import annotations

from django.urls import path

from frontend import accounts, views
from frontend.training import training

app_name = "frontend"

A = "assistants/<int:assistant_id>"

urlpatterns = [
    path("", views.assistant_list, name="assistant-list"),
    path("account/token/", accounts.api_token, name="api-token"),
    path(f"{A}/", views.assistant_home, name="assistant-home"),
    path(f"{A}/conversations/", views.conversations, name="conversations"),
    path(
        f"{A}/conversations/<int:conversation_id>/",
        views.conversation_detail,
        name="conversation",
    ),
    path(f"{A}/inbox/", views.inbox, name="inbox"),
    path(f"{A}/talk/", views.talk, name="talk"),
    path(f"{A}/talk/<int:session_id>/", views.talk, name="talk-session"),
    path(f"{A}/intents/", views.intents, name="intents"),
    path(f"{A}/nlu/<str:kind>/", views.nlu_lists, name="nlu-lists"),
    path(f"{A}/stories/", views.stories, name="stories"),
    path(f"{A}/stories/new/", views.story_edit, name="story-new"),
    path(f"{A}/stories/parse/", views.story_parse, name="story-parse"),
    path(f"{A}/stories/<int:story_id>/", views.story_edit, name="story"),
    path(f"{A}/domain/", views.domain, name="domain"),
    path(f"{A}/domain/<str:tab>/", views.domain, name="domain-tab"),
    path(f"{A}/members/", accounts.members, name="members"),
    path(f"{A}/training/", training, name="training"),
]
