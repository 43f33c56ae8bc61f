"""Predictions kept from one to the next (a turn's story extended, the state tracker resumed, a
conversation's story taken up by its next turn, ML answers remembered per window, a policy
left unasked when it cannot win) decide exactly as a conversation replayed from the start."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.training.engine.dialogue.helpers import action, intent, loop, slot
from tests.training.serving_fakes import DOMAIN, fake_parse
from training.engine import runner
from training.engine.components.window_policy import WindowPolicy
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    NluData,
    NluExample,
    SlotSpec,
    StoryEvent,
    StorySpec,
    TrainingData,
)
from training.engine.dialogue import PolicyDecision
from training.engine.dialogue.policy import PolicyPrediction
from training.engine.dialogue.states import StateTracker, StoryLog, same_event, states_of
from training.engine.model import Model
from training.runtime.action_server import ActionServerResult
from training.runtime.domain import RuntimeDomain
from training.runtime.turn import StoryShelf, Turn, story_events

STARTED = (intent("request_restaurant"), action("restaurant_form"), loop("restaurant_form"))
STORIES = (
    StorySpec("greet", (intent("greet"), action("utter_greet"))),
    StorySpec(
        "book",
        (
            intent("greet"),
            action("utter_greet"),
            *STARTED,
            intent("inform", cuisine="thai"),
            slot("cuisine", "thai"),
            action("restaurant_form"),
            intent("inform"),
            slot("people", "4"),
            action("restaurant_form"),
            loop(None),
            action("utter_submit"),
        ),
    ),
    StorySpec("weather", (intent("ask_weather"), action("action_weather")), is_rule=True),
    StorySpec("activate", STARTED, is_rule=True),
    StorySpec(
        "submit",
        (action("restaurant_form"), loop(None), action("utter_submit")),
        is_rule=True,
        condition=(loop("restaurant_form"),),
    ),
)
POLICIES = (
    {"name": "MemoizationPolicy", "max_history": 3},
    {"name": "RulePolicy"},
    {"name": "TEDPolicy", "epochs": 40, "augmentation_factor": 2},
)
# a conversation through a form, fallbacks (rewinds), ``back``, an undo and a restart
SCRIPT = (
    "/greet",
    "/request_restaurant",
    '/inform{"cuisine": "thai"}',
    "/chitchat",
    "/inform",
    "/greet",
    "/ask_weather",
    '/ask_weather{"city": "nowhere"}',
    "/back",
    "/request_restaurant",
    "/affirm",
    "/restart",
    "/greet",
    '/inform{"city": "Rome", "name": "Ada"}',
    "/request_restaurant",
    '/inform{"cuisine": "greek"}',
    "/inform",
    "/greet",
    "/ask_weather",
    "/chitchat",
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    nlu = NluData(
        tuple(NluExample(f"{name} {i}", name) for name in ("greet", "inform") for i in range(3))
    )
    config = EngineConfig(
        pipeline=(
            {"name": "WhitespaceTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "DIETClassifier", "epochs": 1},
        ),
        policies=POLICIES,
    )
    result = runner.train(
        TrainingData(config, DOMAIN, nlu, STORIES), out_dir=tmp_path_factory.mktemp("models")
    )
    return Model.load(result.model_path)


def weather(
    action_name: str, sender_id: str, tracker: Mapping[str, Any], domain: Mapping[str, Any]
) -> ActionServerResult:
    """``action_weather`` sets the weather; asked about "nowhere", it takes itself back."""
    entities = tracker["latest_message"]["entities"]
    if any(e.get("value") == "nowhere" for e in entities):
        return ActionServerResult(events=[{"event": "undo"}])
    return ActionServerResult(events=[{"event": "slot", "name": "weather", "value": "sunny"}])


def ask_every_policy(model: Model, events: Sequence[StoryEvent]) -> PolicyDecision:
    """The decision as the ensemble would take it with nothing kept: the states replayed from
    the start, every policy asked, the ML policies on weights of their own (no answers
    remembered)."""
    ensemble = model.ensemble
    states = StateTracker(ensemble.domain).apply_all(list(events)).states()
    best: PolicyPrediction | None = None
    for policy in ensemble.policies:
        found = unremembered(policy).predict(states, ensemble.actions)
        if found is None or found.confidence <= 0:
            continue
        if best is None or (found.confidence, found.priority) > (best.confidence, best.priority):
            best = found
    assert best is not None
    actions = (
        ensemble.actions if best.action in ensemble.actions else (*ensemble.actions, best.action)
    )
    scores = sorted(zip(actions, best.scores_over(actions), strict=True), key=lambda pair: -pair[1])
    return PolicyDecision(best.action, best.confidence, best.policy, tuple(scores))


def unremembered(policy: Any) -> Any:
    if not isinstance(policy, WindowPolicy):
        return policy
    fresh = copy.copy(policy)
    fresh.weights = dict(policy.weights)  # other weights: nothing remembered applies
    return fresh


@dataclass
class CheckedModel:
    """The trained model; each of its decisions checked against ``ask_every_policy`` on the
    turn's applied events converted afresh."""

    model: Model
    turn: Turn | None = None
    decisions: list[PolicyDecision] = field(default_factory=list)

    def predict_next_action(self, events: Sequence[StoryEvent]) -> PolicyDecision:
        assert self.turn is not None
        decision = self.model.predict_next_action(events)
        afresh = story_events(self.turn.state.applied)
        assert len(events) == len(afresh) and all(map(same_event, events, afresh))
        assert decision == ask_every_policy(self.model, afresh)
        self.decisions.append(decision)
        return decision


