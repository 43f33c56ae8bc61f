"""A tiny ASGI application for the launcher's tests: answers HTTP with its process id and the
client's address (after ``?seconds=S``, S seconds later), and echoes websocket messages."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any
from urllib.parse import parse_qs


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        query = parse_qs(scope.get("query_string", b"").decode())
        await asyncio.sleep(float(query.get("seconds", ["0"])[0]))
        body = json.dumps({"pid": os.getpid(), "client": scope.get("client")}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        while True:
            event = await receive()
            if event["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif event["type"] == "websocket.receive":
                await send({"type": "websocket.send", "text": f"echo: {event.get('text')}"})
            else:  # websocket.disconnect
                return
