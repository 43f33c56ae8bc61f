"""Interactive learning (``engine.online``): a corrected story learned on the spot, through real
models trained on the toy moodbot stories (memoization, RulePolicy, TEDPolicy)."""

from __future__ import annotations

import dataclasses
import filecmp
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.training.engine.components.policy_helpers import DOMAIN, HAPPY, SAD, STORIES
from tests.training.engine.dialogue.helpers import action, intent
from training.engine.archive import NODES, extract_archive, read_metadata
from training.engine.components.memoization import InteractiveMemoryPolicy, MemoizationPolicy
from training.engine.components.window_policy import REPLAY_FILE, WindowPolicy
from training.engine.data import EngineConfig, NluData, StoryEvent, StorySpec, TrainingData
from training.engine.dialogue.states import states_of
from training.engine.model import Model
from training.engine.online import (
    INTERACTIVE,
    MEMORY_NODE,
    InteractiveModel,
    OnlineLearningError,
    learn_story,
    learned_stories,
    remember_story,
    save_model,
    update_ml_policies,
)
from training.engine.runner import train

TED = {"name": "TEDPolicy", "epochs": 40, "augmentation_factor": 2, "transformer_size": 16}
RULES = {"name": "RulePolicy"}
MEMO = {"name": "MemoizationPolicy", "max_history": 3}
AUGMENTED = {"name": "AugmentedMemoizationPolicy", "max_history": 3}

# the bot said goodbye after "deny"; the trainer wants it to cheer the user up once more
CONTEXT: tuple[StoryEvent, ...] = (*SAD, intent("deny"))
CORRECTED = (*CONTEXT, action("utter_cheer_up"))
OLD_ACTION, NEW_ACTION = "utter_bye", "utter_cheer_up"


def _train(
    directory: Path, policies: Sequence[dict[str, Any]], rules: Sequence[StorySpec] = ()
) -> Path:
    config = EngineConfig(pipeline=({"name": "WhitespaceTokenizer"},), policies=tuple(policies))
    data = TrainingData(config, DOMAIN, NluData(), (*STORIES, *rules))
    return train(data, out_dir=directory, cache=None).model_path


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _train(tmp_path_factory.mktemp("memo"), [MEMO, RULES, TED])


@pytest.fixture(scope="module")
def model(archive: Path) -> Model:
    return Model.load(archive)


def _ted(model: Model) -> WindowPolicy:
    return next(p for p in model.policies if isinstance(p, WindowPolicy))


def _ted_score(model: Model, events: Sequence[StoryEvent], wanted: str) -> float:
    prediction = _ted(model).predict(states_of(events, DOMAIN))
    assert prediction is not None
    return prediction.score_of(wanted)


# ------------------------------------------------------------------ memory


def test_given_a_correction_when_remembered_then_a_new_conversation_gets_the_corrected_action(
    model: Model,
) -> None:
    assert model.predict_next_action(CONTEXT).action == OLD_ACTION

    learned = remember_story(model, CORRECTED)

    decision = learned.predict_next_action(list(CONTEXT))  # a fresh event list: a new talk
    assert (decision.action, decision.policy) == (NEW_ACTION, "MemoizationPolicy")
    assert decision.scores[0] == (NEW_ACTION, 1.0)
    assert learned.predict_next_action(HAPPY.events[:3]).action == "utter_happy"  # the rest kept


def test_given_a_correction_when_remembered_then_the_base_model_is_untouched(
    model: Model,
) -> None:
    memo = next(p for p in model.policies if isinstance(p, MemoizationPolicy))
    lookup, weights = dict(memo.lookup), dict(_ted(model).weights)

    learned = remember_story(model, CORRECTED)

    assert model.predict_next_action(CONTEXT).action == OLD_ACTION
    assert memo.lookup == lookup and _ted(model).weights == weights
    assert learned.id != model.id
    assert learned.metadata["parent_model_id"] == model.id
    assert learned.metadata["kind"] == INTERACTIVE
    assert learned.metadata["fine_tune_count"] == model.metadata["fine_tune_count"] + 1
    assert "learned_stories" not in model.metadata


