"""What TEDPolicy does beyond the shared window-policy contract (test_window_policies.py)."""

from __future__ import annotations

from pathlib import Path

from tests.training.engine.components.policy_helpers import (
    ACTIONS,
    DOMAIN,
    HAPPY,
    SAD,
    SAD_HELPED,
    STORIES,
    data,
    train,
)
from tests.training.engine.dialogue.helpers import action, intent
from training.engine import runner
from training.engine.component import TrainContext, TrainInputs
from training.engine.components.ted_policy import TEDPolicy
from training.engine.data import EngineConfig, NluData, NluExample, StorySpec, TrainingData
from training.engine.dialogue.states import states_of
from training.engine.model import Model

FAST = {"augmentation_factor": 2}  # the default epochs


def trained(**config: object) -> TEDPolicy:
    policy = TEDPolicy({**FAST, **config})
    train(policy)
    return policy


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