def talk(checked: CheckedModel, script: Sequence[str]) -> list[dict[str, Any]]:
    """Each message in a turn of its own, its history read back as JSON (as serving does)."""
    domain = RuntimeDomain.from_metadata(checked.model.metadata["domain"])
    history: list[dict[str, Any]] = []
    for text in script:
        turn = Turn(checked, domain, "ada", "rest", history, call_action=weather)
        checked.turn = turn
        if not history:
            turn.start_session()
        turn.receive(text, fake_parse(text))
        turn.predict_and_run()
        history = json.loads(json.dumps(turn.history))
    return history


def test_given_a_long_conversation_then_every_decision_is_the_one_from_scratch(
    model: Model,
) -> None:
    checked = CheckedModel(model)

    history = talk(checked, SCRIPT)

    kinds = {event["event"] for event in history}
    assert {"rewind", "undo", "restart", "active_loop"} <= kinds  # the script went there
    assert len(checked.decisions) > 2 * len(SCRIPT)
    assert {d.policy for d in checked.decisions} >= {"RulePolicy", "TEDPolicy"}


def test_given_the_same_conversation_twice_then_the_decisions_repeat(model: Model) -> None:
    first, again = CheckedModel(model), CheckedModel(model)

    talk(first, SCRIPT)
    talk(again, SCRIPT)  # ML answers remembered now; the shelf holds the first talk's story

    assert again.decisions == first.decisions


def test_given_a_growing_story_log_then_its_states_are_those_of_the_whole_story() -> None:
    events = [*STARTED, intent("inform", cuisine="thai"), slot("cuisine", "thai")]
    log = StoryLog()

    for event in events:
        log.append(event)
        assert states_of(log, DOMAIN) == states_of(list(log), DOMAIN)


def test_given_values_equal_but_of_other_types_then_a_log_is_not_taken_up() -> None:
    # ``1 == True``, yet a categorical slot featurizes them apart ("1", "true")
    domain = DomainSpec(slots=(SlotSpec("size", "categorical", values=("1", "true")),))
    before = StoryLog([intent("greet"), slot("size", 1)])
    states_of(before, domain)
    events = [intent("greet"), slot("size", True), action("utter_greet")]

    continued = before.continued(events)

    assert continued is not before
    assert states_of(continued, domain) == states_of(events, domain)
    assert states_of(continued, domain) != states_of([*before, action("utter_greet")], domain)


def test_given_a_shelved_story_then_the_next_turn_takes_it_up_only_when_it_goes_on() -> None:
    shelf = StoryShelf(size=2)
    story = [intent("greet"), action("utter_greet")]
    log = shelf.take("ada", story)
    states_of(log, DOMAIN)
    shelf.put("ada", log)

    went_on = shelf.take("ada", [*story, intent("ask_weather")])
    shelf.put("ada", went_on)
    rewound = shelf.take("ada", [intent("ask_weather")])

    assert went_on is log
    assert states_of(went_on, DOMAIN) == states_of([*story, intent("ask_weather")], DOMAIN)
    assert rewound is not log
    assert states_of(rewound, DOMAIN) == states_of([intent("ask_weather")], DOMAIN)
    assert shelf.take("ada", story) is not log  # taken: a log belongs to one turn at a time


def test_given_more_conversations_than_the_shelf_holds_then_the_oldest_goes() -> None:
    shelf = StoryShelf(size=1)
    story = [intent("greet")]
    ada = shelf.take("ada", story)
    shelf.put("ada", ada)
    shelf.put("bo", shelf.take("bo", story))

    assert shelf.take("ada", story) is not ada


def test_given_a_window_policy_given_new_weights_then_it_answers_from_them(
    model: Model, tmp_path: Path
) -> None:
    ted = next(p for p in model.ensemble.policies if isinstance(p, WindowPolicy))
    states = states_of([*STARTED, intent("greet")], DOMAIN)
    remembered = ted.predict(states, model.ensemble.actions)
    updated = copy.copy(ted)  # as interactive learning does, then trains the copy

    updated.fit_samples([(tuple(states), "utter_greet")], epochs=3, seed=1, batch_size=1)
    updated.persist(tmp_path)
    loaded = type(ted).load(ted.config, tmp_path)

    assert ted.predict(states, model.ensemble.actions) == remembered
    assert updated.predict(states, model.ensemble.actions) == loaded.predict(
        states, model.ensemble.actions
    )
    assert updated.predict(states, model.ensemble.actions) != remembered


def test_given_slot_values_of_other_types_then_their_story_events_keep_them_apart() -> None:
    values: list[Any] = [1, True, 1.0, 0.0, -0.0, "1", None, [1], [True]]
    dicts = [{"event": "slot", "name": "size", "value": value} for value in values]

    first, again = story_events(dicts), story_events(dicts)  # again: shared events

    assert [repr(event.value) for event in first] == [repr(value) for value in values]
    assert [repr(event) for event in again] == [repr(event) for event in first]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (intent("greet"), intent("greet"), True),
        (intent("inform", city="Rome"), intent("inform", city="Rome"), True),
        (slot("size", 0.0), slot("size", -0.0), False),
        (slot("size", 1), slot("size", 1.0), False),
        (slot("size", [1]), slot("size", [True]), False),
        (
            StoryEvent("intent", "inform", entities=({"entity": 1},)),
            StoryEvent("intent", "inform", entities=({"entity": True},)),
            False,
        ),
    ],
)
def test_given_two_events_then_they_are_the_same_only_down_to_their_types(
    a: StoryEvent, b: StoryEvent, same: bool
) -> None:
    assert a == b
    assert same_event(a, b) is same
