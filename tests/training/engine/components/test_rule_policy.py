from __future__ import annotations

from pathlib import Path

from tests.training.engine.dialogue.helpers import action, intent, loop, slot
from training.engine.component import TrainContext, TrainInputs, component_class
from training.engine.components.rule_policy import RulePolicy
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    FormSpec,
    NluData,
    SlotSpec,
    StoryEvent,
    StorySpec,
    TrainingData,
)
from training.engine.dialogue.states import ACTION_LISTEN, states_of

DOMAIN = DomainSpec(
    slots=(SlotSpec("cuisine", "text"), SlotSpec("vip", "bool")),
    forms=(FormSpec("restaurant_form", ("cuisine",)),),
)
BYE = StorySpec("bye", (intent("bye"), action("utter_bye")), is_rule=True)
WELCOME = StorySpec(
    "welcome", (intent("greet"), action("utter_welcome")), is_rule=True, conversation_start=True
)
VIP = StorySpec(
    "vip",
    (intent("greet"), action("utter_vip")),
    is_rule=True,
    condition=(slot("vip", True),),
)
ACTIVATE = StorySpec(
    "activate",
    (intent("request"), action("restaurant_form"), loop("restaurant_form")),
    is_rule=True,
)
SUBMIT = StorySpec(
    "submit",
    (action("restaurant_form"), loop(None), action("utter_submit"), action("utter_slots")),
    is_rule=True,
    condition=(loop("restaurant_form"),),
)
CHITCHAT = StorySpec(
    "chitchat in form",
    (intent("chitchat"), action("utter_chitchat"), action("restaurant_form")),
    is_rule=True,
    condition=(loop("restaurant_form"),),
    wait_for_user_input=False,
)
STORY = StorySpec(
    "story",
    (intent("mood"), action("utter_cheer_up"), action("utter_did_that_help")),
)


def trained(*stories: StorySpec, **config: object) -> RulePolicy:
    policy = RulePolicy(dict(config))
    data = TrainingData(EngineConfig(), DOMAIN, NluData(), stories)
    policy.train(TrainInputs(data=data), TrainContext(node="policy_0"))
    return policy


def next_action(policy: RulePolicy, *events: StoryEvent) -> tuple[str, float] | None:
    found = policy.predict(states_of(events, DOMAIN))
    return None if found is None else (found.action, found.confidence)


def test_given_the_name_then_a_registered_policy_with_rasa_defaults() -> None:
    assert component_class("RulePolicy") is RulePolicy
    assert RulePolicy({}).config["core_fallback_threshold"] == 0.3
    assert RulePolicy({}).priority == 6


def test_given_a_rule_then_it_applies_anywhere_and_the_bot_listens_after_it() -> None:
    policy = trained(BYE)

    mid = (intent("greet"), action("utter_greet"), intent("bye"))

    assert next_action(policy, *mid) == ("utter_bye", 1.0)
    assert next_action(policy, *mid, action("utter_bye")) == (ACTION_LISTEN, 1.0)


def test_given_a_conversation_start_rule_then_it_applies_at_the_start_only() -> None:
    policy = trained(WELCOME, enable_fallback_prediction=False)

    assert next_action(policy, intent("greet")) == ("utter_welcome", 1.0)
    assert next_action(policy, intent("greet"), action("utter_x"), intent("greet")) is None


def test_given_a_slot_condition_then_the_rule_needs_the_slot() -> None:
    policy = trained(VIP, enable_fallback_prediction=False)

    assert next_action(policy, slot("vip", True), intent("greet")) == ("utter_vip", 1.0)
    assert next_action(policy, slot("vip", False), intent("greet")) is None


def test_given_an_active_form_then_the_happy_path_runs_it_after_each_answer() -> None:
    policy = trained(ACTIVATE, SUBMIT)
    started = (intent("request"), action("restaurant_form"), loop("restaurant_form"))

    assert next_action(policy, intent("request")) == ("restaurant_form", 1.0)
    assert next_action(policy, *started) == (ACTION_LISTEN, 1.0)
    assert next_action(policy, *started, intent("inform")) == ("restaurant_form", 1.0)
    finished = (*started, intent("inform"), slot("cuisine", "thai"), action("restaurant_form"))
    assert next_action(policy, *finished, loop(None)) == ("utter_submit", 1.0)
    assert next_action(policy, *finished, loop(None), action("utter_submit")) == (
        "utter_slots",
        1.0,
    )


def test_given_a_rule_naming_the_loop_then_it_handles_the_unhappy_path() -> None:
    policy = trained(ACTIVATE, CHITCHAT)
    started = (intent("request"), action("restaurant_form"), loop("restaurant_form"))

    assert next_action(policy, *started, intent("chitchat")) == ("utter_chitchat", 1.0)
    assert next_action(policy, *started, intent("chitchat"), action("utter_chitchat")) == (
        "restaurant_form",
        1.0,
    )


