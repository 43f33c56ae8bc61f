from __future__ import annotations

from training.engine.data import DomainSpec, IntentSpec, SlotSpec, StoryEvent, StorySpec
from training.engine.dialogue.states import (
    ACTION_LISTEN,
    DialogueState,
    StateTracker,
    states_of,
    window,
)
from training.engine.dialogue.trackers import training_dialogues, training_samples

from .helpers import action, bot, intent, loop, slot

DOMAIN = DomainSpec(
    intents=(IntentSpec("inform", use_entities=("city",)),),
    slots=(
        SlotSpec("city", "text"),
        SlotSpec("mood", "categorical", values=("good", "bad")),
        SlotSpec("count", "float", initial_value=0.5),
    ),
)
STORIES = tuple(
    StorySpec(f"story {n}", (intent(f"ask_{n}"), action(f"utter_{n}"))) for n in range(4)
)
RULE = StorySpec("rule", (intent("bye"), action("utter_bye")), is_rule=True)


def test_given_stories_when_augmented_then_pairs_are_glued_end_to_start_with_the_seed() -> None:
    dialogues = training_dialogues((*STORIES, RULE), augmentation_factor=1, seed=7)
    again = training_dialogues((*STORIES, RULE), augmentation_factor=1, seed=7)

    glued = [d for d in dialogues if d.augmented]
    assert dialogues == again
    assert 0 < len(glued) <= 10
    assert len({d.events for d in glued}) == len(glued)
    assert all(len(d.events) == 4 and not d.is_rule for d in glued)
    assert all("bye" not in str(d.events) for d in glued)  # rules are never glued
    assert [d.name for d in dialogues if d.is_rule] == ["rule"]


def test_given_augmentation_zero_then_only_the_stories_and_rules_are_dialogues() -> None:
    dialogues = training_dialogues((*STORIES, RULE), augmentation_factor=0)

    assert [d.name for d in dialogues] == ["story 0", "story 1", "story 2", "story 3", "rule"]


def test_given_a_glued_story_when_sampled_then_the_bot_listens_between_the_stories() -> None:
    glued = (*STORIES[0].events, *STORIES[1].events)

    targets = [target for _, target in training_samples(glued, DOMAIN)]

    assert targets == ["utter_0", ACTION_LISTEN, "utter_1", ACTION_LISTEN]


def test_given_a_rule_that_does_not_wait_then_no_listen_follows_its_last_action() -> None:
    rule = StorySpec(
        "r", (intent("go"), action("utter_go")), is_rule=True, wait_for_user_input=False
    )

    (dialogue,) = training_dialogues((rule,), augmentation_factor=0)

    assert not dialogue.listen_at_end
    assert [t for _, t in training_samples(dialogue.events, DOMAIN, listen_at_end=False)] == [
        "utter_go"
    ]


def test_given_slots_loops_and_entities_then_the_state_shows_what_influences_the_bot() -> None:
    events = [
        intent("inform", city="Rome", date="today"),
        slot("city", "Rome"),
        slot("mood", "Meh"),
        action("weather_form"),
        loop("weather_form"),
    ]

    state = states_of(events, DOMAIN)[-1]

    assert state == DialogueState(
        intent="inform",
        entities=("city",),  # the intent uses only `city`
        slots=(("city", "set"), ("count", "0.5"), ("mood", "__other__")),
        active_loop="weather_form",
        prev_action="weather_form",
    )


def test_given_a_live_conversation_then_bot_text_after_an_action_is_not_a_turn() -> None:
    live = [intent("greet"), action("utter_greet"), bot("Hi!"), intent("bye")]
    story = [intent("greet"), action("utter_greet"), intent("bye")]

    assert states_of(live, DOMAIN) == states_of(story, DOMAIN)


def test_given_a_restart_then_the_conversation_starts_afresh() -> None:
    tracker = StateTracker(DOMAIN).apply_all(
        [intent("greet"), slot("city", "Rome"), action("utter_greet"), StoryEvent("restart")]
    )

    assert tracker.states() == (
        DialogueState(slots=(("count", "0.5"),), prev_action=ACTION_LISTEN),
    )


def test_given_max_history_then_the_window_keeps_the_latest_states() -> None:
    states = states_of([intent("a"), action("b"), intent("c"), action("d")], DOMAIN)

    assert window(states, None) == states
    assert window(states, 2) == states[-2:]
    assert window(states, 0) == ()
