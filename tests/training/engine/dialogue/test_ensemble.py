from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TypeVar

from training.engine.component import TrainContext, TrainInputs
from training.engine.components.memoization import MemoizationPolicy
from training.engine.components.rule_policy import RulePolicy
from training.engine.data import (
    DomainSpec,
    EngineConfig,
    FormSpec,
    NluData,
    StorySpec,
    TrainingData,
)
from training.engine.dialogue.actions import DEFAULT_ACTIONS, action_names
from training.engine.dialogue.domain import domain_from_dict
from training.engine.dialogue.ensemble import PolicyEnsemble
from training.engine.dialogue.policy import PolicyPrediction
from training.engine.dialogue.states import ACTION_LISTEN, DialogueState
from training.engine.model import Model

from .helpers import action, intent

DOMAIN = DomainSpec(
    actions=("action_check",),
    responses=(("utter_greet", ({"text": "Hi"},)), ("utter_bye", ({"text": "Bye"},))),
    forms=(FormSpec("order_form", ("item",)),),
)
GREET = StorySpec("greet", (intent("greet"), action("utter_greet")))
GREET_RULE = StorySpec("greet rule", (intent("greet"), action("utter_bye")), is_rule=True)


class Fixed:
    """A stand-in policy that always says the same thing."""

    def __init__(self, action: str, confidence: float, priority: int, name: str) -> None:
        self.priority = priority
        self.answer = PolicyPrediction(name, action, confidence, priority)

    def predict(
        self, states: Sequence[DialogueState], actions: Sequence[str] = ()
    ) -> PolicyPrediction | None:
        return self.answer


P = TypeVar("P", MemoizationPolicy, RulePolicy)


def trained(policy: P, *stories: StorySpec) -> P:
    data = TrainingData(EngineConfig(), DOMAIN, NluData(), stories)
    policy.train(TrainInputs(data=data), TrainContext(node="policy"))
    return policy


def test_given_a_domain_then_actions_are_defaults_custom_responses_and_forms() -> None:
    names = action_names(DOMAIN)

    assert names[: len(DEFAULT_ACTIONS)] == DEFAULT_ACTIONS
    assert names[len(DEFAULT_ACTIONS) :] == (
        "action_check",
        "utter_greet",
        "utter_bye",
        "order_form",
    )


def test_given_predictions_then_the_most_confident_wins_and_ties_go_to_priority() -> None:
    ml = Fixed("utter_greet", 0.9, 1, "TEDPolicy")
    memo = Fixed("utter_bye", 0.9, 3, "MemoizationPolicy")
    rule = Fixed("action_default_fallback", 0.3, 6, "RulePolicy")

    tie = PolicyEnsemble(DOMAIN, [ml, memo, rule]).decide([DialogueState()])
    higher = PolicyEnsemble(DOMAIN, [Fixed("utter_greet", 0.95, 1, "TEDPolicy"), memo]).decide(
        [DialogueState()]
    )

    assert (tie.action, tie.confidence, tie.policy) == ("utter_bye", 0.9, "MemoizationPolicy")
    assert tie.scores[0] == ("utter_bye", 0.9)
    assert {action for action, _ in tie.scores} == set(action_names(DOMAIN))
    assert (higher.action, higher.policy) == ("utter_greet", "TEDPolicy")


def test_given_no_policy_knows_then_listen_with_no_confidence_and_no_policy() -> None:
    decision = PolicyEnsemble(DOMAIN, []).decide([DialogueState(prev_action="utter_greet")])

    assert (decision.action, decision.confidence, decision.policy) == (ACTION_LISTEN, 0.0, None)


def test_given_a_rule_and_a_story_that_disagree_then_the_rule_wins_the_tie() -> None:
    memo = trained(MemoizationPolicy({}), GREET)
    rule = trained(RulePolicy({}), GREET_RULE)

    decision = PolicyEnsemble(DOMAIN, [memo, rule]).predict_next_action([intent("greet")])

    assert (decision.action, decision.confidence, decision.policy) == (
        "utter_bye",
        1.0,
        "RulePolicy",
    )


def test_given_a_priority_in_the_config_then_it_overrides_the_default() -> None:
    memo = trained(MemoizationPolicy({"priority": 7}), GREET)
    rule = trained(RulePolicy({}), GREET_RULE)

    decision = PolicyEnsemble(DOMAIN, [memo, rule]).predict_next_action([intent("greet")])

    assert (decision.action, decision.policy) == ("utter_greet", "MemoizationPolicy")


def test_given_a_model_then_it_predicts_from_its_metadata_domain_and_policies() -> None:
    memo = trained(MemoizationPolicy({}), GREET)
    rule = trained(RulePolicy({}), GREET_RULE)
    model = Model({"id": "m", "domain": asdict(DOMAIN)}, [], [memo, rule])

    first = model.predict_next_action([intent("hello")])
    after = model.predict_next_action([intent("greet"), action("utter_bye")])

    assert domain_from_dict(asdict(DOMAIN)) == DOMAIN
    assert (first.action, first.confidence, first.policy) == (
        "action_default_fallback",
        0.3,
        "RulePolicy",
    )
    assert (after.action, after.confidence) == (ACTION_LISTEN, 1.0)
    assert first.as_dict()["scores"][0] == {"action": "action_default_fallback", "score": 0.3}