def test_given_no_rule_after_a_user_turn_then_the_core_fallback_at_the_threshold() -> None:
    policy = trained(BYE, core_fallback_threshold=0.4)

    assert next_action(policy, intent("weather")) == ("action_default_fallback", 0.4)
    assert next_action(policy, intent("weather"), action("action_default_fallback")) == (
        ACTION_LISTEN,
        1.0,
    )
    assert next_action(policy, intent("restart")) == ("action_restart", 1.0)


def test_given_stories_then_the_bot_listens_after_an_action_that_only_ends_them() -> None:
    policy = trained(STORY, enable_fallback_prediction=False)
    told = (intent("mood"), action("utter_cheer_up"))

    assert next_action(policy, *told) is None  # followed by another action in the story
    assert next_action(policy, *told, action("utter_did_that_help")) == (ACTION_LISTEN, 1.0)


def test_given_contradicting_rules_then_neither_is_kept() -> None:
    other = StorySpec("bye 2", (intent("bye"), action("utter_see_you")), is_rule=True)

    policy = trained(BYE, other, enable_fallback_prediction=False)

    assert next_action(policy, intent("bye")) is None


def test_given_a_trained_policy_when_persisted_and_loaded_then_it_predicts_the_same(
    tmp_path: Path,
) -> None:
    policy = trained(BYE, WELCOME, VIP, ACTIVATE, SUBMIT)
    policy.persist(tmp_path)

    loaded = RulePolicy.load(dict(policy.config), tmp_path)

    assert loaded.rules == policy.rules
    events = (slot("vip", True), intent("greet"))
    assert loaded.predict(states_of(events, DOMAIN)) == policy.predict(states_of(events, DOMAIN))


def test_given_rules_that_begin_with_different_actions_then_they_do_not_contradict() -> None:
    faq = StorySpec("faq", (action("utter_faq"), action("utter_ask_help")), is_rule=True)
    detailed = StorySpec("detail", (action("utter_detail"), action("utter_ask_help")), is_rule=True)

    policy = trained(faq, detailed, enable_fallback_prediction=False)

    assert next_action(policy, intent("ask")) is None  # the first action is not predicted
    assert next_action(policy, intent("ask"), action("utter_faq")) == ("utter_ask_help", 1.0)
    assert next_action(policy, intent("ask"), action("utter_detail")) == ("utter_ask_help", 1.0)


def test_given_a_slot_condition_without_value_then_any_value_matches() -> None:
    rule = StorySpec(
        "known cuisine",
        (intent("order"), action("utter_order")),
        is_rule=True,
        condition=(slot("cuisine", True),),  # slot_was_set: [cuisine]
    )

    policy = trained(rule, enable_fallback_prediction=False)

    assert next_action(policy, slot("cuisine", "thai"), intent("order")) == ("utter_order", 1.0)
    assert next_action(policy, intent("order")) is None


def test_given_many_rules_when_predicting_then_the_index_finds_what_a_full_scan_finds() -> None:
    policy = trained(BYE, WELCOME, VIP, ACTIVATE, SUBMIT, CHITCHAT, STORY)
    conversations = [
        (intent("greet"),),
        (slot("vip", True), intent("greet")),
        (intent("greet"), action("utter_welcome"), intent("bye")),
        (intent("request"), action("restaurant_form"), loop("restaurant_form")),
        (intent("request"), action("restaurant_form"), loop("restaurant_form"), intent("chitchat")),
        (
            intent("request"), action("restaurant_form"), loop("restaurant_form"),
            intent("inform"), action("restaurant_form"), loop(None),
        ),
        (intent("mood"), action("utter_cheer_up")),
    ]  # fmt: skip

    checked = pruned = 0
    for events in conversations:
        states = states_of(events, DOMAIN)
        for end in range(1, len(states) + 1):
            seen = states[:end]
            candidates = policy._candidates(seen[-1])
            matching = [rule for rule in policy.rules if rule.matches(seen)]
            assert [rule for rule in candidates if rule.matches(seen)] == matching
            checked += 1
            pruned += len(candidates) < len(policy.rules)

    assert pruned == checked  # every state was checked against fewer rules than all


def test_given_rules_replaced_when_predicting_then_the_new_ones_apply() -> None:
    policy = trained(BYE, enable_fallback_prediction=False)
    assert next_action(policy, intent("greet"), action("utter_x"), intent("bye")) == (
        "utter_bye",
        1.0,
    )

    policy.rules = trained(WELCOME).rules  # as online learning does
    assert next_action(policy, intent("greet"), action("utter_x"), intent("bye")) is None
    policy.rules.extend(trained(BYE).rules)
    assert next_action(policy, intent("greet"), action("utter_x"), intent("bye")) == (
        "utter_bye",
        1.0,
    )
