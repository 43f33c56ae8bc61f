"""``/bots/<assistant>/``: Rasa's REST channel and HTTP API, with a fake model and end to end
with a really trained tiny model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.models import Assistant, Conversation, Role
from annotation.services.project_import import assistant_import_from_path
from tests.factories import AssistantFactory, UserFactory, member
from tests.training.serving_fakes import FakeModel, write_fake_archive
from tests.training.tiny_project import write_tiny_project
from training import serving
from training.services import assistant_model_train, assistant_models_dir

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data(data_dir: Path) -> None:
    """Every test with a data folder of its own (tests/training/conftest.py)."""


@pytest.fixture
def assistant(fake_served: Assistant) -> Assistant:
    return fake_served


def token_of(assistant: Assistant, role: Role, username: str) -> str:
    user = member(assistant, role, username=username)
    return Token.objects.create(user=user).key


@pytest.fixture
def token(assistant: Assistant) -> str:
    return token_of(assistant, Role.ANNOTATOR, "ann")


def bot(assistant: Assistant | str, path: str, token: str | None = None) -> str:
    name = assistant if isinstance(assistant, str) else assistant.name
    url = f"/bots/{name}/{path}"
    return f"{url}?token={token}" if token else url


def test_given_the_rest_channel_when_posting_then_the_answer_and_the_recording_are_rasas(
    assistant: Assistant,
) -> None:
    client = APIClient()

    answer = client.post(
        bot(assistant, "webhooks/rest/webhook"),
        {"sender": "alice", "message": "/greet", "metadata": {"page": "home"}},
        format="json",
    )

    assert answer.status_code == 200, answer.content
    assert answer.json() == [{"recipient_id": "alice", "text": "Hi there!"}]
    conversation = Conversation.objects.get(sender_id="alice")
    assert conversation.channel == "rest"
    user = conversation.events.get(kind="user")
    assert user.data["input_channel"] == "rest"
    assert user.data["metadata"] == {"page": "home"}


def test_given_an_assistant_id_when_posting_then_it_is_found_too(assistant: Assistant) -> None:
    version = APIClient().get(bot(str(assistant.pk), "version"))
    assert version.json()["version"].startswith("3.")
    answer = APIClient().post(
        bot(str(assistant.pk), "webhooks/rest/webhook"),
        {"sender": "a", "message": "/greet"},
        format="json",
    )

    assert answer.json()[0]["text"] == "Hi there!"


def test_given_bad_requests_when_posting_then_errors_have_rasas_shape(assistant: Assistant) -> None:
    client = APIClient()

    missing = client.post(bot("nobody", "webhooks/rest/webhook"), {}, format="json")
    invalid = client.post(bot(assistant, "webhooks/rest/webhook"), {"sender": "a"}, format="json")
    anonymous = client.get(bot(assistant, "status"))

    assert missing.status_code == 404
    assert missing.json()["status"] == "failure"
    assert invalid.status_code == 400
    assert invalid.json()["reason"] == "ValidationError"
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == 401


def test_given_no_model_when_a_message_comes_then_409_no_model() -> None:
    assistant = AssistantFactory(name="untrained")

    answer = APIClient().post(
        bot(assistant, "webhooks/rest/webhook"), {"sender": "a", "message": "hi"}, format="json"
    )

    assert answer.status_code == 409
    assert answer.json()["reason"] == "no_model"


def test_given_tokens_when_calling_then_query_token_and_headers_authenticate(
    assistant: Assistant, token: str
) -> None:
    outsider = Token.objects.create(user=UserFactory(username="otto")).key
    client = APIClient()

    by_query = client.get(bot(assistant, "status", token))
    by_bearer = client.get(bot(assistant, "status"), HTTP_AUTHORIZATION=f"Bearer {token}")
    by_token = client.get(bot(assistant, "status"), HTTP_AUTHORIZATION=f"Token {token}")
    not_member = client.get(bot(assistant, "status", outsider))
    wrong = client.get(bot(assistant, "status", "nope"))

    assert by_query.json() == {
        "model_file": "20260101-000000-000000-fake1.tar.gz",
        "model_id": "fake1",
        "num_active_training_jobs": 0,
    }
    assert by_bearer.status_code == by_token.status_code == 200
    assert not_member.status_code == 404
    assert wrong.status_code == 401


def test_given_a_viewer_when_executing_then_403_but_reading_works(assistant: Assistant) -> None:
    viewer = token_of(assistant, Role.VIEWER, "vic")
    client = APIClient()

    executed = client.post(
        bot(assistant, "conversations/x/execute", viewer), {"name": "utter_greet"}, format="json"
    )
    tracker = client.get(bot(assistant, "conversations/x/tracker", viewer))

    assert executed.status_code == 403
    assert tracker.status_code == 200


def test_given_the_http_api_when_driving_a_conversation_then_rasas_shapes_come_back(
    assistant: Assistant, token: str
) -> None:
    client = APIClient()

    def post(path: str, body: Any) -> Any:
        answer = client.post(bot(assistant, path, token), body, format="json")
        assert answer.status_code == 200, answer.content
        return answer.json()

    parsed = post("model/parse", {"text": '/inform{"city": "Rome"}'})
    assert parsed["intent"] == {"name": "inform", "confidence": 1.0}

    tracker = post(
        "conversations/bob/messages", {"text": '/inform{"city": "Rome"}', "sender": "user"}
    )
    assert tracker["slots"]["city"] == "Rome"
    assert tracker["latest_message"]["intent"]["name"] == "inform"
    assert tracker["events"][-1]["event"] == "slot"  # logged, nothing predicted

    prediction = post("conversations/bob/predict", {})
    assert prediction["scores"][0] == {"action": "action_listen", "score": 0.9}
    assert prediction["policy"] == "FakeRulePolicy"
    assert prediction["tracker"]["sender_id"] == "bob"
    assert prediction["tracker"]["events"] == tracker["events"]  # read with the conversation
    assert prediction["tracker"]["slots"]["city"] == "Rome"

    executed = post("conversations/bob/execute", {"name": "utter_greet"})
    assert executed["messages"] == [{"recipient_id": "bob", "text": "Hi there!"}]
    assert executed["tracker"]["latest_action_name"] == "utter_greet"

    triggered = post("conversations/bob/trigger_intent", {"name": "request_restaurant"})
    assert [m["text"] for m in triggered["messages"]] == ["Which cuisine?"]
    assert triggered["tracker"]["active_loop"] == {"name": "restaurant_form"}

    appended = post(
        "conversations/bob/tracker/events", {"event": "slot", "name": "cuisine", "value": "thai"}
    )
    assert appended["slots"]["cuisine"] == "thai"

    tracker = client.get(bot(assistant, "conversations/bob/tracker", token)).json()
    assert tracker["slots"]["cuisine"] == "thai"
    assert set(tracker) >= {
        "sender_id",
        "slots",
        "latest_message",
        "events",
        "active_loop",
        "latest_action_name",
        "latest_event_time",
        "paused",
        "followup_action",
    }

    story = client.get(bot(assistant, "conversations/bob/story", token))
    assert story.status_code == 200
    steps = yaml.safe_load(story.content)["stories"][0]["steps"]
    assert {"intent": "request_restaurant"} in steps
    assert {"active_loop": "restaurant_form"} in steps

    replaced = client.put(
        bot(assistant, "conversations/bob/tracker/events", token),
        [{"event": "slot", "name": "city", "value": "Oslo"}],
        format="json",
    )
    assert replaced.json()["slots"]["city"] == "Oslo"
    assert [e["event"] for e in replaced.json()["events"]] == ["slot"]


def test_given_a_nul_character_when_adding_events_then_400_and_the_conversation_is_unchanged(
    assistant: Assistant, token: str
) -> None:
    client = APIClient()
    url = bot(assistant, "conversations/bob/tracker/events", token)
    client.post(url, {"event": "slot", "name": "city", "value": "Oslo"}, format="json")

    refused = client.post(
        url, {"event": "slot", "name": "city", "value": "O\x00slo"}, format="json"
    )
    replaced = client.put(url, [{"event": "bot", "text": "\x00"}], format="json")

    assert (refused.status_code, replaced.status_code) == (400, 400)
    assert "NUL character" in refused.json()["message"]
    tracker = client.get(bot(assistant, "conversations/bob/tracker", token)).json()
    assert [e["event"] for e in tracker["events"]] == ["slot"]
    assert tracker["slots"]["city"] == "Oslo"


def test_given_the_domain_when_read_then_json_or_yaml_by_accept(
    assistant: Assistant, token: str
) -> None:
    client = APIClient()

    as_json = client.get(bot(assistant, "domain", token), HTTP_ACCEPT="application/json").json()
    as_yaml = client.get(bot(assistant, "domain", token), HTTP_ACCEPT="application/x-yml")

    assert as_json["forms"]["restaurant_form"]["required_slots"] == ["cuisine", "people"]
    assert "utter_greet" in as_json["responses"]
    assert as_yaml["Content-Type"].startswith("application/x-yaml")
    assert yaml.safe_load(as_yaml.content) == as_json


def test_given_a_trained_tiny_project_when_chatting_then_the_real_model_parses_and_records(
    tmp_path: Path,
) -> None:
    assistant = assistant_import_from_path(name="tiny", path=write_tiny_project(tmp_path / "p"))
    result = assistant_model_train(assistant=assistant)
    user = member(assistant, Role.ADMIN, username="ada")
    token = Token.objects.create(user=user).key
    client = APIClient()

    status = client.get(bot(assistant, "status", token)).json()
    parsed = client.post(bot(assistant, "model/parse", token), {"text": "hello"}, format="json")
    greeted = client.post(
        bot(assistant, "webhooks/rest/webhook"),
        {"sender": "zoe", "message": "hello"},
        format="json",
    )
    answer = client.post(
        bot(assistant, "webhooks/rest/webhook"),
        {"sender": "zoe", "message": "I live in Berlin"},
        format="json",
    )

    assert status["model_id"] == result.model_id
    assert parsed.json()["intent"]["name"] in {"greet", "goodbye", "inform"}
    assert greeted.json() == [{"recipient_id": "zoe", "text": "Hello!"}]  # memoized story
    assert answer.status_code == 200, answer.content
    conversation = Conversation.objects.get(sender_id="zoe")
    assert conversation.model_id == result.model_id
    user_event = conversation.events.filter(kind="user").last()
    assert user_event is not None
    assert user_event.intent in {"greet", "goodbye", "inform"}
    assert user_event.data["parse_data"]["text"] == "I live in Berlin"
    kinds = list(conversation.events.values_list("kind", flat=True))
    assert kinds[:3] == ["action", "session_started", "action"]
    assert conversation.events.get(action="utter_greet").policy == "MemoizationPolicy"
    assert kinds[-1] == "action"  # the turn ends listening


def test_given_an_unknown_sender_when_reading_its_tracker_then_it_is_empty_and_not_stored(
    assistant: Assistant, token: str
) -> None:
    client = APIClient()

    tracker = client.get(bot(assistant, "conversations/nobody/tracker", token)).json()
    invalid = client.get(
        bot(assistant, "conversations/nobody/tracker", token) + "&include_events=X"
    )

    assert tracker["events"] == []
    assert tracker["slots"]["city"] is None
    assert tracker["latest_message"]["intent"] == {}
    assert not Conversation.objects.filter(sender_id="nobody").exists()
    assert invalid.status_code == 400
    assert invalid.json()["status"] == "failure"


@pytest.fixture
def two_models(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    """The assistant with an older model fake0 beside its newest, fake1."""
    monkeypatch.setattr(
        serving, "load_model", lambda path: FakeModel(path.name.removesuffix(".tar.gz")[-5:])
    )
    write_fake_archive(assistant_models_dir(assistant=assistant), "20250101-000000-000000", "fake0")
    return assistant


def test_given_an_admin_when_putting_a_model_file_then_it_serves_the_next_message(
    two_models: Assistant,
) -> None:
    admin = token_of(two_models, Role.ADMIN, "ada")
    client = APIClient()

    put = client.put(
        bot(two_models, "model", admin),
        {"model_file": "models/20250101-000000-000000-fake0.tar.gz"},
        format="json",
    )
    status = client.get(bot(two_models, "status", admin)).json()
    by_id = client.put(bot(two_models, "model", admin), {"model_file": "fake1"}, format="json")

    assert put.status_code == 204
    assert status["model_id"] == "fake0"
    assert by_id.status_code == 204
    assert client.get(bot(two_models, "status", admin)).json()["model_id"] == "fake1"


def test_given_an_unloaded_model_when_a_message_comes_then_409_until_a_model_is_put(
    two_models: Assistant,
) -> None:
    admin = token_of(two_models, Role.ADMIN, "ada")
    client = APIClient()
    message = {"sender": "a", "message": "/greet"}

    deleted = client.delete(bot(two_models, "model", admin))
    refused = client.post(bot(two_models, "webhooks/rest/webhook"), message, format="json")
    status = client.get(bot(two_models, "status", admin)).json()
    client.put(bot(two_models, "model", admin), {"model_file": "fake0"}, format="json")
    answered = client.post(bot(two_models, "webhooks/rest/webhook"), message, format="json")

    assert deleted.status_code == 204
    assert (refused.status_code, refused.json()["reason"]) == (409, "no_model")
    assert status["model_file"] is None
    assert answered.status_code == 200
    assert answered.json()[0]["text"] == "Hi there!"


def test_given_bad_model_requests_when_putting_then_clear_errors_and_nothing_changes(
    two_models: Assistant, token: str
) -> None:
    admin = token_of(two_models, Role.ADMIN, "ada")
    client = APIClient()

    unknown = client.put(bot(two_models, "model", admin), {"model_file": "x.tar.gz"}, format="json")
    remote = client.put(
        bot(two_models, "model", admin), {"model_server": {"url": "http://m"}}, format="json"
    )
    annotator = client.put(bot(two_models, "model", token), {"model_file": "fake0"}, format="json")
    annotator_delete = client.delete(bot(two_models, "model", token))

    assert unknown.status_code == 400
    assert "is not one of this assistant's models" in str(unknown.json()["details"])
    assert remote.status_code == 400
    assert "Only model_file is supported" in str(remote.json()["details"])
    assert (annotator.status_code, annotator_delete.status_code) == (403, 403)
    assert client.get(bot(two_models, "status", admin)).json()["model_id"] == "fake1"
