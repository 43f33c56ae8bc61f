"""Custom actions end to end: real Rasa projects imported and trained with Parley's engine,
their custom actions served by rasa-sdk's own action server (``python -m rasa_sdk``), and the
conversation held through Rasa's REST channel, every event recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from annotation.management.commands.setup_demo import DEMO_DIR
from annotation.models import Asset, Assistant, Conversation, Event, TrainingConfig
from annotation.services.project_import import assistant_import_from_path
from tests.action_server.server import RunningActionServer, rasa_sdk_action_server
from training.services import assistant_model_train
from training.serving import serving_cache_clear

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# NLU hardly matters (the messages name their intents, as buttons do): a small real pipeline
# trained for one epoch, and the policies that follow the stories and rules exactly
TINY_PIPELINE = [
    {"name": "WhitespaceTokenizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "DIETClassifier", "epochs": 1},
]
TINY_POLICIES = [{"name": "AugmentedMemoizationPolicy"}, {"name": "RulePolicy"}]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One training cache for the module: the second training of a project restores it."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path, cache_dir: Path) -> Iterator[Path]:
    settings.DATA_DIR = tmp_path / "data"
    settings.TRAINING_CACHE_DIR = cache_dir
    settings.TRAINING_CACHE_MAX_MB = 200
    serving_cache_clear()
    yield Path(settings.DATA_DIR)
    serving_cache_clear()


def _server(module: str, factory: pytest.TempPathFactory) -> Iterator[RunningActionServer]:
    with rasa_sdk_action_server(module, factory.mktemp("logs")) as server:
        yield server


@pytest.fixture
def formbot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningActionServer]:
    """For one test, which stops it at the end."""
    yield from _server("tests.action_server.formbot_actions", tmp_path_factory)


@pytest.fixture(scope="module")
def concertbot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningActionServer]:
    yield from _server("tests.action_server.concertbot_actions", tmp_path_factory)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningActionServer]:
    yield from _server("annotation.demo.concertbot.actions", tmp_path_factory)


@pytest.fixture
def own_concertbot_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningActionServer]:
    """A server for one test only, which may stop it."""
    yield from _server("tests.action_server.concertbot_actions", tmp_path_factory)


def trained_assistant(name: str, project: Path, action_server: RunningActionServer) -> Assistant:
    """Import ``project``, give it the tiny config and an ``endpoints.yml`` naming the running
    action server, and train it."""
    assistant = assistant_import_from_path(name=name, path=project)
    TrainingConfig.objects.filter(assistant=assistant).update(
        pipeline=TINY_PIPELINE, policies=TINY_POLICIES
    )
    Asset.objects.update_or_create(
        assistant=assistant,
        path="endpoints.yml",
        defaults={"content": f"action_endpoint:\n  url: {action_server.url}\n".encode()},
    )
    assistant_model_train(assistant=assistant)
    return assistant


def say(client: Client, assistant: Assistant, message: str, sender: str = "ada") -> list[str]:
    """The texts the bot answers to ``message`` through the REST channel."""
    response = client.post(
        f"/bots/{assistant.name}/webhooks/rest/webhook",
        {"sender": sender, "message": message},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return [str(m.get("text")) for m in response.json()]


def events(assistant: Assistant, sender: str = "ada") -> list[dict[str, Any]]:
    conversation = Conversation.objects.get(assistant=assistant, sender_id=sender)
    return list(conversation.events.order_by("position").values_list("data", flat=True))


def slots(assistant: Assistant, sender: str = "ada") -> dict[str, Any]:
    return dict(Conversation.objects.get(assistant=assistant, sender_id=sender).slots)


def turn_of(assistant: Assistant, message: str, sender: str = "ada") -> list[tuple[Any, ...]]:
    """The events recorded after the user message ``message`` (its latest occurrence), short:
    ``(action, name, policy)``, ``(slot, name, value)``, ``(bot, text)``..."""
    recorded = events(assistant, sender)
    start = max(
        i for i, e in enumerate(recorded) if e["event"] == "user" and e.get("text") == message
    )
    short: list[tuple[Any, ...]] = []
    for event in recorded[start + 1 :]:
        kind = event["event"]
        if kind == "user":
            break
        if kind == "action":
            short.append((kind, event["name"], event.get("policy")))
        elif kind == "slot":
            short.append((kind, event["name"], event.get("value")))
        elif kind == "bot":
            short.append((kind, event.get("text")))
        else:
            short.append((kind, event.get("name")))
    return short


# ---------------------------------------------------------------------------------- formbot


def test_given_formbot_and_its_validation_action_when_walking_the_form_then_bad_values_are_refused(
    rasa_projects_dir: Path, formbot_server: RunningActionServer, client: Client
) -> None:
    bot = trained_assistant("formbot", rasa_projects_dir / "formbot", formbot_server)

    assert say(client, bot, "/request_restaurant") == ["What cuisine?"]

    # validate_restaurant_form refuses the cuisine: its message, the slot emptied, asked again
    refused = '/inform{"cuisine": "martian"}'
    assert say(client, bot, refused) == [
        "Cuisine type is not in the database, please try again",
        "What cuisine?",
    ]
    assert turn_of(bot, refused) == [
        ("slot", "cuisine", "martian"),  # the slot mapping
        ("action", "restaurant_form", "RulePolicy"),
        ("slot", "cuisine", None),  # the action server's answer
        ("bot", "Cuisine type is not in the database, please try again"),
        ("slot", "requested_slot", "cuisine"),
        ("bot", "What cuisine?"),
        ("action", "action_listen", "RulePolicy"),
    ]
    assert slots(bot)["cuisine"] is None

    # two slots at once: one kept (normalised by the validator), the other refused
    assert say(client, bot, '/inform{"cuisine": "Greek", "number": "0"}') == [
        "Number of people should be a positive integer, please try again",
        "How many people?",
    ]
    assert slots(bot)["cuisine"] == "greek"
    assert slots(bot)["num_people"] is None

    assert say(client, bot, '/inform{"number": "4"}') == ["Do you want to sit outside?"]
    assert say(client, bot, "/affirm") == ["Please provide additional preferences"]
    assert say(client, bot, "/deny") == ["Please give your feedback on your experience so far"]
    done = say(client, bot, '/inform{"feedback": "great service"}')

    assert done[0] == "All done!"
    for line in (
        "cuisine: greek",
        "num_people: 4",
        "outdoor_seating: True",
        "preferences: no additional preferences",
        "feedback: great service",
    ):
        assert line in done[1]
    assert slots(bot) | {"requested_slot": None} == {
        "cuisine": "greek",
        "num_people": 4,  # the validator made the entity's "4" a number
        "outdoor_seating": True,
        "preferences": "no additional preferences",
        "feedback": "great service",
        "requested_slot": None,
    }
    submitted = Event.objects.filter(
        assistant=bot, kind="action", action__in=["utter_submit", "utter_slots_values"]
    )
    assert sorted(submitted.values_list("action", "policy")) == [
        ("utter_slots_values", "RulePolicy"),
        ("utter_submit", "RulePolicy"),
    ]
    assert not Event.objects.filter(assistant=bot, data__metadata__has_key="error").exists()

    # the action server goes away: the form goes on without validation, the error recorded
    formbot_server.stop()
    assert say(client, bot, "/request_restaurant", sender="bo") == ["What cuisine?"]
    [form] = Event.objects.filter(
        conversation__sender_id="bo", kind="action", action="restaurant_form"
    )
    assert "validate_restaurant_form" in form.data["metadata"]["error"]
    assert "cannot be reached" in form.data["metadata"]["error"]


# ------------------------------------------------------------------------------- concertbot


def test_given_concertbot_when_its_custom_actions_run_then_texts_and_slots_reach_user_and_db(
    rasa_projects_dir: Path, concertbot_server: RunningActionServer, client: Client
) -> None:
    bot = trained_assistant("concertbot", rasa_projects_dir / "concertbot", concertbot_server)

    assert say(client, bot, "/search_venues") == ["Venues I found: Royal Albert Hall, O2 Academy"]
    assert turn_of(bot, "/search_venues") == [
        ("action", "action_search_venues", "AugmentedMemoizationPolicy"),
        (
            "slot",
            "venues",
            [{"name": "Royal Albert Hall", "reviews": 4.8}, {"name": "O2 Academy", "reviews": 4.1}],
        ),
        ("bot", "Venues I found: Royal Albert Hall, O2 Academy"),
        ("action", "action_listen", "RulePolicy"),
    ]
    # the next action reads the slot the previous one set, from the tracker Parley sends
    assert say(client, bot, "/compare_reviews") == [
        "Venue reviews: Royal Albert Hall: 4.8 stars; O2 Academy: 4.1 stars"
    ]
    assert say(client, bot, "/search_concerts") == [
        "Concerts I found: The Lumineers, Arctic Monkeys"
    ]
    assert say(client, bot, "/compare_reviews") == [
        "Concert reviews: The Lumineers: 4.6 stars; Arctic Monkeys: 4.2 stars"
    ]
    assert [a["artist"] for a in slots(bot)["concerts"]] == ["The Lumineers", "Arctic Monkeys"]

    # an action that reads the latest intent, and a story that goes on after its slot
    assert say(client, bot, "/how_to_get_started", sender="bo") == [
        "I can help you find concerts and venues. Do you like music?"
    ]
    assert say(client, bot, "/deny", sender="bo") == ["Goodbye Take care:("]
    assert turn_of(bot, "/deny", sender="bo")[:3] == [
        ("action", "action_set_music_preference", "AugmentedMemoizationPolicy"),
        ("slot", "likes_music", False),
        ("action", "utter_goodbye", "AugmentedMemoizationPolicy"),
    ]
    assert say(client, bot, "/how_to_get_started", sender="cy")
    assert say(client, bot, "/affirm", sender="cy")[0].startswith("You are Awesome!")
    assert slots(bot, "cy")["likes_music"] is True


def test_given_the_action_server_stops_mid_conversation_then_the_error_is_recorded_and_it_goes_on(
    rasa_projects_dir: Path, own_concertbot_server: RunningActionServer, client: Client
) -> None:
    bot = trained_assistant("concertbot", rasa_projects_dir / "concertbot", own_concertbot_server)
    assert say(client, bot, "/search_venues") == ["Venues I found: Royal Albert Hall, O2 Academy"]

    own_concertbot_server.stop()

    assert say(client, bot, "/compare_reviews") == []
    failed = Event.objects.get(assistant=bot, kind="action", action="action_show_venue_reviews")
    assert "cannot be reached" in failed.data["metadata"]["error"]
    assert turn_of(bot, "/compare_reviews")[-1][:2] == ("action", "action_listen")
    assert say(client, bot, "/thankyou") == ["You're very welcome."]
    assert len(slots(bot)["venues"]) == 2


# -------------------------------------------------------------------------- Parley's demo


def test_given_the_demo_concertbot_and_its_actions_package_when_searching_then_it_answers(
    demo_server: RunningActionServer, client: Client
) -> None:
    assert demo_server.actions() == [
        "action_compare_reviews",
        "action_concert_details",
        "action_find_concerts",
        "action_find_venues",
    ]
    bot = trained_assistant("concertbot", DEMO_DIR, demo_server)

    # the form is filled by the message, then the rule runs the search on the action server
    search = '/search_concerts{"city": "Berlin", "genre": "jazz"}'
    answer = say(client, bot, search)

    assert len(answer) == 3
    assert answer[1] == (
        "Here is what's on in Berlin:\n"
        "- Jazz at the Spree at A-Trane, Friday 21:00\n"
        "- Blue Monday Trio at Quasimodo, Monday 20:30"
    )
    recorded = turn_of(bot, search)
    assert ("action", "action_find_concerts", "RulePolicy") in recorded
    assert ("slot", "concerts", ["Jazz at the Spree", "Blue Monday Trio"]) in recorded
    assert slots(bot)["concerts"] == ["Jazz at the Spree", "Blue Monday Trio"]

    # the form asks, a button payload answers
    assert say(client, bot, "/search_concerts", sender="bo")[0] in (
        "In which city should I look?",
        "Which city are you going to be in?",
    )
    say(client, bot, '/inform{"city": "Lisbon"}', sender="bo")
    assert (
        "The Brassy Sisters at Hot Clube"
        in say(client, bot, '/inform{"genre": "jazz"}', sender="bo")[1]
    )

    venues = say(client, bot, '/search_venues{"city": "Lisbon"}', sender="cy")
    assert venues[1] == "Venues in Lisbon:\n- Coliseu (4000 people)\n- Musicbox (300 people)"
    assert slots(bot, "cy")["venues"] == ["Coliseu", "Musicbox"]

    details = say(client, bot, '/ask_concert_details{"artist": "radiohead"}', sender="di")
    assert details[0] == "Radiohead plays rock at AO Arena, Manchester, Sunday 19:30. Rated 4.9/5."
    assert slots(bot, "di")["artist"] == "Radiohead"  # set by the action, from the entity
