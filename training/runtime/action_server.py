"""Custom actions through an action server speaking the rasa-sdk protocol."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RASA_SDK_VERSION = "3.6.0"


NO_ACTION_ENDPOINT = "no action_endpoint in endpoints.yml"


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
) -> ActionServerResult:
    """POST ``{next_action, sender_id, tracker, domain, version}`` (``domain_json``: the domain
    already serialized, ``RuntimeDomain.rasa_json``) and read the answer; never raises:
    failures come back as ``error`` (or ``rejected``)."""
    request = urllib.request.Request(
        url,
        data=action_request_body(action, sender_id, tracker, domain_json),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = json.loads(answer.read().decode("utf-8") or "{}")
    except urllib.error.HTTPError as error:
        detail = _error_body(error)
        if error.code == 400 and detail.get("action_name"):
            return ActionServerResult(rejected=True, error=str(detail.get("error") or ""))
        if error.code == 404:
            return ActionServerResult(
                error=f"the action server at {url} has no action {action!r} (404)"
            )
        message = detail.get("error") or detail.get("message") or error.reason
        return ActionServerResult(
            error=f"the action server at {url} answered {error.code} for {action!r}: {message}"
        )
    except TimeoutError:
        return ActionServerResult(
            error=f"the action server at {url} did not answer {action!r} within {timeout:g} s"
        )
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            return ActionServerResult(
                error=f"the action server at {url} did not answer {action!r} within {timeout:g} s"
            )
        return ActionServerResult(
            error=f"the action server at {url} cannot be reached: {error.reason}"
        )
    except ConnectionError as error:  # reset or refused outside urllib's wrapping: it is gone
        return ActionServerResult(error=f"the action server at {url} cannot be reached: {error}")
    except (OSError, ValueError) as error:
        return ActionServerResult(error=f"the action server at {url} failed: {error}")
    if not isinstance(body, Mapping):
        return ActionServerResult(error=f"the action server at {url} answered no JSON object")
    events = [dict(e) for e in body.get("events") or () if isinstance(e, Mapping)]
    responses = [dict(r) for r in body.get("responses") or () if isinstance(r, Mapping)]
    return ActionServerResult(events=events, responses=responses)


def action_request_body(
    action: str, sender_id: str, tracker: Mapping[str, Any], domain_json: str
) -> bytes:
    """The rasa-sdk request as JSON bytes, the serialized domain spliced in as it is."""
    fields = {"next_action": action, "sender_id": sender_id, "tracker": dict(tracker)}
    head = json.dumps(fields, default=str)[:-1]  # without its closing brace
    version = json.dumps(RASA_SDK_VERSION)
    return f'{head}, "domain": {domain_json}, "version": {version}}}'.encode()


def _error_body(error: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        body = json.loads(error.read().decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return dict(body) if isinstance(body, Mapping) else {}
