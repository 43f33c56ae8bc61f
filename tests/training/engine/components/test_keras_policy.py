from __future__ import annotations

from pathlib import Path

import pytest

from tests.training.engine.components.policy_helpers import (
    ACTIONS,
    DOMAIN,
    EXPECTED,
    predictions,
    train,
)
from training.engine.component import Progress, TrainContext, component_class
from training.engine.components.keras_policy import KerasPolicy
from training.engine.components.window_policy import PolicyConfigError
from training.engine.dialogue.policy import ML_PRIORITY
from training.engine.dialogue.states import states_of

FAST = {"augmentation_factor": 2}  # the default epochs


def trained(**config: object) -> KerasPolicy:
    policy = KerasPolicy({**FAST, **config})
    train(policy)
    return policy


def test_given_the_registry_when_asked_for_keras_then_it_is_an_ml_policy() -> None:
    assert component_class("KerasPolicy") is KerasPolicy
    assert KerasPolicy.kind == "policy"
    assert KerasPolicy({}).priority == ML_PRIORITY


def test_given_three_stories_when_trained_then_it_predicts_every_next_action() -> None:
    policy = trained()

    assert [action for action, _ in predictions(policy)] == [a for _, a in EXPECTED]


def test_given_a_prediction_then_it_scores_every_action() -> None:
    policy = trained(epochs=2)
    states = states_of(EXPECTED[0][0], DOMAIN)

    prediction = policy.predict(states, ACTIONS)

    assert prediction is not None and prediction.policy == "KerasPolicy"
    assert {a for a, _ in prediction.scores} == set(ACTIONS)
    assert abs(sum(s for _, s in prediction.scores) - 1.0) < 1e-5


def test_given_a_trained_policy_when_persisted_and_loaded_then_predictions_match(
    tmp_path: Path,
) -> None:
    policy = trained(epochs=5)
    policy.persist(tmp_path)

    loaded = KerasPolicy.load(dict(policy.config), tmp_path)

    assert predictions(loaded) == predictions(policy)


def test_given_the_same_seed_when_trained_twice_then_predictions_are_identical() -> None:
    assert predictions(trained(epochs=5)) == predictions(trained(epochs=5))


def test_given_an_untrained_policy_then_it_has_no_opinion(tmp_path: Path) -> None:
    assert KerasPolicy({}).predict(states_of(EXPECTED[0][0], DOMAIN), ACTIONS) is None
    assert KerasPolicy.load({}, tmp_path).predict(states_of(EXPECTED[0][0], DOMAIN)) is None


def test_given_a_base_model_when_fine_tuned_then_it_trains_a_fraction_of_the_epochs(
    tmp_path: Path,
) -> None:
    base = trained(epochs=10)
    base.persist(tmp_path)
    reports: list[Progress] = []
    context = TrainContext(
        node="policy_3_KerasPolicy",
        finetune_from=tmp_path,
        epoch_fraction=0.25,
        report=reports.append,
    )

    tuned = KerasPolicy({**FAST, "epochs": 10})
    train(tuned, context)

    assert [r.epoch for r in reports] == [1, 2, 3]
    assert all(r.epochs == 3 for r in reports)
    assert tuned.actions == base.actions
    assert tuned.vocabulary.names[: base.vocabulary.size] == base.vocabulary.names


def test_given_an_unknown_key_then_the_error_names_it() -> None:
    with pytest.raises(PolicyConfigError, match=r"unknown config key.*epochz"):
        KerasPolicy({"epochz": 3})


def test_given_rasa_keras_keys_then_they_are_accepted() -> None:
    KerasPolicy({"name": "KerasPolicy", "validation_split": 0.2, "rnn_size": 16})
