from __future__ import annotations

import json
from pathlib import Path

from training.engine.component import TrainContext, TrainInputs, component_class
from training.engine.components.memoization import (
    ACTION_LISTEN,
    AugmentedMemoizationPolicy,
    DialogueState,
    MemoizationPolicy,
    StateTracker,
    expand_stories,
    training_samples,
)
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    NluData,
    SlotSpec,
    StoryEvent,
    StorySpec,
    TrainingData,
)

DOMAIN = DomainSpec(
    slots=(
        SlotSpec("city", "text"),
        SlotSpec("note", "text", influence_conversation=False),
        SlotSpec("vip", "bool"),
    )
)


def intent(name: str, **entities: str) -> StoryEvent:
    return StoryEvent(
        "intent",
        name,
        entities=tuple(
            {"entity": key, "value": value, "role": None, "group": None}
            for key, value in entities.items()
        ),
    )


def action(name: str) -> StoryEvent:
    return StoryEvent("action", name)


def slot(name: str, value: object) -> StoryEvent:
    return StoryEvent("slot", name, value=value)


def trained(policy_class: type[MemoizationPolicy], *stories: StorySpec, **config: object):
    policy = policy_class(dict(config))
    data = TrainingData(EngineConfig(), DOMAIN, NluData(), stories)
    metrics = policy.train(TrainInputs(data=data), TrainContext(node="policy_0"))
    return policy, metrics


def states_of(*events: StoryEvent) -> tuple[DialogueState, ...]:
    """The states of a live conversation after ``events`` (the bot about to act)."""
    tracker = StateTracker(DOMAIN)
    for event in events:
        tracker.apply(event)
    return tracker.states()


GREET = StorySpec("greet", (intent("greet"), action("utter_greet")))
INFORM = StorySpec(
    "inform",
    (
        intent("greet"),
        action("utter_greet"),
        intent("inform", city="Rome"),
        slot("city", "Rome"),
        action("utter_ok"),
    ),
)


def test_given_both_policies_then_they_are_registered_policies() -> None:
    assert component_class("MemoizationPolicy") is MemoizationPolicy
    assert component_class("AugmentedMemoizationPolicy").kind == "policy"
    assert MemoizationPolicy({}).max_history is None
    assert AugmentedMemoizationPolicy({}).max_history == 5


def test_given_a_story_when_samples_are_made_then_the_bot_listens_between_turns() -> None:
    samples = training_samples(INFORM.events, DOMAIN)

    assert [target for _, target in samples] == [
        "utter_greet",
        ACTION_LISTEN,
        "utter_ok",
        ACTION_LISTEN,
    ]
    last_states = samples[2][0]
    assert last_states[-1] == DialogueState(
        intent="inform",
        entities=("city",),
        slots=(("city", "set"),),
        prev_action=ACTION_LISTEN,
    )


def test_given_trained_stories_when_the_same_states_come_then_the_action_is_remembered() -> None:
    policy, metrics = trained(MemoizationPolicy, GREET, INFORM)

    first = policy.predict(states_of(intent("greet")))
    after_inform = policy.predict(
        states_of(
            intent("greet"),
            action("utter_greet"),
            intent("inform", city="Rome"),
            slot("city", "Rome"),
        )
    )

    assert first is not None and (first.action, first.confidence) == ("utter_greet", 1.0)
    assert after_inform is not None and after_inform.action == "utter_ok"
    assert policy.predict(states_of(intent("goodbye"))) is None
    assert metrics["memorized"] > 0


def test_given_stories_that_disagree_when_trained_then_the_window_is_forgotten() -> None:
    other = StorySpec("other", (intent("greet"), action("utter_hello")))

    policy, metrics = trained(MemoizationPolicy, GREET, other)

    assert policy.predict(states_of(intent("greet"))) is None
    assert metrics["conflicts"] >= 1


def test_given_a_slot_that_does_not_influence_the_conversation_then_it_is_not_in_states() -> None:
    tracker = StateTracker(DOMAIN)

    tracker.apply(slot("note", "anything"))
    tracker.apply(slot("vip", True))

    assert tracker.state().slots == (("vip", "true"),)


def test_given_or_steps_and_checkpoints_when_expanded_then_every_path_is_a_story() -> None:
    start = StorySpec(
        "start",
        (
            StoryEvent("or", alternatives=(intent("greet"), intent("hello"))),
            action("utter_greet"),
            StoryEvent("checkpoint", "greeted"),
        ),
    )
    end = StorySpec(
        "end", (StoryEvent("checkpoint", "greeted"), intent("bye"), action("utter_bye"))
    )

    flat = expand_stories([start, end])

    assert [[e.name for e in events] for events in flat] == [
        ["greet", "utter_greet", "bye", "utter_bye"],
        ["hello", "utter_greet", "bye", "utter_bye"],
    ]


def test_given_a_rule_mid_conversation_when_augmented_then_recent_states_match() -> None:
    rule = StorySpec("bye", (intent("bye"), action("utter_bye")), is_rule=True)

    augmented, _ = trained(AugmentedMemoizationPolicy, GREET, rule)
    plain, _ = trained(MemoizationPolicy, GREET, rule)
    conversation = states_of(intent("greet"), action("utter_greet"), intent("bye"))

    found = augmented.predict(conversation)
    assert found is not None and found.action == "utter_bye"
    assert plain.predict(conversation) is None


def test_given_a_trained_policy_when_persisted_and_loaded_then_it_predicts_the_same(
    tmp_path: Path,
) -> None:
    policy, _ = trained(AugmentedMemoizationPolicy, GREET, INFORM, max_history=3)
    policy.persist(tmp_path)

    loaded = AugmentedMemoizationPolicy.load({"max_history": 3}, tmp_path)

    assert loaded.lookup == policy.lookup
    assert loaded.predict(states_of(intent("greet"))) == policy.predict(states_of(intent("greet")))


def test_given_states_when_keyed_then_the_key_is_the_json_that_persisted_lookups_hold() -> None:
    states = [
        DialogueState(intent="greet", entities=("city",), slots=(("vip", "1.0"),)),
        DialogueState(active_loop="form", prev_action="utter_ça_va"),
    ]
    policy = MemoizationPolicy({"max_history": 5})
    for window in ([], states[:1], states, [states[1], states[1]]):
        expected = json.dumps([s.as_json() for s in window], sort_keys=True, ensure_ascii=False)
        assert policy.key_of(window) == expected  # models trained before the key was cached