@pytest.mark.parametrize(
    ("policies", "deciding"),
    [
        ([AUGMENTED, RULES, TED], "AugmentedMemoizationPolicy"),
        ([RULES, TED], "InteractiveMemoryPolicy"),
    ],
    ids=["augmented memoization", "no memoization"],
)
def test_given_other_policy_sets_when_remembered_then_the_memory_decides(
    tmp_path: Path, policies: list[dict[str, Any]], deciding: str
) -> None:
    base = Model.load(_train(tmp_path, policies))
    assert base.predict_next_action(CONTEXT).action != NEW_ACTION

    learned = remember_story(base, CORRECTED)

    decision = learned.predict_next_action(CONTEXT)
    assert (decision.action, decision.policy) == (NEW_ACTION, deciding)
    assert base.predict_next_action(CONTEXT).action != NEW_ACTION


def test_given_no_memoization_when_remembered_then_a_memory_node_joins_the_ensemble(
    tmp_path: Path,
) -> None:
    base = Model.load(_train(tmp_path / "models", [RULES, TED]))

    learned = remember_story(base, CORRECTED)
    loaded = Model.load(save_model(learned, tmp_path / "models"))

    assert [e["name"] for e in loaded.metadata["policies"]][-1] == MEMORY_NODE
    assert isinstance(loaded.policies[-1], InteractiveMemoryPolicy)
    assert loaded.predict_next_action(CONTEXT).action == NEW_ACTION
    assert len(base.policies) == 2


def test_given_an_action_that_ended_every_story_when_a_story_goes_on_then_the_rule_gives_way(
    model: Model,
) -> None:
    # "utter_happy" ends every story, so RulePolicy listens after it; now an action follows it
    after_happy = (*HAPPY.events, action("utter_bye"))
    assert model.predict_next_action(HAPPY.events).action == "action_listen"

    learned = remember_story(model, after_happy)

    assert learned.predict_next_action(HAPPY.events).action == "utter_bye"
    assert learned.metadata["learned_stories"][0]["overridden"] == []
    assert model.predict_next_action(HAPPY.events).action == "action_listen"


def test_given_a_rule_the_story_contradicts_when_remembered_then_the_rule_still_decides_and_says_so(
    tmp_path: Path,
) -> None:
    rule = StorySpec("deny ends it", (intent("deny"), action("utter_bye")), is_rule=True)
    base = Model.load(_train(tmp_path, [MEMO, RULES, TED], rules=[rule]))

    learned = remember_story(base, CORRECTED)

    assert learned.predict_next_action(CONTEXT).action == OLD_ACTION
    overridden = learned.metadata["learned_stories"][0]["overridden"]
    assert [(o["expected"], o["predicted"], o["policy"]) for o in overridden] == [
        (NEW_ACTION, OLD_ACTION, "RulePolicy")
    ]


def test_given_a_story_spec_with_or_steps_when_remembered_then_every_path_is_learned(
    model: Model,
) -> None:
    either = StoryEvent("or", alternatives=(intent("deny"), intent("mood_unhappy")))
    story = StorySpec("cheer again", (*SAD, either, action("utter_cheer_up")))

    learned = remember_story(model, story)

    assert len(learned_stories(learned)) == 2
    for answer in ("deny", "mood_unhappy"):
        assert learned.predict_next_action((*SAD, intent(answer))).action == NEW_ACTION


def test_given_an_unsaved_interactive_model_when_it_learns_again_then_the_stories_accumulate(
    model: Model,
) -> None:
    first = remember_story(model, CORRECTED, name="first")
    happy_bye = (*HAPPY.events[:3], action("utter_bye"))

    second = remember_story(first, happy_bye, name="second")

    assert [story.name for story in learned_stories(second)] == ["first", "second"]
    assert second.metadata["parent_model_id"] == model.id
    assert second.metadata["fine_tune_count"] == first.metadata["fine_tune_count"]
    assert second.predict_next_action(CONTEXT).action == NEW_ACTION
    assert second.predict_next_action(HAPPY.events[:3]).action == "utter_bye"
    assert first.predict_next_action(HAPPY.events[:3]).action == "utter_happy"


