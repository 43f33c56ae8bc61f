"""``call_action_server``: the request it sends, and a server that goes away (reported, never
raised)."""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import asdict
from datetime import date

from tests.training.serving_fakes import DOMAIN
from training.runtime.action_server import (
    RASA_SDK_VERSION,
    action_request_body,
    call_action_server,
)
from training.runtime.domain import RuntimeDomain


def _resetting_server() -> tuple[socket.socket, threading.Thread]:
    """Accepts one connection, reads the whole request, then resets it instead of answering
    (a server dying mid-action)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        connection, _ = listener.accept()
        request = b""
        while not request.endswith(b"}"):  # the whole request, its JSON body last
            request += connection.recv(65536)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()  # RST instead of an answer

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_given_a_server_that_resets_the_connection_when_calling_then_it_cannot_be_reached() -> None:
    listener, thread = _resetting_server()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/webhook"

    result = call_action_server(
        url=url, action="action_x", sender_id="a", tracker={}, domain_json="{}", timeout=10
    )
    thread.join(timeout=10)
    listener.close()

    assert not result.rejected
    assert result.error is not None
    assert f"the action server at {url} cannot be reached" in result.error


def test_given_a_domain_serialized_once_when_building_a_request_then_it_is_rasa_sdk_json() -> None:
    domain = RuntimeDomain.from_metadata(asdict(DOMAIN))
    tracker = {"sender_id": "zoë", "events": [{"event": "user", "timestamp": date(2026, 11, 21)}]}

    body = action_request_body("action_x", "zoë", tracker, domain.rasa_json)

    assert json.loads(body) == {
        "next_action": "action_x",
        "sender_id": "zoë",
        "tracker": {"sender_id": "zoë", "events": [{"event": "user", "timestamp": "2026-11-21"}]},
        "domain": domain.as_rasa_dict(),
        "version": RASA_SDK_VERSION,
    }
    assert domain.rasa_json is domain.rasa_json  # serialized once per model
