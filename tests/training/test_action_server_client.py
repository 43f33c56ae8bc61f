"""``call_action_server``: the request it sends, and a server that goes away (reported, never
raised)."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

from tests.training.serving_fakes import DOMAIN
from training.runtime.action_server import (
    RASA_SDK_VERSION,
    EventJson,
    RecordedEvents,
    action_request_body,
    call_action_server,
)
from training.runtime.domain import RuntimeDomain
from training.runtime.turn import Turn


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


def _body(tracker: Mapping[str, Any]) -> dict[str, Any]:
    return dict(json.loads(action_request_body("action_x", "ada", tracker, "{}")))


def test_given_recorded_events_when_building_a_request_then_it_is_the_plain_trackers_json() -> None:
    events: list[dict[str, Any]] = [
        {"event": "session_started", "timestamp": 1.0},
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
        {"event": "action", "name": "action_x", "timestamp": date(2026, 11, 22)},
    ]
    plain: dict[str, Any] = {"sender_id": "ada", "slots": {"city": "Lyon"}, "events": events}
    for recorded in (0, 1, 3, 7):
        marked = {**plain, "events": RecordedEvents(events, recorded)}
        assert _body(marked) == _body(plain)
        assert _body({"events": RecordedEvents(events, recorded)})["tracker"] == {
            "events": json.loads(json.dumps(events, default=str))
        }


def test_given_a_turns_own_event_changed_when_building_again_then_the_body_shows_the_change() -> (
    None
):
    recorded = {"event": "user", "text": "hi"}
    own: dict[str, Any] = {"event": "action", "name": "action_x"}
    tracker = {"sender_id": "ada", "events": RecordedEvents([recorded, own], 1)}
    first = _body(tracker)
    own["metadata"] = {"error": "the action server cannot be reached"}  # as a turn notes errors

    second = _body(tracker)

    assert first["tracker"]["events"][1] == {"event": "action", "name": "action_x"}
    assert second["tracker"]["events"][1]["metadata"] == own["metadata"]


def test_given_event_json_when_asked_then_it_serializes_each_event_object_once() -> None:
    texts = EventJson(size=2)
    event = {"event": "user", "text": "hi"}
    assert texts.text(event) == json.dumps(event)
    event["text"] = "changed"  # recorded events never change: a changed one is not seen again
    assert texts.text(event) == json.dumps({"event": "user", "text": "hi"})
    twin = {"event": "user", "text": "changed"}  # equal content, another object: its own JSON
    assert texts.text(twin) == json.dumps(twin)
    texts.text({"event": "bot"})  # a third: the least recently used (``event``) is forgotten
    assert texts.text(event) == json.dumps(event)


def test_given_a_turn_when_building_its_action_tracker_then_only_recorded_events_are_marked() -> (
    None
):
    domain = RuntimeDomain.from_metadata(asdict(DOMAIN))
    history = [
        {"event": "action", "name": "action_listen", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 2.0},
        {"event": "user", "text": "hi", "timestamp": 3.0, "parse_data": {}},
    ]
    turn = Turn(model=None, domain=domain, sender_id="ada", channel="rest", history=history)
    turn.add({"event": "action", "name": "action_x"})

    events = turn.action_tracker()["events"]

    assert isinstance(events, RecordedEvents)
    assert [e.get("event") for e in events] == ["session_started", "user", "action"]
    assert events.recorded == 2  # the session's recorded events, not the turn's own
    assert events[0] is history[1]  # the objects themselves: their JSON is found again
    assert _body(turn.action_tracker()) == _body(turn.tracker())
