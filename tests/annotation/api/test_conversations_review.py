"""Reviewing recorded conversations through the API: list and filters, events a window at a
time, tags, reviewed and flagged marks, saving a conversation as a story."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from rest_framework.test import APIClient

from annotation.models import Action, Assistant, Conversation, Event, Story
from tests.annotation.api.conftest import api_url
from tests.annotation.recorded import action, record, session_start, slot, timestamped, user
from tests.factories import IntentFactory, ResponseFactory

Client = Callable[[Any], APIClient]
CITY = {"entity": "city", "value": "Berlin", "start": 10, "end": 16}


@pytest.fixture
def alice(assistant: Assistant) -> Conversation:
    """A conversation with every kind of event the filters look at."""
    events = [
        *session_start(),
        user("I live in Berlin", "inform", 0.42, entities=[CITY]),
        slot("city", "Berlin"),
        action("utter_ok", "MemoizationPolicy", 0.8),
        {"event": "bot", "text": "Noted."},
        action("action_listen"),
    ]
    return record(assistant, "alice", timestamped(events, 1000.0, 1002.0))


@pytest.fixture
def bob(assistant: Assistant, alice: Conversation) -> Conversation:
    return record(
        assistant, "bob", [user("hi", "greet", 0.99, timestamp=2000.0)], channel="socketio"
    )


def _url(assistant: Assistant, conversation: Conversation | None = None, *rest: str) -> str:
    url = api_url(assistant, "conversations", conversation.pk if conversation else None)
    return url + "".join(f"{part}/" for part in rest)


def _senders(client: APIClient, assistant: Assistant, **params: Any) -> list[str]:
    response = client.get(_url(assistant), params)
    assert response.status_code == 200, response.json()
    return [row["sender_id"] for row in response.json()["results"]]


# ------------------------------------------------------------------------------------ list


def test_given_conversations_when_listed_then_newest_first_with_the_reviewers_columns(
    assistant: Assistant, bob: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    client = client_for(people["viewer"])

    response = client.get(_url(assistant))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["sender_id"] == "bob"
    assert second == {
        "id": second["id"],
        "sender_id": "alice",
        "channel": "rest",
        "started_at": second["started_at"],
        "latest_event_at": second["latest_event_at"],
        "event_count": 8,
        "tags": [],
        "reviewed": False,
        "flagged_count": 0,
        "model_id": "",
        "preview": "I live in Berlin",
        "min_intent_confidence": 0.42,
    }
    assert second["started_at"].startswith("1970-01-01T00:16:40")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"intent": "inform"}, ["alice"]),
        ({"intent": "greet"}, ["bob"]),
        ({"action": "utter_ok"}, ["alice"]),
        ({"entity": "city"}, ["alice"]),
        ({"slot": "city"}, ["alice"]),
        ({"policy": "MemoizationPolicy"}, ["alice"]),
        ({"confidence_below": 0.5}, ["alice"]),
        ({"confidence_above": 0.95}, ["bob"]),
        ({"channel": "socketio"}, ["bob"]),
        ({"q": "BERLIN"}, ["alice"]),
        ({"q": "Noted"}, []),  # bot text is not searched
        ({"since": "1970-01-01T00:20:00Z"}, ["bob"]),
        ({"until": "1970-01-01T00:20:00Z"}, ["alice"]),
        ({"intent": "inform", "channel": "socketio"}, []),
        ({}, ["bob", "alice"]),
    ],
)
def test_given_conversations_when_filtered_then_those_with_a_matching_event_are_listed(
    params: dict[str, Any],
    expected: list[str],
    assistant: Assistant,
    bob: Conversation,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    assert _senders(client_for(people["viewer"]), assistant, **params) == expected


def test_given_a_bad_filter_value_when_listing_then_400_names_it(
    assistant: Assistant, people: dict[str, Any], client_for: Client
) -> None:
    response = client_for(people["viewer"]).get(_url(assistant), {"confidence_below": "low"})

    assert response.status_code == 400
    assert "confidence_below" in response.json()["errors"]


def test_given_tags_review_and_flags_when_filtering_then_they_select(
    assistant: Assistant,
    alice: Conversation,
    bob: Conversation,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    client = client_for(people["annotator"])
    client.post(_url(assistant, alice, "tags"), {"tags": ["bug", "city"]}, format="json")
    client.post(_url(assistant, bob, "review"), {"reviewed": True}, format="json")
    client.post(_url(assistant, alice, "events", "5", "flag"), {"flagged": True}, format="json")

    assert _senders(client, assistant, tag="bug") == ["alice"]
    assert _senders(client, assistant, tag="nope") == []
    assert _senders(client, assistant, reviewed="true") == ["bob"]
    assert _senders(client, assistant, reviewed="false") == ["alice"]
    assert _senders(client, assistant, flagged="true") == ["alice"]


# ---------------------------------------------------------------------------------- detail


def test_given_a_conversation_when_read_then_it_has_slots_and_loop_too(
    assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    response = client_for(people["viewer"]).get(_url(assistant, alice))

    assert response.status_code == 200
    body = response.json()
    assert body["slots"] == {"city": "Berlin"}
    assert body["active_loop"] is None
    assert body["preview"] == "I live in Berlin"


def test_given_another_assistants_conversation_when_read_then_404(
    assistant: Assistant, people: dict[str, Any], client_for: Client
) -> None:
    from tests.factories import AssistantFactory

    stranger = record(AssistantFactory(), "x", [user("hi")])

    response = client_for(people["admin"]).get(_url(assistant, stranger))

    assert response.status_code == 404


def test_given_a_long_message_when_listed_then_the_preview_is_cut_to_120(
    assistant: Assistant, people: dict[str, Any], client_for: Client
) -> None:
    record(assistant, "long", [user("word " * 100)])

    [row] = client_for(people["viewer"]).get(_url(assistant)).json()["results"]

    assert len(row["preview"]) == 120
    assert row["preview"].endswith("…")


# ---------------------------------------------------------------------------------- events


def test_given_a_long_conversation_when_read_by_windows_then_each_follows_the_last(
    assistant: Assistant, people: dict[str, Any], client_for: Client
) -> None:
    conversation = record(assistant, "long", [user(f"message {n}") for n in range(7)])
    client = client_for(people["viewer"])
    url = _url(assistant, conversation, "events")

    first = client.get(url, {"limit": 3}).json()
    second = client.get(url, {"limit": 3, "after": first["next_after"]}).json()
    last = client.get(url, {"limit": 3, "after": second["next_after"]}).json()

    assert [e["position"] for e in first["results"]] == [0, 1, 2]
    assert first["next_after"] == 2
    assert [e["position"] for e in second["results"]] == [3, 4, 5]
    assert [e["position"] for e in last["results"]] == [6]
    assert last["next_after"] is None


def test_given_a_user_event_when_read_then_it_has_the_parse_and_the_rasa_dict(
    assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    response = client_for(people["viewer"]).get(_url(assistant, alice, "events"))

    assert response.status_code == 200
    body = response.json()
    assert body["next_after"] is None
    event = body["results"][3]
    assert {k: event[k] for k in ("position", "kind", "text", "intent", "flagged")} == {
        "position": 3,
        "kind": "user",
        "text": "I live in Berlin",
        "intent": "inform",
        "flagged": False,
    }
    assert event["intent_confidence"] == 0.42
    assert event["intent_ranking"] == [{"name": "inform", "confidence": 0.42}]
    assert event["entities"] == [CITY]
    assert event["data"]["event"] == "user"
    assert set(event) == {
        "position",
        "kind",
        "timestamp",
        "text",
        "intent",
        "intent_confidence",
        "intent_ranking",
        "entities",
        "action",
        "policy",
        "confidence",
        "slot_name",
        "slot_value",
        "flagged",
        "data",
    }
    assert body["results"][4]["slot_name"] == "city"
    assert body["results"][5]["policy"] == "MemoizationPolicy"


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"after": "x"}])
def test_given_a_bad_window_when_reading_events_then_400(
    params: dict[str, Any],
    assistant: Assistant,
    alice: Conversation,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    response = client_for(people["viewer"]).get(_url(assistant, alice, "events"), params)

    assert response.status_code == 400


# --------------------------------------------------------------------- tags, review, flags


def test_given_tags_when_set_then_they_replace_the_old_ones_and_are_counted(
    assistant: Assistant,
    alice: Conversation,
    bob: Conversation,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    client = client_for(people["annotator"])
    client.post(_url(assistant, alice, "tags"), {"tags": ["old", "bug"]}, format="json")
    client.post(_url(assistant, bob, "tags"), {"tags": ["bug"]}, format="json")

    response = client.post(
        _url(assistant, alice, "tags"), {"tags": [" bug ", "new", "bug", ""]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["tags"] == ["bug", "new"]
    assert response.json()["slots"] == {"city": "Berlin"}
    tags = client.get(api_url(assistant, "tags")).json()
    assert tags == [{"name": "bug", "count": 2}, {"name": "new", "count": 1}]
    assert client.get(api_url(assistant, "tags"), {"q": "N"}).json() == [
        {"name": "new", "count": 1}
    ]


def test_given_a_conversation_when_marked_reviewed_then_the_detail_says_so(
    assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    client = client_for(people["annotator"])

    response = client.post(_url(assistant, alice, "review"), {"reviewed": True}, format="json")

    assert response.status_code == 200
    assert response.json()["reviewed"] is True
    alice.refresh_from_db()
    assert alice.reviewed is True


def test_given_an_event_when_flagged_and_unflagged_then_the_count_follows(
    assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    client = client_for(people["annotator"])
    flag = _url(assistant, alice, "events", "3", "flag")

    response = client.post(flag, {"flagged": True}, format="json")
    client.post(_url(assistant, alice, "events", "5", "flag"), {"flagged": True}, format="json")

    assert response.status_code == 200
    assert response.json() == {"position": 3, "flagged": True}
    assert Event.objects.get(conversation=alice, position=3).flagged
    assert client.get(_url(assistant, alice)).json()["flagged_count"] == 2
    client.post(flag, {"flagged": False}, format="json")
    assert client.get(_url(assistant, alice)).json()["flagged_count"] == 1
    events = client.get(_url(assistant, alice, "events")).json()["results"]
    assert [e["position"] for e in events if e["flagged"]] == [5]


def test_given_no_event_at_a_position_when_flagging_then_404(
    assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    response = client_for(people["admin"]).post(
        _url(assistant, alice, "events", "99", "flag"), {"flagged": True}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# ------------------------------------------------------------------------------ save-story


@pytest.fixture
def domain(assistant: Assistant) -> None:
    IntentFactory(assistant=assistant, name="inform")
    ResponseFactory(assistant=assistant, name="utter_ok")


def test_given_a_conversation_when_saved_as_story_then_a_story_row_and_its_yaml(
    assistant: Assistant,
    alice: Conversation,
    domain: None,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    response = client_for(people["annotator"]).post(
        _url(assistant, alice, "save-story"), {"name": "berlin", "test": False}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    story = Story.objects.get(pk=body["id"])
    assert (story.name, story.is_test, story.kind) == ("berlin", False, "story")
    assert [(s.kind, s.name, s.text) for s in story.steps.all()] == [
        ("intent", "inform", None),
        ("slot_was_set", None, None),
        ("action", "utter_ok", None),
    ]
    document = yaml.safe_load(body["yaml"])
    assert document["stories"] == [
        {
            "story": "berlin",
            "steps": [
                {"intent": "inform", "entities": [{"city": "Berlin"}]},
                {"slot_was_set": [{"city": "Berlin"}]},
                {"action": "utter_ok"},
            ],
        }
    ]


def test_given_a_conversation_when_saved_as_test_story_then_user_texts_are_kept(
    assistant: Assistant,
    alice: Conversation,
    domain: None,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    response = client_for(people["annotator"]).post(
        _url(assistant, alice, "save-story"), {"test": True}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["is_test"]) == ("alice", True)
    story = Story.objects.get(pk=body["id"])
    assert story.is_test
    first = story.steps.first()
    assert first is not None
    assert (first.kind, first.name, first.text) == ("intent", "inform", "I live in Berlin")
    [saved] = yaml.safe_load(body["yaml"])["stories"]
    assert saved["steps"][0]["user"] == "I live in Berlin"
    assert saved["steps"][0]["intent"] == "inform"


def test_given_names_the_domain_lacks_when_saving_then_400_lists_them(
    assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    Action.objects.create(assistant=assistant, name="unused_action")

    response = client_for(people["admin"]).post(
        _url(assistant, alice, "save-story"), {"test": False}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_names"
    assert body["unknown_intents"] == ["inform"]
    assert body["unknown_actions"] == ["utter_ok"]
    assert not Story.objects.filter(assistant=assistant).exists()


# ----------------------------------------------------------------------------------- roles


WRITES = [
    ("tags", {"tags": ["x"]}),
    ("review", {"reviewed": True}),
    ("events/3/flag", {"flagged": True}),
    ("save-story", {"test": False}),
]


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_given_a_viewer_when_writing_then_403_and_nothing_changes(
    path: str,
    body: dict[str, Any],
    assistant: Assistant,
    alice: Conversation,
    domain: None,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    response = client_for(people["viewer"]).post(_url(assistant, alice, path), body, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    alice.refresh_from_db()
    assert not alice.reviewed
    assert not alice.tags.exists()
    assert not Event.objects.filter(conversation=alice, flagged=True).exists()
    assert not Story.objects.exists()


@pytest.mark.parametrize(("path", "body"), WRITES)
@pytest.mark.parametrize("role", ["annotator", "admin"])
def test_given_an_annotator_or_admin_when_writing_then_it_works(
    role: str,
    path: str,
    body: dict[str, Any],
    assistant: Assistant,
    alice: Conversation,
    domain: None,
    people: dict[str, Any],
    client_for: Client,
) -> None:
    response = client_for(people[role]).post(_url(assistant, alice, path), body, format="json")

    assert response.status_code in (200, 201), response.json()


@pytest.mark.parametrize("path", ["", "events", "tags"])
def test_given_an_outsider_when_reading_then_404(
    path: str, assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    url = (
        api_url(assistant, "tags")
        if path == "tags"
        else _url(assistant, alice, *filter(None, [path]))
    )

    response = client_for(people["outsider"]).get(url)

    assert response.status_code == 404


def test_given_no_login_when_listing_then_401(assistant: Assistant) -> None:
    assert APIClient().get(_url(assistant)).status_code == 401


# --------------------------------------------------------------------------------- queries


def _many(assistant: Assistant, count: int) -> None:
    for n in range(count):
        conversation = record(
            assistant,
            f"sender-{n}",
            [user(f"hello {n}", "greet", 0.5), action("utter_greet"), user("bye", "goodbye")],
        )
        conversation.tags.create(assistant=assistant, name="t1")
        conversation.tags.create(assistant=assistant, name="t2")
        Event.objects.filter(conversation=conversation, position=0).update(flagged=True)


@pytest.mark.parametrize("page_size", [5, 50])
def test_given_5_or_50_rows_when_listing_conversations_then_four_queries(
    page_size: int,
    assistant: Assistant,
    people: dict[str, Any],
    client_for: Client,
    django_assert_num_queries: Any,
) -> None:
    _many(assistant, 50)
    client = client_for(people["viewer"])
    params = {"page_size": page_size, "intent": "greet", "confidence_below": 0.6, "tag": "t1"}

    # the assistant with my role, the count, the page (with its subqueries), the tags
    with django_assert_num_queries(4):
        response = client.get(_url(assistant), params)

    rows = response.json()["results"]
    assert len(rows) == page_size
    assert all(row["tags"] == ["t1", "t2"] and row["flagged_count"] == 1 for row in rows)
    assert all(row["preview"] == "bye" and row["min_intent_confidence"] == 0.5 for row in rows)


def test_given_a_window_when_reading_events_then_three_queries(
    assistant: Assistant,
    alice: Conversation,
    people: dict[str, Any],
    client_for: Client,
    django_assert_num_queries: Any,
) -> None:
    client = client_for(people["viewer"])

    with django_assert_num_queries(3):  # my role, the conversation, the window
        client.get(_url(assistant, alice, "events"), {"limit": 5})


def test_given_a_time_when_filtering_then_it_is_parsed_as_iso(
    assistant: Assistant, alice: Conversation, people: dict[str, Any], client_for: Client
) -> None:
    moment = datetime.fromtimestamp(1001.5, tz=UTC).isoformat()

    assert _senders(client_for(people["viewer"]), assistant, since=moment) == ["alice"]


def test_given_the_schema_when_fetched_then_the_studio_endpoints_are_described(db: Any) -> None:
    paths = yaml.safe_load(APIClient().get("/api/schema/").content)["paths"]

    base = "/api/v1/assistants/{assistant_pk}/"
    for path in (
        "conversations/",
        "conversations/{id}/",
        "conversations/{id}/events/",
        "conversations/{id}/events/{position}/flag/",
        "conversations/{id}/tags/",
        "conversations/{id}/review/",
        "conversations/{id}/save-story/",
        "tags/",
        "inbox/",
        "inbox/{id}/confirm/",
        "inbox/{id}/archive/",
        "inbox/{id}/delete/",
        "inbox/bulk/",
    ):
        assert base + path in paths, path
    listed = {p["name"] for p in paths[base + "conversations/"]["get"]["parameters"]}
    assert {"intent", "confidence_below", "tag", "reviewed", "flagged", "q", "page"} <= listed