# ------------------------------------------------------------------ the domain


@pytest.mark.parametrize(
    ("story", "named"),
    [
        ((intent("greet"), action("utter_dance")), "'utter_dance'"),
        ((intent("order_pizza"), action("utter_greet")), "unknown intent 'order_pizza'"),
        ((intent("greet", city="Paris"), action("utter_greet")), "unknown entity 'city'"),
        ((intent("greet"), StoryEvent("slot", "mood", value="x")), "unknown slot 'mood'"),
    ],
    ids=["action", "intent", "entity", "slot"],
)
def test_given_a_story_outside_the_domain_when_remembered_then_a_clear_error(
    model: Model, story: tuple[StoryEvent, ...], named: str
) -> None:
    with pytest.raises(OnlineLearningError, match="outside the model's domain") as error:
        remember_story(model, story)

    assert named in str(error.value)


def test_given_a_rule_or_no_action_when_remembered_then_a_clear_error(model: Model) -> None:
    rule = StorySpec("a rule", (intent("greet"), action("utter_greet")), is_rule=True)

    with pytest.raises(OnlineLearningError, match="only stories"):
        remember_story(model, rule)
    with pytest.raises(OnlineLearningError, match="no bot action"):
        remember_story(model, (intent("greet"),))
    with pytest.raises(OnlineLearningError, match="no bot action"):
        remember_story(model, (StoryEvent("checkpoint", "later"), *CORRECTED))


# ------------------------------------------------------------------ the ML policies


def test_given_a_remembered_story_when_the_ml_policies_update_then_the_corrected_action_rises(
    model: Model,
) -> None:
    remembered = remember_story(model, CORRECTED)
    before = _ted_score(remembered, CONTEXT, NEW_ACTION)

    updated = update_ml_policies(remembered, steps=10)

    assert _ted_score(updated, CONTEXT, NEW_ACTION) > before + 0.1
    assert _ted_score(model, CONTEXT, NEW_ACTION) == before  # the base's weights untouched
    report = updated.metadata["ml_update"]["policies"]["policy_2_TEDPolicy"]
    assert report["story_samples"] > 0 and report["replay_samples"] > 0
    assert updated.metadata["parent_model_id"] == model.id
    assert updated.predict_next_action(CONTEXT).action == NEW_ACTION


def test_given_learn_story_then_it_remembers_and_updates_in_one_call(model: Model) -> None:
    learned = learn_story(model, CORRECTED, steps=3)

    assert learned.metadata["ml_update"]["steps"] == 3
    assert learned.predict_next_action(CONTEXT).action == NEW_ACTION
    assert not np.array_equal(_ted(learned).weights["w_out"], _ted(model).weights["w_out"])


def test_given_a_model_that_learned_nothing_when_the_ml_policies_update_then_a_clear_error(
    model: Model,
) -> None:
    with pytest.raises(OnlineLearningError, match="no story yet"):
        update_ml_policies(model)


def test_given_a_trained_ted_then_it_stores_replay_samples_of_its_training_windows(
    model: Model, archive: Path, tmp_path: Path
) -> None:
    ted = _ted(model)

    assert ted.replay
    window, answer = ted.replay[0]
    assert 0 < len(window) <= ted.max_history and answer in ted.actions
    extract_archive(archive, tmp_path)
    assert (tmp_path / NODES / "policy_2_TEDPolicy" / REPLAY_FILE).is_file()


