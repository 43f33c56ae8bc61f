"""The REST channel's webhook (``POST /bots/<assistant>/webhooks/rest/webhook``) as a plain ASGI
route in front of Django.

It is the path every message of a deployed assistant takes, and under load Django's ASGI request
handling cost more CPU than the turn itself (``bench.webhook_bench``, one run on 2 cores: 22.8 ms
per message through the middleware stack and DRF, 12.2 ms through this route): the webhook is
public, has no session, cookie or CSRF to deal with, so the route reads the JSON body, checks the
Host header as Django would, and runs the turn on a small pool of threads that keep their
database connections (``turn_pool``: they take their places in ``training.serving``'s turn gate,
which lets one turn compute at a time, before they take requests).
Everything else (and the same URL through Django's test client) goes to Django:
``RestWebhookView`` answers with the same ``rest_webhook_answer``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.db import connections
from django.http.request import split_domain_port, validate_host

from annotation.models import Assistant
from training import serving
from training.bots.assistants import bot_assistant
from training.bots.errors import rasa_error_body
from training.bots.turn_pool import TurnPool

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]  # Django's handler types its own arguments

WEBHOOK_PATH = re.compile(r"^/bots/(?P<assistant>[^/]+)/webhooks/rest/webhook/?$")
# turns waiting on an action server let others run meanwhile (training.serving's gate): a few
# threads, so that one slow action server does not hold up every conversation of the process
TURN_THREADS = 8


def rest_webhook_reply(assistant_key: str, body: bytes) -> tuple[int, Any]:
    """The webhook's answer to ``body`` (status, JSON-able): the bot's messages
    ``[{recipient_id, text, ...}]``, or an error in Rasa's shape."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        return 400, rasa_error_body(400, "ParseError", f"The body is not JSON: {error}")
    assistant = bot_assistant(assistant_key)
    if assistant is None:
        return 404, rasa_error_body(404, "NotFound", f"No assistant {assistant_key!r}.")
    return rest_webhook_answer(assistant, data)


def rest_webhook_answer(assistant: Assistant, data: Any) -> tuple[int, Any]:
    """As ``rest_webhook_reply`` for a parsed body and a found assistant (Django's view)."""
    if not isinstance(data, dict):
        return 400, _invalid("The request body must be a JSON object.")
    text = data.get("message")
    if not isinstance(text, str):
        problem = "message must be a string."
        return 400, _invalid(problem, {"message": [problem]})
    metadata = data.get("metadata")
    try:
        messages = serving.assistant_handle_message(
            assistant=assistant,
            sender_id=str(data.get("sender") or "default"),
            text=text,
            channel="rest",
            metadata=metadata if isinstance(metadata, dict) else None,
        )
    except serving.ServingError as error:
        return error.http_status, rasa_error_body(error.http_status, error.code, error.message)
    return 200, messages


def _invalid(message: str, details: Any = None) -> dict[str, Any]:
    return rasa_error_body(400, "ValidationError", message, details)


class RestChannelApp:
    """ASGI: the REST webhook answered here, every other request passed to ``fallback``."""

    def __init__(self, fallback: ASGIApp, *, threads: int = TURN_THREADS) -> None:
        self.fallback = fallback
        self._executor = TurnPool(threads, serving.turn_gate())

    def close_connections(self) -> None:
        """Close every thread's database connections (the next message opens them again)."""
        self._executor.on_every_thread(connections.close_all)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = WEBHOOK_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope.get("method") != "POST":
            await self.fallback(scope, receive, send)
            return
        if not _host_allowed(scope):
            await _send_json(send, 400, rasa_error_body(400, "DisallowedHost", "Invalid Host."))
            return
        body = await _read_body(receive, limit=int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        if body is None:
            message = "The request body is too large."
            await _send_json(send, 413, rasa_error_body(413, "RequestTooLarge", message))
            return
        loop = asyncio.get_running_loop()
        status, answer = await loop.run_in_executor(
            self._executor, _reply_in_thread, match["assistant"], body
        )
        await _send_json(send, status, answer)


def _reply_in_thread(assistant_key: str, body: bytes) -> tuple[int, Any]:
    try:
        return rest_webhook_reply(assistant_key, body)
    except Exception:
        logger.exception("The REST webhook of %r failed", assistant_key)
        return 500, rasa_error_body(500, "InternalError", "The message could not be handled.")
    finally:
        _drop_broken_connections()


def _drop_broken_connections() -> None:
    """The threads keep their connections between messages (opening one per message cost as much
    as the turn's queries); one that failed is checked and, if unusable, closed and reopened by
    the next message, as Django's ``close_old_connections`` would."""
    for connection in connections.all(initialized_only=True):
        if not connection.errors_occurred:
            continue
        if connection.in_atomic_block or not connection.is_usable():
            connection.close()
        else:
            connection.errors_occurred = False


def _host_allowed(scope: Scope) -> bool:
    host = next((v for k, v in scope.get("headers") or () if k == b"host"), b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


async def _read_body(receive: Receive, *, limit: int) -> bytes | None:
    """The whole request body, or None once it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
