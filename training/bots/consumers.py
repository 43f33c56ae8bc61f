"""The browser chat: a websocket channel to the running assistant, for the team's members.

``ws/bots/<assistant>/chat/?session_id=...`` (assistant: name or id; a signed-in member of the
assistant). The client sends ``{"type": "user_uttered", "message": "..."}``; each bot message
comes back as ``{"type": "bot_uttered", "recipient_id", "text", "buttons", ...}``, and a failure
as ``{"type": "error", "code", "message"}``. Conversations are recorded with the channel
``socketio`` (Rasa's name for its browser channel, so ``channel: socketio`` responses apply).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from annotation.models import Assistant
from annotation.selectors.items import assistant_access
from training import serving

CHANNEL = "socketio"


def _member_assistant(user: Any, key: str) -> Assistant | None:
    if not (user and user.is_authenticated):
        return None
    found = Assistant.objects.filter(name=key).first()
    if found is None and key.isdigit():
        found = Assistant.objects.filter(pk=int(key)).first()
    if found is None:
        return None
    access = assistant_access(user=user, assistant_id=found.pk)
    return found if access is not None and access.role is not None else None


def _handle(assistant: Assistant, sender_id: str, text: str) -> list[dict[str, Any]]:
    return serving.assistant_handle_message(
        assistant=assistant, sender_id=sender_id, text=text, channel=CHANNEL
    )


class ChatConsumer(AsyncJsonWebsocketConsumer):
    assistant: Assistant
    sender_id: str

    async def connect(self) -> None:
        key = str(self.scope["url_route"]["kwargs"]["assistant"])
        found = await database_sync_to_async(_member_assistant)(self.scope.get("user"), key)
        if found is None:
            await self.close(code=4404)
            return
        self.assistant = found
        query = parse_qs(self.scope.get("query_string", b"").decode("utf-8"))
        self.sender_id = (query.get("session_id") or [uuid.uuid4().hex])[0]
        await self.accept()
        await self.send_json({"type": "session_confirm", "session_id": self.sender_id})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        text = content.get("message") if isinstance(content, dict) else None
        if not isinstance(text, str):
            await self.send_json(
                {"type": "error", "code": "invalid", "message": "Send {message: text}."}
            )
            return
        try:
            messages = await database_sync_to_async(_handle)(self.assistant, self.sender_id, text)
        except serving.ServingError as error:
            await self.send_json({"type": "error", "code": error.code, "message": error.message})
            return
        for message in messages:
            await self.send_json({"type": "bot_uttered", **message})
