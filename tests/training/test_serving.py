"""The running assistant with a fake model: responses, slot mappings, forms, sessions, custom
actions through a local action server, and a new model picked up without a restart."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from annotation.models import Asset, Assistant, Conversation, Event
from annotation.selectors.conversations import conversation_events, conversation_tracker
from annotation.services.conversations import conversation_open, known_histories_clear
from tests.factories import AssistantFactory
from tests.training.serving_fakes import DOMAIN, FakeModel, NluOnlyModel, write_fake_archive
from training import serving
from training.services import assistant_models_dir
from training.serving import (
    NoModelError,
    assistant_handle_message,
    conversation_execute,
    conversation_log_message,
    serving_cache_clear,
)

pytestmark = pytest.mark.django_db

MODELS: dict[str, Any] = {}


def fake_load(path: Path) -> Any:
    model_id = path.name.removesuffix(".tar.gz").rsplit("-", 1)[-1]
    return MODELS[model_id]


@pytest.fixture(autouse=True)
def fake_models(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    settings.DATA_DIR = tmp_path / "data"
    monkeypatch.setattr(serving, "load_model", fake_load)
    MODELS.clear()
    serving_cache_clear()
    yield
    serving_cache_clear()


@pytest.fixture
def assistant() -> Assistant:
    assistant = AssistantFactory(name="restaurants")
    MODELS["m1"] = FakeModel("m1")
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260101-000000-000000", "m1")
    return assistant


def say(assistant: Assistant, text: str, sender: str = "alice", channel: str = "rest") -> list[str]:
    messages = assistant_handle_message(
        assistant=assistant, sender_id=sender, text=text, channel=channel
    )
    return [m.get("text", "") for m in messages]


def events_of(assistant: Assistant, sender: str = "alice") -> list[dict[str, Any]]:
    conversation = Conversation.objects.get(assistant=assistant, sender_id=sender)
    return list(conversation.events.order_by("position").values_list("data", flat=True))


def slots_of(assistant: Assistant, sender: str = "alice") -> dict[str, Any]:
    return dict(Conversation.objects.get(assistant=assistant, sender_id=sender).slots)


def test_given_a_first_message_when_handled_then_session_user_and_actions_are_recorded(
    assistant: Assistant,
) -> None:
    texts = say(assistant, "/greet")

    assert texts == ["Hi there!"]
    kinds = [(e["event"], e.get("name")) for e in events_of(assistant)]
    assert kinds == [
        ("action", "action_session_start"),
        ("session_started", None),
        ("action", "action_listen"),
        ("user", None),
        ("action", "utter_greet"),
        ("bot", None),
        ("action", "action_listen"),
    ]
    action = Event.objects.get(action="utter_greet")
    assert (action.policy, action.confidence) == ("FakeRulePolicy", 0.9)
    user = Event.objects.get(kind="user")
    assert (user.intent, user.intent_confidence, user.text) == ("greet", 1.0, "/greet")
    assert Conversation.objects.get().model_id == "m1"


def test_given_a_slot_condition_and_a_channel_when_responding_then_the_variation_fits(
    assistant: Assistant,
) -> None:
    assert say(assistant, '/greet{"name": "Ada"}') == ["Hello Ada!"]
    assert say(assistant, '/greet{"name": "Bob"}') == ["Hi there!"]
    assert say(assistant, "/greet", sender="web", channel="socketio") == ["Hey, web user!"]


def test_given_no_model_when_a_message_comes_then_no_model_error() -> None:
    with pytest.raises(NoModelError):
        say(AssistantFactory(), "/greet")


def test_given_a_model_without_policies_when_handled_then_it_listens(
    assistant: Assistant,
) -> None:
    MODELS["m2"] = NluOnlyModel("m2")
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260102-000000-000000", "m2")

    assert say(assistant, '/inform{"city": "Rome"}') == []

    assert slots_of(assistant)["city"] == "Rome"
    assert events_of(assistant)[-1]["name"] == "action_listen"


def test_given_a_form_when_talking_then_it_asks_required_slots_and_submits(
    assistant: Assistant,
) -> None:
    assert say(assistant, '/inform{"city": "Rome"}') == []

    assert say(assistant, "/request_restaurant") == ["Which cuisine?"]
    assert slots_of(assistant)["requested_slot"] == "cuisine"
    assert slots_of(assistant)["outdoor"] is False  # from_trigger_intent

    # from_text for "people" holds only while the form requests it
    assert say(assistant, '/inform{"cuisine": "thai"}') == ["For how many people?"]
    assert slots_of(assistant)["people"] is None

    assert say(assistant, "four") == []  # chitchat is a not_intent: nothing filled, rejected
    assert events_of(assistant)[-2]["event"] == "action_execution_rejected"

    assert say(assistant, "/affirm") == ["Booking thai for /affirm in Rome."]
    slots = slots_of(assistant)
    assert slots["outdoor"] is True  # from_intent
    assert (slots["requested_slot"], slots["people"]) == (None, "/affirm")
    assert Conversation.objects.get().active_loop is None


def test_given_a_button_response_when_sent_then_the_rest_message_carries_it(
    assistant: Assistant,
) -> None:
    messages = assistant_handle_message(
        assistant=assistant, sender_id="b", text="/request_restaurant", channel="rest"
    )

    assert messages == [
        {
            "recipient_id": "b",
            "text": "Which cuisine?",
            "buttons": [{"title": "Thai", "payload": "/inform"}],
        }
    ]


def test_given_a_fallback_when_run_then_the_message_is_reverted(assistant: Assistant) -> None:
    assert say(assistant, "blah") == ["Sorry, say again?"]

    conversation = Conversation.objects.get()
    tracker = conversation_tracker(conversation=conversation, include_events="APPLIED")
    assert "user" not in [e["event"] for e in tracker["events"]]
    assert Event.objects.filter(kind="rewind").count() == 1


def test_given_an_old_conversation_when_a_message_comes_then_a_new_session_carries_slots(
    assistant: Assistant,
) -> None:
    say(assistant, '/inform{"city": "Rome"}')
    conversation = Conversation.objects.get()
    Conversation.objects.filter(pk=conversation.pk).update(
        latest_event_at=conversation.latest_event_at - timedelta(minutes=61)
    )

    say(assistant, "/greet")

    events = events_of(assistant)
    assert [e["event"] for e in events].count("session_started") == 2
    second = [i for i, e in enumerate(events) if e["event"] == "session_started"][1]
    assert events[second + 1] == {**events[second + 1], "event": "slot", "name": "city"}
    tracker = conversation_tracker(conversation=conversation)  # both sessions, as Rasa's
    session = conversation_tracker(conversation=conversation, include_events="APPLIED")
    assert [e["event"] for e in tracker["events"]].count("session_started") == 2
    assert session["events"][0]["event"] == "session_started"
    assert [e["event"] for e in session["events"]].count("session_started") == 1
    assert tracker["slots"]["city"] == session["slots"]["city"] == "Rome"


def test_given_a_recent_conversation_when_a_message_comes_then_the_session_goes_on(
    assistant: Assistant,
) -> None:
    say(assistant, "/greet")
    say(assistant, "/greet")

    assert [e["event"] for e in events_of(assistant)].count("session_started") == 1


def test_given_a_second_archive_when_the_next_message_comes_then_the_new_model_serves_it(
    assistant: Assistant,
) -> None:
    say(assistant, "/greet")
    MODELS["m2"] = FakeModel("m2", policy=lambda events: "action_listen")
    time.sleep(0.01)
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260105-000000-000000", "m2")

    assert say(assistant, "/greet") == []

    assert Conversation.objects.get().model_id == "m2"


# ------------------------------------------------------------------------- action server


class ActionServer(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ActionServer.requests.append(body)
        action = body["next_action"]
        slots = body["tracker"]["slots"]
        status, answer = 200, {}
        if action == "action_weather":
            city = body["tracker"]["slots"].get("city")
            answer = {
                "events": [{"event": "slot", "name": "weather", "value": "sunny"}],
                "responses": [
                    {"text": f"Checking {city}..."},
                    {"response": "utter_weather", "place": city},
                ],
            }
        elif action == "validate_restaurant_form" and slots.get("cuisine") == "none":
            status, answer = 400, {"action_name": action, "error": "no cuisine is no answer"}
        elif action == "validate_restaurant_form":
            cuisine = slots.get("cuisine") or ""
            title = [{"event": "slot", "name": "cuisine", "value": cuisine.title()}]
            answer = {"events": title if cuisine else [], "responses": []}
        elif action == "action_ask_people":
            cuisine = body["tracker"]["slots"].get("cuisine")
            answer = {"events": [], "responses": [{"text": f"How many for {cuisine}?"}]}
        elif action == "action_slow":
            time.sleep(1.0)
        elif action == "action_broken":
            status, answer = 500, {"error": "boom"}
        elif action == "action_reject":
            status, answer = 400, {"action_name": action, "error": "not now"}
        else:
            status, answer = 404, {"error": "no such action"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # BrokenPipeError: the assistant gave up waiting (the timeout test)
        with contextlib.suppress(BrokenPipeError):
            self.wfile.write(data)


@pytest.fixture
def action_server(assistant: Assistant) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ActionServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    Asset.objects.create(
        assistant=assistant,
        path="endpoints.yml",
        content=f"action_endpoint:\n  url: {url}\n".encode(),
    )
    ActionServer.requests = []
    yield url
    server.shutdown()
    server.server_close()


def with_policy(assistant: Assistant, action: str) -> None:
    def policy(events: Any) -> str:
        last = next(e for e in reversed(events) if e.kind != "slot")
        return action if last.kind == "intent" else "action_listen"

    MODELS["m9"] = FakeModel("m9", policy=policy)
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260109-000000-000000", "m9")


def test_given_an_action_server_when_a_custom_action_runs_then_events_and_responses_apply(
    assistant: Assistant, action_server: str
) -> None:
    say(assistant, '/inform{"city": "Rome"}')

    assert say(assistant, "/ask_weather") == ["Checking Rome...", "It is sunny in Rome."]

    [request] = ActionServer.requests
    assert request["next_action"] == "action_weather"
    assert request["sender_id"] == "alice"
    assert request["tracker"]["events"][-1]["event"] == "user"
    assert "restaurant_form" in request["domain"]["forms"]
    assert slots_of(assistant)["weather"] == "sunny"


@pytest.mark.parametrize(
    ("action", "error"),
    [("action_slow", "within 0.3 s"), ("action_broken", "answered 500"), ("action_missing", "404")],
)
def test_given_a_failing_action_server_when_the_action_runs_then_the_error_is_recorded(
    assistant: Assistant,
    action_server: str,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
    error: str,
) -> None:
    monkeypatch.setattr(serving, "ACTION_TIMEOUT_S", 0.3)
    with_policy(assistant, action)

    assert say(assistant, "/greet") == []

    executed = Event.objects.get(action=action)
    assert error in executed.data["metadata"]["error"]
    assert not Event.objects.filter(kind="bot").exists()
    assert events_of(assistant)[-1]["name"] == "action_listen"


def test_given_a_rejecting_action_when_it_runs_then_the_rejection_is_recorded(
    assistant: Assistant, action_server: str
) -> None:
    with_policy(assistant, "action_reject")

    say(assistant, "/greet")

    kinds = [e["event"] for e in events_of(assistant)]
    assert "action_execution_rejected" in kinds


def test_given_no_action_endpoint_when_a_custom_action_runs_then_the_error_is_recorded(
    assistant: Assistant,
) -> None:
    with_policy(assistant, "action_weather")

    assert say(assistant, "/greet") == []

    assert "endpoints.yml" in Event.objects.get(action="action_weather").data["metadata"]["error"]


def test_given_a_form_validation_action_when_a_slot_is_filled_then_its_events_apply(
    assistant: Assistant, action_server: str
) -> None:
    domain = dataclasses.replace(DOMAIN, actions=(*DOMAIN.actions, "validate_restaurant_form"))
    MODELS["m8"] = FakeModel("m8", domain=domain)
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260108-000000-000000", "m8")

    say(assistant, "/request_restaurant")
    assert say(assistant, '/inform{"cuisine": "thai"}') == ["For how many people?"]

    assert slots_of(assistant)["cuisine"] == "Thai"
    assert [r["next_action"] for r in ActionServer.requests] == ["validate_restaurant_form"] * 2


def test_given_a_validation_action_that_refuses_when_the_form_runs_then_the_form_is_rejected(
    assistant: Assistant, action_server: str
) -> None:
    domain = dataclasses.replace(DOMAIN, actions=(*DOMAIN.actions, "validate_restaurant_form"))
    MODELS["m9"] = FakeModel("m9", domain=domain)
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260109-000000-000000", "m9")
    say(assistant, "/request_restaurant")

    answer = say(assistant, '/inform{"cuisine": "none"}')

    events = events_of(assistant)
    user_at = max(i for i, e in enumerate(events) if e["event"] == "user")
    after = [(e["event"], e.get("name")) for e in events[user_at + 1 :]]
    assert answer == []  # nothing asked: the form did not run
    assert after == [
        ("slot", "cuisine"),
        ("action_execution_rejected", "restaurant_form"),
        ("action", "action_listen"),
    ]
    tracker = serving.conversation_tracker_json(assistant=assistant, sender_id="alice")
    assert tracker["active_loop"] == {"name": "restaurant_form"}  # still active, as in Rasa
    assert tracker["slots"]["requested_slot"] == "cuisine"


def test_given_a_custom_ask_action_when_the_form_asks_for_its_slot_then_it_runs(
    assistant: Assistant, action_server: str
) -> None:
    domain = dataclasses.replace(DOMAIN, actions=(*DOMAIN.actions, "action_ask_people"))
    MODELS["m10"] = FakeModel("m10", domain=domain)
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260110-000000-000000", "m10")
    say(assistant, "/request_restaurant")

    answer = say(assistant, '/inform{"cuisine": "thai"}')

    assert answer == ["How many for thai?"]  # instead of utter_ask_people
    assert [r["next_action"] for r in ActionServer.requests] == ["action_ask_people"]
    assert slots_of(assistant)["requested_slot"] == "people"


def test_given_a_restart_when_executed_then_the_tracker_starts_over(assistant: Assistant) -> None:
    say(assistant, '/inform{"city": "Rome"}')

    result = conversation_execute(assistant=assistant, sender_id="alice", name="action_restart")

    assert result["tracker"]["slots"]["city"] is None
    assert [e["event"] for e in result["tracker"]["events"]] == ["restart"]
    assert Conversation.objects.get().session_position > 0


def test_given_an_ongoing_conversation_when_a_message_comes_then_queries_stay_few(
    assistant: Assistant, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        say(assistant, "/greet")

    # conversation, its session's events, endpoints.yml, then one locked write
    with django_assert_max_num_queries(8):
        say(assistant, '/inform{"city": "Rome"}')


def test_given_an_intent_the_form_ignores_when_said_then_it_fills_no_form_slot(
    assistant: Assistant,
) -> None:
    form = dataclasses.replace(DOMAIN.forms[0], ignored_intents=("inform",))
    MODELS["m7"] = FakeModel("m7", domain=dataclasses.replace(DOMAIN, forms=(form,)))
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260107-000000-000000", "m7")
    say(assistant, "/request_restaurant")

    say(assistant, '/inform{"cuisine": "thai", "city": "Rome"}')

    slots = slots_of(assistant)
    assert (slots["cuisine"], slots["city"]) == (None, "Rome")
    assert "action_execution_rejected" in [e["event"] for e in events_of(assistant)]


def test_given_action_back_when_executed_then_the_last_user_turn_is_undone(
    assistant: Assistant,
) -> None:
    say(assistant, '/inform{"city": "Rome"}')
    say(assistant, '/inform{"city": "Oslo"}')
    conversation_log_message(assistant=assistant, sender_id="alice", text="/back")

    result = conversation_execute(assistant=assistant, sender_id="alice", name="action_back")

    assert result["tracker"]["slots"]["city"] == "Rome"
    assert result["tracker"]["latest_message"]["text"] == '/inform{"city": "Rome"}'


def test_given_a_broken_archive_when_a_message_comes_then_a_model_load_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assistant = AssistantFactory()
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260101-000000-000000", "bad")
    monkeypatch.setattr(serving, "load_model", serving.Model.load)  # the real loader

    with pytest.raises(serving.ModelLoadError, match="cannot be loaded"):
        say(assistant, "/greet")


@pytest.mark.django_db(transaction=True)
def test_given_turns_outside_transactions_when_the_session_is_known_then_it_matches_the_db(
    assistant: Assistant,
) -> None:
    """The webhook's turns run outside transactions, so each process keeps what it read of the
    session (``known_histories``): after every kind of turn it must equal what is stored, and
    the turns must answer as they do with nothing kept."""
    script = [
        '/inform{"city": "Rome"}',
        "/request_restaurant",
        '/inform{"cuisine": "thai"}',
        "four",
        "/affirm",
        "blah",  # a fallback: the message is reverted
        "/greet",
    ]
    for text in script:
        answered = say(assistant, text)
        known_histories_clear()
        assert say(assistant, text, sender="fresh") == answered
        conversation = Conversation.objects.get(sender_id="alice")
        _, known = conversation_open(assistant=assistant, sender_id="alice")
        assert known == conversation_events(conversation=conversation)
    conversation_execute(assistant=assistant, sender_id="alice", name="action_restart")
    _, known = conversation_open(assistant=assistant, sender_id="alice")
    assert [e["event"] for e in known] == ["restart"]
