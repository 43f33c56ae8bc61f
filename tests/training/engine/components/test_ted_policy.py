from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.engine.components.policy_helpers import (
    ACTIONS,
    DOMAIN,
    EXPECTED,
    HAPPY,
    SAD,
    SAD_HELPED,
    STORIES,
    data,
    predictions,
    train,
)
from tests.training.engine.dialogue.helpers import action, intent
from training.engine import runner
from training.engine.component import Progress, TrainContext, TrainInputs, component_class
from training.engine.components.ted_policy import TEDPolicy
from training.engine.components.window_policy import PolicyConfigError
from training.engine.data import EngineConfig, NluData, NluExample, StorySpec, TrainingData
from training.engine.dialogue.policy import ML_PRIORITY
from training.engine.dialogue.states import states_of
from training.engine.model import Model

FAST = {"augmentation_factor": 2}  # the default epochs


def trained(**config: object) -> TEDPolicy:
    policy = TEDPolicy({**FAST, **config})
    train(policy)
    return policy


def test_given_the_registry_when_asked_for_ted_then_it_is_an_ml_policy() -> None:
    assert component_class("TEDPolicy") is TEDPolicy
    assert TEDPolicy.kind == "policy"
    assert TEDPolicy({}).priority == ML_PRIORITY


def test_given_three_stories_when_trained_then_it_predicts_every_next_action() -> None:
    policy = trained()

    assert [action for action, _ in predictions(policy)] == [a for _, a in EXPECTED]


def test_given_a_prediction_then_it_scores_every_action() -> None:
    policy = trained(epochs=2)
    states = states_of(EXPECTED[0][0], DOMAIN)

    prediction = policy.predict(states, ACTIONS)

    assert prediction is not None and prediction.policy == "TEDPolicy"
    assert {a for a, _ in prediction.scores} == set(ACTIONS)
    assert abs(sum(s for _, s in prediction.scores) - 1.0) < 1e-5


def test_given_a_trained_policy_when_persisted_and_loaded_then_predictions_match(
    tmp_path: Path,
) -> None:
    policy = trained(epochs=5)
    policy.persist(tmp_path)

    loaded = TEDPolicy.load(dict(policy.config), tmp_path)

    assert predictions(loaded) == predictions(policy)


def test_given_the_same_seed_when_trained_twice_then_predictions_are_identical() -> None:
    assert predictions(trained(epochs=5)) == predictions(trained(epochs=5))


def test_given_an_untrained_policy_then_it_has_no_opinion(tmp_path: Path) -> None:
    assert TEDPolicy({}).predict(states_of(EXPECTED[0][0], DOMAIN), ACTIONS) is None
    assert TEDPolicy.load({}, tmp_path).predict(states_of(EXPECTED[0][0], DOMAIN)) is None


def test_given_a_base_model_when_fine_tuned_then_it_trains_a_fraction_of_the_epochs(
    tmp_path: Path,
) -> None:
    base = trained(epochs=10)
    base.persist(tmp_path)
    reports: list[Progress] = []
    context = TrainContext(
        node="policy_2_TEDPolicy",
        finetune_from=tmp_path,
        epoch_fraction=0.25,
        report=reports.append,
    )

    tuned = TEDPolicy({**FAST, "epochs": 10})
    train(tuned, context)

    assert [r.epoch for r in reports] == [1, 2, 3]
    assert all(r.epochs == 3 for r in reports)
    assert tuned.actions == base.actions
    assert tuned.vocabulary.names[: base.vocabulary.size] == base.vocabulary.names


def test_given_an_unknown_key_then_the_error_names_it() -> None:
    with pytest.raises(PolicyConfigError, match=r"unknown config key.*epochz"):
        TEDPolicy({"epochz": 3})


def test_given_rasa_ted_keys_then_they_are_accepted() -> None:
    TEDPolicy({"name": "TEDPolicy", "drop_rate_dialogue": 0.2, "constrain_similarities": True})


def test_given_a_new_entity_when_fine_tuned_then_the_vocabulary_and_inputs_grow(
    tmp_path: Path,
) -> None:
    base = trained(epochs=3)
    base.persist(tmp_path)
    with_entity = StorySpec(
        "greet with a name", (intent("greet", person="Ann"), action("utter_greet"))
    )

    tuned = TEDPolicy({**FAST, "epochs": 4})
    tuned.train(
        TrainInputs(data((*STORIES, with_entity))),
        TrainContext(node="policy_2_TEDPolicy", finetune_from=tmp_path, epoch_fraction=0.5),
    )

    assert tuned.vocabulary.names[-1] == "entity:person"
    assert tuned.weights["w_in"].shape[0] == base.weights["w_in"].shape[0] + 1
    assert tuned.predict(states_of((intent("greet", person="Ann"),), DOMAIN), ACTIONS) is not None


def test_given_memoization_rules_and_ted_when_trained_then_ted_answers_unseen_contexts(
    tmp_path: Path,
) -> None:
    nlu = NluData(
        tuple(
            NluExample(text, name)
            for name, texts in {
                "greet": ("hello", "hi"),
                "mood_great": ("great", "very good"),
                "mood_unhappy": ("sad", "very bad"),
                "affirm": ("yes", "indeed"),
                "deny": ("no", "never"),
            }.items()
            for text in texts
        )
    )
    config = EngineConfig(
        pipeline=(
            {"name": "WhitespaceTokenizer"},
            {"name": "CountVectorsFeaturizer"},
            {"name": "DIETClassifier", "epochs": 1},
        ),
        policies=(
            {"name": "MemoizationPolicy"},
            {"name": "RulePolicy"},
            {"name": "TEDPolicy", "epochs": 40, "augmentation_factor": 2},
        ),
    )
    rule = StorySpec("bye", (intent("deny"), action("utter_bye")), is_rule=True)
    data = TrainingData(config, DOMAIN, nlu, (*STORIES, rule))

    result = runner.train(data, out_dir=tmp_path / "models")
    model = Model.load(result.model_path)

    known = model.predict_next_action(SAD[:4])
    # three stories in a row: memoization (whole conversations) only knows pairs of them
    unseen = model.predict_next_action((*HAPPY.events, *SAD_HELPED.events, *HAPPY.events[:3]))
    assert (known.action, known.policy) == ("utter_did_that_help", "MemoizationPolicy")
    assert (unseen.action, unseen.policy) == ("utter_happy", "TEDPolicy")
    assert model.predict_next_action((intent("deny"),)).policy == "RulePolicy"


def test_given_rules_only_when_trained_then_it_has_no_opinion_and_can_be_fine_tuned(
    tmp_path: Path,
) -> None:
    rule = StorySpec("bye", (intent("deny"), action("utter_bye")), is_rule=True)
    rules_only = TEDPolicy(dict(FAST))
    rules_only.train(TrainInputs(data((rule,))), TrainContext(node="policy_2_TEDPolicy"))
    rules_only.persist(tmp_path)

    tuned = TEDPolicy(dict(FAST))
    train(tuned, TrainContext(node="policy_2_TEDPolicy", finetune_from=tmp_path))

    assert rules_only.predict(states_of((intent("deny"),), DOMAIN), ACTIONS) is None
    assert TEDPolicy.load({}, tmp_path).predict(states_of((intent("deny"),), DOMAIN)) is None
    assert tuned.predict(states_of((intent("deny"),), DOMAIN), ACTIONS) is not None
