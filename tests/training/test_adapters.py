from __future__ import annotations

from pathlib import Path

import pytest

from annotation.rasa_io import types as t
from annotation.rasa_io.reader import read_files, read_project
from tests.conftest import rasa_project_dirs
from training.adapters import nlu_examples_from_project, training_data_from_project
from training.engine.data import EntitySpan, StoryEvent, TrainingData
from training.engine.graph import build_graph

DOMAIN = b"""\
version: "3.1"
intents:
- greet
- inform
entities:
- city:
    roles: [from, to]
slots:
  city:
    type: categorical
    values: [rome, paris]
    mappings:
    - type: from_entity
      entity: city
  note:
    type: any
    mappings:
    - type: custom
responses:
  utter_greet:
  - text: Hello!
    channel: web
session_config:
  session_expiration_time: 30
"""
NLU = b"""\
version: "3.1"
nlu:
- intent: inform
  examples: |
    - from [Roma]{"entity": "city", "role": "from", "value": "rome"} to [Paris](city)
- synonym: rome
  examples: |
    - Roma
    - Rom
- regex: zipcode
  examples: |
    - \\d{5}
- lookup: city
  examples: |
    - rome
    - paris
"""
STORIES = b"""\
version: "3.1"
stories:
- story: start
  steps:
  - or:
    - intent: greet
    - intent: inform
  - action: utter_greet
  - checkpoint: greeted
- story: go on
  steps:
  - checkpoint: greeted
  - intent: inform
    entities:
    - city: rome
    - entity: city
      value: paris
      role: to
  - slot_was_set:
    - city
  - action: utter_greet
rules:
- rule: greet back
  condition:
  - slot_was_set:
    - city: rome
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_greet
  wait_for_user_input: false
"""
TEST_STORIES = b"""\
version: "3.1"
stories:
- story: a test
  steps:
  - user: hello
    intent: greet
  - action: utter_greet
"""


def small_project() -> TrainingData:
    files = {
        "config.yml": b'version: "3.1"\nlanguage: de\npipeline: []\nassistant_id: bot-1\n',
        "domain.yml": DOMAIN,
        "data/nlu.yml": NLU,
        "data/stories.yml": STORIES,
        "tests/test_stories.yml": TEST_STORIES,
    }
    return training_data_from_project(read_files(files))


def test_given_a_project_when_adapted_then_config_keeps_language_and_extra_keys() -> None:
    data = small_project()

    assert data.config.language == "de"
    assert data.config.pipeline == ()
    assert data.config.extra["assistant_id"] == "bot-1"


def test_given_a_project_when_adapted_then_domain_is_complete() -> None:
    domain = small_project().domain

    assert [intent.name for intent in domain.intents] == ["greet", "inform"]
    assert domain.entities[0].roles == ("from", "to")
    city, note = domain.slots
    assert (city.type, city.values, city.influence_conversation) == (
        "categorical",
        ("rome", "paris"),
        True,
    )
    assert city.mappings == ({"type": "from_entity", "entity": "city"},)
    assert note.influence_conversation is False  # Rasa's default for slots of type any
    assert domain.responses == (("utter_greet", ({"text": "Hello!", "channel": "web"},)),)
    assert domain.session_expiration_time == 30


def test_given_nlu_items_when_adapted_then_spans_synonyms_regexes_and_lookups_come_along() -> None:
    nlu = small_project().nlu

    (example,) = nlu.examples
    assert example.text == "from Roma to Paris"
    assert example.entities == (
        EntitySpan(5, 9, "city", "rome", role="from"),
        EntitySpan(13, 18, "city", "Paris"),
    )
    assert nlu.synonyms == (("Roma", "rome"), ("Rom", "rome"))
    assert nlu.regexes == (("zipcode", ("\\d{5}",)),)
    assert nlu.lookups == (("city", ("rome", "paris")),)


def test_given_stories_rules_and_test_stories_when_adapted_then_test_stories_are_left_out() -> None:
    stories = small_project().stories

    assert [(story.name, story.is_rule) for story in stories] == [
        ("start", False),
        ("go on", False),
        ("greet back", True),
    ]
    start, go_on, rule = stories
    assert start.events[0].kind == "or"
    assert [alt.name for alt in start.events[0].alternatives] == ["greet", "inform"]
    assert start.events[-1] == StoryEvent("checkpoint", "greeted")
    assert go_on.events[1].entities == (
        {"entity": "city", "value": "rome", "role": None, "group": None},
        {"entity": "city", "value": "paris", "role": "to", "group": None},
    )
    assert go_on.events[2] == StoryEvent("slot", "city", value=True)  # "filled", no value
    assert rule.condition == (StoryEvent("slot", "city", value="rome"),)
    assert rule.conversation_start is True
    assert rule.wait_for_user_input is False


def test_given_an_nlu_file_when_examples_are_read_then_they_keep_their_spans() -> None:
    project = read_files({"data/nlu.yml": NLU, "domain.yml": b'version: "3.1"\n'})

    (example,) = nlu_examples_from_project(project)

    assert example.intent == "inform"
    assert len(example.entities) == 2


@pytest.mark.parametrize("project_dir", rasa_project_dirs(), ids=lambda path: path.name)
def test_given_a_real_rasa_project_when_adapted_then_nothing_is_lost(project_dir: Path) -> None:
    project = read_project(project_dir)

    data = training_data_from_project(project)

    blocks = [item for item in project.nlu if isinstance(item, t.IntentBlock)]
    assert len(data.nlu.examples) == sum(len(block.examples) for block in blocks)
    assert len(data.stories) == len([story for story in project.stories if not story.is_test])
    assert [intent.name for intent in data.domain.intents] == [
        intent.name for intent in project.domain.intents
    ]
    assert data.domain.response_names() == tuple(r.name for r in project.domain.responses)
    assert len(data.domain.slots) == len(project.domain.slots)


def test_given_the_response_selector_bot_when_adapted_then_retrieval_intents_are_marked(
    rasa_projects_dir: Path,
) -> None:
    data = training_data_from_project(read_project(rasa_projects_dir / "responseselectorbot"))

    retrieval = [intent.name for intent in data.domain.intents if intent.is_retrieval]
    assert retrieval == ["chitchat"]
    assert any(example.intent.startswith("chitchat/") for example in data.nlu.examples)
    assert "utter_chitchat/ask_name" in data.domain.response_names()


def test_given_moodbot_when_adapted_then_its_graph_builds(rasa_projects_dir: Path) -> None:
    data = training_data_from_project(read_project(rasa_projects_dir / "moodbot-3.6"))

    graph = build_graph(data.config)

    assert graph.pipeline