def test_given_an_archive_without_replay_data_when_updated_then_it_trains_on_the_story_alone(
    archive: Path, tmp_path: Path
) -> None:
    base = Model.load(archive)
    assert base.directory is not None
    (base.directory / NODES / "policy_2_TEDPolicy" / REPLAY_FILE).unlink()
    old = Model.load(_repacked(base, tmp_path))
    assert _ted(old).replay == ()

    updated = update_ml_policies(remember_story(old, CORRECTED), steps=5)

    report = updated.metadata["ml_update"]["policies"]["policy_2_TEDPolicy"]
    assert report["replay_samples"] == 0
    assert _ted_score(updated, CONTEXT, NEW_ACTION) > _ted_score(old, CONTEXT, NEW_ACTION)


def _repacked(model: Model, directory: Path) -> Path:
    """The model's unpacked (and edited) folder as an archive again, as an older one was."""
    from training.engine.archive import write_archive

    assert model.directory is not None
    nodes = model.directory / NODES
    return write_archive(
        out_dir=directory,
        metadata=model.metadata,
        node_dirs={path.name: path for path in sorted(nodes.iterdir())},
    )


# ------------------------------------------------------------------ saving


def test_given_a_learned_model_when_saved_and_loaded_then_it_keeps_behaviour_and_lineage(
    model: Model, archive: Path, tmp_path: Path
) -> None:
    learned = learn_story(model, CORRECTED, steps=5, name="cheer again")

    path = save_model(learned, tmp_path / "models")
    loaded = Model.load(path)

    metadata = read_metadata(path)
    assert metadata["id"] == learned.id != model.id
    assert metadata["parent_model_id"] == model.id
    assert metadata["kind"] == INTERACTIVE
    assert metadata["fine_tune_count"] == model.metadata["fine_tune_count"] + 1
    assert [story["name"] for story in metadata["learned_stories"]] == ["cheer again"]
    assert learned_stories(loaded) == learned_stories(learned)
    assert loaded.predict_next_action(CONTEXT) == learned.predict_next_action(CONTEXT)
    assert loaded.predict_next_action(CONTEXT).action == NEW_ACTION
    assert np.array_equal(_ted(loaded).weights["w_out"], _ted(learned).weights["w_out"])
    # a node the learning didn't touch is stored byte for byte as in the base archive
    assert model.directory is not None and loaded.directory is not None
    assert filecmp.cmpfiles(
        model.directory / NODES / "policy_1_RulePolicy",
        loaded.directory / NODES / "policy_1_RulePolicy",
        ["rules.json"],
        shallow=False,
    ) == (["rules.json"], [], [])


def test_given_a_closed_base_when_saved_then_every_node_is_written_from_memory(
    archive: Path, tmp_path: Path
) -> None:
    base = Model.load(archive)
    learned = learn_story(base, CORRECTED, steps=2)
    base.close()  # its unpacked files are gone

    loaded = Model.load(save_model(learned, tmp_path))

    assert loaded.predict_next_action(CONTEXT) == learned.predict_next_action(CONTEXT)
    assert loaded.predict_next_action(HAPPY.events[:3]).action == "utter_happy"


def test_given_a_loaded_interactive_archive_when_it_learns_again_then_it_is_the_parent(
    model: Model, tmp_path: Path
) -> None:
    saved = Model.load(save_model(remember_story(model, CORRECTED, name="one"), tmp_path))
    happy_bye = (*HAPPY.events[:3], action("utter_bye"))

    again = remember_story(saved, happy_bye, name="two")

    assert again.metadata["parent_model_id"] == saved.id
    assert again.metadata["fine_tune_count"] == saved.metadata["fine_tune_count"] + 1
    assert [story.name for story in learned_stories(again)] == ["one", "two"]
    assert again.predict_next_action(CONTEXT).action == NEW_ACTION


def test_given_a_model_not_learned_interactively_when_saved_then_a_clear_error(
    model: Model, tmp_path: Path
) -> None:
    with pytest.raises(OnlineLearningError, match="can be saved"):
        save_model(model, tmp_path)


def test_given_an_interactive_model_then_it_is_a_model(model: Model) -> None:
    learned = remember_story(model, CORRECTED)

    assert isinstance(learned, InteractiveModel) and isinstance(learned, Model)
    assert dataclasses.asdict(learned_stories(learned)[0].events[0])["kind"] == "intent"
