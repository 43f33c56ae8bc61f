"""Custom actions through an action server speaking the rasa-sdk protocol."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from annotation.sized_lru import SizedLru
from training.runtime.action_http import Waiting, post_json

RASA_SDK_VERSION = "3.6.0"


NO_ACTION_ENDPOINT = "no action_endpoint in endpoints.yml"

# ``json.dumps(value, default=str)`` without making an encoder for every event
_to_json = json.JSONEncoder(default=str).encode


@dataclass(frozen=True)
class ActionServerResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    rejected: bool = False  # a 400 with ``action_name``: the action refused to run
    error: str | None = None  # a timeout, a refused connection, a 404 / 500, a bad answer


def call_action_server(
    *,
    url: str,
    action: str,
    sender_id: str,
    tracker: Mapping[str, Any],
    domain_json: str,
    timeout: float,
    while_waiting: Waiting = contextlib.nullcontext,
) -> ActionServerResult:
    """POST ``{next_action, sender_id, tracker, domain, version}`` (``domain_json``: the domain
    already serialized, ``RuntimeDomain.rasa_json``) and read the answer; never raises:
    failures come back as ``error`` (or ``rejected``). ``while_waiting`` is entered around the
    waits on the server (``post_json``)."""
    body = action_request_body(action, sender_id, tracker, domain_json)
    try:
        status, data = post_json(url, body, timeout=timeout, while_waiting=while_waiting)
    except TimeoutError:
        return ActionServerResult(
            error=f"the action server at {url} did not answer {action!r} within {timeout:g} s"
        )
    except (ConnectionError, socket.gaierror) as error:  # refused, reset, or no such host
        return ActionServerResult(error=f"the action server at {url} cannot be reached: {error}")
    except (OSError, ValueError, http.client.HTTPException) as error:
        return ActionServerResult(error=f"the action server at {url} failed: {error}")
    if not 200 <= status < 300:
        return _failure(url, action, status, _json_object(data))
    answer = _json_object(data)
    if answer is None:
        return ActionServerResult(error=f"the action server at {url} answered no JSON object")
    events = [dict(e) for e in answer.get("events") or () if isinstance(e, Mapping)]
    responses = [dict(r) for r in answer.get("responses") or () if isinstance(r, Mapping)]
    return ActionServerResult(events=events, responses=responses)


def _failure(
    url: str, action: str, status: int, detail: Mapping[str, Any] | None
) -> ActionServerResult:
    detail = detail or {}
    if status == 400 and detail.get("action_name"):
        return ActionServerResult(rejected=True, error=str(detail.get("error") or ""))
    if status == 404:
        missing = f"the action server at {url} has no action {action!r} (404)"
        return ActionServerResult(error=missing)
    message = detail.get("error") or detail.get("message") or http.client.responses.get(status, "")
    return ActionServerResult(
        error=f"the action server at {url} answered {status} for {action!r}: {message}"
    )


def _json_object(data: bytes) -> Mapping[str, Any] | None:
    """The JSON object in ``data`` (an empty body: an empty object); None if it is not one."""
    try:
        value = json.loads(data.decode("utf-8") or "{}")
    except ValueError:  # UnicodeDecodeError included
        return None
    return value if isinstance(value, Mapping) else None


class RecordedEvents(tuple[Mapping[str, Any], ...]):
    """A tracker's events whose first ``recorded`` are recorded ones, never changed again: the
    request body reuses their JSON from earlier requests (``EventJson``) instead of serializing
    the whole session for every custom action. The rest (the turn's own events, which the turn
    may still amend) are serialized each time."""

    recorded: int

    def __new__(cls, events: Iterable[Mapping[str, Any]], recorded: int) -> RecordedEvents:
        made = super().__new__(cls, events)
        made.recorded = max(0, min(recorded, len(made)))
        return made


class EventJson:
    """The JSON of recorded events by identity, the least recently used forgotten first. An
    entry holds its event, so that its ``id`` is not reused while it is remembered."""

    def __init__(self, size: int) -> None:
        self._texts: SizedLru[tuple[Mapping[str, Any], str]] = SizedLru(size)

    def text(self, event: Mapping[str, Any]) -> str:
        known = self._texts.get(id(event))
        if known is not None and known[0] is event:
            return known[1]
        text = _to_json(event)
        self._texts.put(id(event), (event, text))
        return text


# about as many events as a process keeps of its conversations' sessions (known_histories)
_event_json = EventJson(size=20_000)


def action_request_body(
    action: str, sender_id: str, tracker: Mapping[str, Any], domain_json: str
) -> bytes:
    """The rasa-sdk request as JSON bytes, the serialized domain spliced in as it is, and the
    recorded ones of ``RecordedEvents`` as serialized before."""
    events = tracker.get("events")
    if not isinstance(events, RecordedEvents):
        fields = {"next_action": action, "sender_id": sender_id, "tracker": dict(tracker)}
        head = _to_json(fields)[:-1]  # without its closing brace
    else:  # the tracker's other fields, then its events last
        rest = {key: value for key, value in tracker.items() if key != "events"}
        fields = {"next_action": action, "sender_id": sender_id, "tracker": rest}
        opened = _to_json(fields)[:-2]  # the tracker and the body left open
        recorded = [_event_json.text(e) for e in events[: events.recorded]]
        fresh = [_to_json(e) for e in events[events.recorded :]]
        listed = ", ".join([*recorded, *fresh])
        head = f'{opened}{", " if rest else ""}"events": [{listed}]}}'
    version = json.dumps(RASA_SDK_VERSION)
    return f'{head}, "domain": {domain_json}, "version": {version}}}'.encode()
