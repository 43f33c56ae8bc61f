from __future__ import annotations

import io
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import RASA_PROJECTS
from training.cli import main
from training.engine.data import StoryEvent, StorySpec
from training.engine.dialogue import PolicyDecision
from training.engine.dialogue.evaluation import evaluate_stories, replay
from training.engine.dialogue.states import ACTION_LISTEN

from .helpers import action, intent

TINY_CONFIG = """language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: DIETClassifier
    epochs: 2
policies:
  - name: AugmentedMemoizationPolicy
  - name: RulePolicy
"""


class Scripted:
    """Answers utter_greet after greet, listens after a bot action, else utter_bye."""

    def __init__(self) -> None:
        self.seen: list[list[StoryEvent]] = []

    def predict_next_action(self, events: Sequence[StoryEvent]) -> PolicyDecision:
        self.seen.append(list(events))
        last = events[-1]
        if last.kind == "action":
            return PolicyDecision(ACTION_LISTEN, 1.0, "Scripted")
        return PolicyDecision("utter_greet" if last.name == "greet" else "utter_bye", 1.0, "S")


def test_given_a_story_when_replayed_then_every_bot_action_is_checked_with_the_true_past() -> None:
    model = Scripted()
    story = [intent("greet"), action("utter_greet"), intent("ask"), action("utter_answer")]

    checks = replay(model, "s", story)

    assert [(c.expected, c.predicted) for c in checks] == [
        ("utter_greet", "utter_greet"),
        (ACTION_LISTEN, ACTION_LISTEN),
        ("utter_answer", "utter_bye"),
    ]
    assert model.seen[-1][-2:] == [action(ACTION_LISTEN), intent("ask")]


def test_given_stories_when_evaluated_then_accuracy_f1_and_the_failed_stories() -> None:
    good = StorySpec("good", (intent("greet"), action("utter_greet")))
    bad = StorySpec("bad", (intent("ask"), action("utter_answer")))

    report = evaluate_stories(Scripted(), [good, bad])

    assert (report["stories"], report["stories_correct"]) == (2, 1)
    assert report["conversation_accuracy"] == 0.5
    assert report["action_accuracy"] == 0.5
    assert report["per_action"]["utter_greet"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 1,
    }
    assert report["per_action"]["utter_bye"]["precision"] == 0.0
    assert report["failed_stories"] == [
        {
            "story": "bad",
            "step": 1,
            "expected": "utter_answer",
            "predicted": "utter_bye",
            "confidence": 1.0,
            "policy": "S",
            "wrong_actions": 1,
        }
    ]


def test_given_an_intent_parser_then_the_user_texts_are_classified_and_checked() -> None:
    hello = StoryEvent("intent", "greet", text="hello\n")
    ask = StoryEvent("intent", "ask", text="what?")
    stories = [
        StorySpec("good", (hello, action("utter_greet"))),
        StorySpec("misheard", (ask, action("utter_bye"))),
    ]

    report = evaluate_stories(Scripted(), stories, parse_intent=lambda text: "greet")

    assert report["conversation_accuracy"] == 1.0  # the dialogue continues with true intents
    nlu = report["nlu"]
    assert (nlu["user_turns"], nlu["intent_accuracy"], nlu["conversation_accuracy"]) == (
        2,
        0.5,
        0.5,
    )
    assert nlu["wrong_intents"] == [
        {"story": "misheard", "step": 0, "text": "what?", "expected": "ask", "predicted": "greet"}
    ]
    assert evaluate_stories(Scripted(), stories)["nlu"] is None


@pytest.mark.parametrize("project", ["moodbot-3.6", "formbot"])
def test_given_a_trained_rasa_project_when_its_test_stories_run_then_they_pass(
    project: str, tmp_path: Path
) -> None:
    source = RASA_PROJECTS / project
    if not (source / "tests").is_dir():
        pytest.skip(f"{source} is not present")
    shutil.copytree(source, tmp_path / project)
    (tmp_path / project / "config.yml").write_text(TINY_CONFIG, encoding="utf-8")
    assert (
        main(
            ["train", str(tmp_path / project), "--out", str(tmp_path / "models")],
            stdout=io.StringIO(),
        )
        == 0
    )
    out = io.StringIO()
    report_path = tmp_path / "report.json"

    code = main(
        [
            "test-stories",
            str(tmp_path / "models"),
            str(tmp_path / project / "tests"),
            "--out",
            str(report_path),
        ],
        stdout=out,
    )

    summary = json.loads(out.getvalue().splitlines()[-1])
    assert code == 0, summary
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert summary["conversation_accuracy"] >= 0.85, report["failed_stories"]
    assert report["action_accuracy"] >= 0.95
    assert report["nlu"]["user_turns"] >= report["stories"]
    assert report["stories"] >= 3 and set(report["policies"]) <= {
        "AugmentedMemoizationPolicy",
        "RulePolicy",
    }


def test_given_a_missing_stories_file_then_exit_2(tmp_path: Path) -> None:
    out = io.StringIO()

    code = main(
        ["test-stories", str(tmp_path), str(tmp_path / "nope.yml"), "--out", "r.json"], stdout=out
    )

    assert code == 2
    assert "nope.yml" in json.loads(out.getvalue().splitlines()[-1])["error"]
