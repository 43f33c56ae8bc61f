"""Websocket routes; the consumers live in the apps that own them."""

from __future__ import annotations

from typing import Any

from django.urls import path

from training.bots.consumers import ChatConsumer
from training.consumers import JobConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/bots/<str:assistant>/chat/", ChatConsumer.as_asgi()),
    path("ws/assistants/<int:assistant_pk>/training/", JobConsumer.as_asgi()),
]
