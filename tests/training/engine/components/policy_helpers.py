"""A toy three-story domain for the ML policy tests (TEDPolicy, KerasPolicy)."""

from __future__ import annotations

from collections.abc import Sequence

from tests.training.engine.dialogue.helpers import action, intent
from training.engine.component import TrainContext, TrainInputs
from training.engine.components.window_policy import WindowPolicy
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    IntentSpec,
    NluData,
    StoryEvent,
    StorySpec,
    TrainingData,
)
from training.engine.dialogue.actions import action_names
from training.engine.dialogue.states import ACTION_LISTEN, states_of

RESPONSES = ("utter_greet", "utter_happy", "utter_cheer_up", "utter_did_that_help", "utter_bye")
DOMAIN = DomainSpec(
    intents=tuple(IntentSpec(n) for n in ("greet", "mood_great", "mood_unhappy", "affirm", "deny")),
    responses=tuple((name, ({"text": name},)) for name in RESPONSES),
)
HAPPY = StorySpec(
    "happy",
    (intent("greet"), action("utter_greet"), intent("mood_great"), action("utter_happy")),
)
SAD = (
    intent("greet"),
    action("utter_greet"),
    intent("mood_unhappy"),
    action("utter_cheer_up"),
    action("utter_did_that_help"),
)
SAD_HELPED = StorySpec("sad helped", (*SAD, intent("affirm"), action("utter_happy")))
SAD_NOT_HELPED = StorySpec("sad not helped", (*SAD, intent("deny"), action("utter_bye")))
STORIES = (HAPPY, SAD_HELPED, SAD_NOT_HELPED)
ACTIONS = action_names(DOMAIN)

# (conversation so far, the next action the stories teach)
EXPECTED: tuple[tuple[tuple[StoryEvent, ...], str], ...] = (
    ((intent("greet"),), "utter_greet"),
    ((intent("greet"), action("utter_greet")), ACTION_LISTEN),
    (HAPPY.events[:3], "utter_happy"),
    (SAD[:3], "utter_cheer_up"),
    (SAD[:4], "utter_did_that_help"),
    (SAD, ACTION_LISTEN),
    ((*SAD, intent("affirm")), "utter_happy"),
    ((*SAD, intent("deny")), "utter_bye"),
)


def data(stories: Sequence[StorySpec] = STORIES) -> TrainingData:
    return TrainingData(EngineConfig(), DOMAIN, NluData(), tuple(stories))


def train(policy: WindowPolicy, context: TrainContext | None = None) -> dict[str, float]:
    return policy.train(TrainInputs(data()), context or TrainContext(node="policy_0"))


def predictions(policy: WindowPolicy) -> list[tuple[str, float]]:
    found = []
    for events, _ in EXPECTED:
        prediction = policy.predict(states_of(events, DOMAIN), ACTIONS)
        assert prediction is not None
        found.append((prediction.action, prediction.confidence))
    return found
