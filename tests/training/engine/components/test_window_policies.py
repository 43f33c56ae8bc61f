"""The contract both ML dialogue policies (TEDPolicy, KerasPolicy) share through
``components/window_policy``: learning, scores, persistence, seeding, fine-tuning, config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
from training.engine.components.ted_policy import TEDPolicy
from training.engine.components.window_policy import PolicyConfigError
from training.engine.dialogue.policy import ML_PRIORITY
from training.engine.dialogue.states import states_of

FAST = {"augmentation_factor": 2}  # the default epochs
# each policy with a few of Rasa's own keys for it, which must be accepted
POLICIES = {
    TEDPolicy: {"drop_rate_dialogue": 0.2, "constrain_similarities": True},
    KerasPolicy: {"validation_split": 0.2, "rnn_size": 16},
}

pytestmark = pytest.mark.parametrize("policy_class", list(POLICIES), ids=lambda c: c.name)


def trained(policy_class: type[Any], **config: object) -> Any:
    policy = policy_class({**FAST, **config})
    train(policy)
    return policy


def test_given_the_registry_then_it_is_an_ml_policy(policy_class: type[Any]) -> None:
    assert component_class(policy_class.name) is policy_class
    assert policy_class.kind == "policy"
    assert policy_class({}).priority == ML_PRIORITY


def test_given_three_stories_when_trained_then_it_predicts_every_next_action(
    policy_class: type[Any],
) -> None:
    policy = trained(policy_class)

    assert [action for action, _ in predictions(policy)] == [a for _, a in EXPECTED]


def test_given_a_prediction_then_it_scores_every_action(policy_class: type[Any]) -> None:
    policy = trained(policy_class, epochs=2)

    prediction = policy.predict(states_of(EXPECTED[0][0], DOMAIN), ACTIONS)

    assert prediction is not None and prediction.policy == policy_class.name
    assert {a for a, _ in prediction.scores} == set(ACTIONS)
    assert abs(sum(s for _, s in prediction.scores) - 1.0) < 1e-5


def test_given_a_trained_policy_when_persisted_and_loaded_then_predictions_match(
    policy_class: type[Any], tmp_path: Path
) -> None:
    policy = trained(policy_class, epochs=5)
    policy.persist(tmp_path)

    loaded = policy_class.load(dict(policy.config), tmp_path)

    assert predictions(loaded) == predictions(policy)


def test_given_the_same_seed_when_trained_twice_then_predictions_are_identical(
    policy_class: type[Any],
) -> None:
    assert predictions(trained(policy_class, epochs=5)) == predictions(
        trained(policy_class, epochs=5)
    )


def test_given_an_untrained_policy_then_it_has_no_opinion(
    policy_class: type[Any], tmp_path: Path
) -> None:
    states = states_of(EXPECTED[0][0], DOMAIN)
    assert policy_class({}).predict(states, ACTIONS) is None
    assert policy_class.load({}, tmp_path).predict(states) is None


def test_given_a_base_model_when_fine_tuned_then_it_trains_a_fraction_of_the_epochs(
    policy_class: type[Any], tmp_path: Path
) -> None:
    base = trained(policy_class, epochs=10)
    base.persist(tmp_path)
    reports: list[Progress] = []
    context = TrainContext(
        node=f"policy_2_{policy_class.name}",
        finetune_from=tmp_path,
        epoch_fraction=0.25,
        report=reports.append,
    )

    tuned = policy_class({**FAST, "epochs": 10})
    train(tuned, context)

    assert [r.epoch for r in reports] == [1, 2, 3]
    assert all(r.epochs == 3 for r in reports)
    assert tuned.actions == base.actions
    assert tuned.vocabulary.names[: base.vocabulary.size] == base.vocabulary.names


def test_given_an_unknown_key_then_the_error_names_it(policy_class: type[Any]) -> None:
    with pytest.raises(PolicyConfigError, match=r"unknown config key.*epochz"):
        policy_class({"epochz": 3})


def test_given_rasa_keys_then_they_are_accepted(policy_class: type[Any]) -> None:
    policy_class({"name": policy_class.name, **POLICIES[policy_class]})


def test_given_max_training_samples_then_a_seeded_subset_trains(policy_class: type[Any]) -> None:
    all_samples = trained(policy_class, epochs=1)
    limited = policy_class({**FAST, "epochs": 1, "max_training_samples": 3})

    metrics = train(limited)

    assert metrics["samples"] == 3
    assert all_samples.config["max_training_samples"] is None
    assert train(policy_class({**FAST, "epochs": 1, "max_training_samples": -1}))["samples"] > 3
