"""``action_two_stage_fallback`` in the running assistant: affirm, rephrase, give up."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from annotation.models import Assistant, Conversation
from annotation.tracker import tracker_fold
from tests.factories import AssistantFactory
from tests.training.serving_fakes import FakeModel, rule_policy, write_fake_archive
from training import serving
from training.engine.data import StoryEvent
from training.runtime.two_stage_fallback import affirmation_intent
from training.services import assistant_models_dir
from training.serving import assistant_handle_message, serving_cache_clear

pytestmark = pytest.mark.django_db

UNCLEAR = "hmm, hullo?"


def fallback_policy(events: Sequence[StoryEvent]) -> str:
    """The fake rules plus Rasa's ``nlu_fallback -> action_two_stage_fallback`` rule."""
    last = next(e for e in reversed(events) if e.kind != "slot")
    if last.kind == "intent" and last.name == "nlu_fallback" and not _active(events):
        return "action_two_stage_fallback"
    return rule_policy(events)


def _active(events: Sequence[StoryEvent]) -> bool:
    active = None
    for event in events:
        if event.kind == "active_loop":
            active = event.name
    return active is not None


class UnsureModel(FakeModel):
    def parse(self, text: str) -> dict[str, Any]:
        if text != UNCLEAR:
            return super().parse(text)
        ranking = [
            {"name": "nlu_fallback", "confidence": 0.3},
            {"name": "greet", "confidence": 0.28},
            {"name": "chitchat", "confidence": 0.2},
        ]
        return {"text": text, "intent": ranking[0], "entities": [], "intent_ranking": ranking}


@pytest.fixture
def assistant(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Assistant]:
    settings.DATA_DIR = tmp_path / "data"
    model = UnsureModel("m1", policy=fallback_policy)
    monkeypatch.setattr(serving, "load_model", lambda path: model)
    serving_cache_clear()
    assistant: Assistant = AssistantFactory(name="unsure")
    write_fake_archive(assistant_models_dir(assistant=assistant), "20260101-000000-000000", "m1")
    yield assistant
    serving_cache_clear()


def say(assistant: Assistant, text: str) -> list[dict[str, Any]]:
    return assistant_handle_message(assistant=assistant, sender_id="u", text=text, channel="rest")


def applied_user_intents(assistant: Assistant) -> list[tuple[str, float]]:
    conversation = Conversation.objects.get(assistant=assistant)
    events = list(conversation.events.order_by("position").values_list("data", flat=True))
    state = tracker_fold(events)
    return [
        (e["parse_data"]["intent"]["name"], e["parse_data"]["intent"]["confidence"])
        for e in state.applied
        if e.get("event") == "user"
    ]


def test_given_an_unclear_message_then_the_bot_asks_to_affirm_the_likeliest_intent(
    assistant: Assistant,
) -> None:
    (message,) = say(assistant, UNCLEAR)

    assert message["text"] == "Did you mean 'greet'?"
    assert message["buttons"] == [
        {"title": "Yes", "payload": "/greet"},
        {"title": "No", "payload": "/out_of_scope"},
    ]
    assert Conversation.objects.get().events.filter(action="action_two_stage_fallback").exists()


def test_given_the_user_affirms_then_the_unclear_message_counts_as_the_affirmed_intent(
    assistant: Assistant,
) -> None:
    say(assistant, UNCLEAR)

    messages = say(assistant, "/greet")

    assert [m["text"] for m in messages] == ["Hi there!"]
    assert applied_user_intents(assistant) == [("greet", 1.0)]


def test_given_the_user_denies_then_rephrases_clearly_then_the_rephrasing_counts(
    assistant: Assistant,
) -> None:
    say(assistant, UNCLEAR)

    (rephrase,) = say(assistant, "/out_of_scope")
    messages = say(assistant, "/greet")

    assert rephrase["text"].endswith("Could you rephrase?")
    assert [m["text"] for m in messages] == ["Hi there!"]
    assert applied_user_intents(assistant) == [("greet", 1.0)]


def test_given_two_denials_then_the_default_fallback_ends_the_loop(assistant: Assistant) -> None:
    say(assistant, UNCLEAR)
    say(assistant, "/out_of_scope")

    messages = say(assistant, "/out_of_scope")

    assert [m["text"] for m in messages] == ["Sorry, say again?"]
    assert Conversation.objects.get().active_loop in (None, "")


def test_given_a_still_unclear_answer_then_the_bot_asks_again(assistant: Assistant) -> None:
    say(assistant, UNCLEAR)

    (message,) = say(assistant, UNCLEAR)

    assert message["text"] == "Did you mean 'greet'?"


def test_given_a_ranking_without_real_intents_then_there_is_nothing_to_affirm() -> None:
    assert affirmation_intent({"intent": {"name": "nlu_fallback"}, "intent_ranking": []}) is None
    assert affirmation_intent({"intent": {"name": "greet"}}) == "greet"
