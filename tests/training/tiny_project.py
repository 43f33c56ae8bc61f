"""A tiny Rasa project (3 intents, 1 entity, 1 story) for end-to-end training tests."""

from __future__ import annotations

from pathlib import Path

CONFIG = """\
version: "3.1"
language: en
pipeline:
- name: WhitespaceTokenizer
- name: CountVectorsFeaturizer
- name: DIETClassifier
  epochs: 3
- name: EntitySynonymMapper
policies:
- name: MemoizationPolicy
"""

DOMAIN = """\
version: "3.1"
intents:
- greet
- goodbye
- inform
entities:
- city
slots:
  city:
    type: text
    mappings:
    - type: from_entity
      entity: city
responses:
  utter_greet:
  - text: "Hello!"
  utter_goodbye:
  - text: "Bye!"
  utter_ok:
  - text: "Noted."
"""

NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - hey
    - good morning
- intent: goodbye
  examples: |
    - bye
    - goodbye
    - see you later
    - bye bye
- intent: inform
  examples: |
    - I live in [Berlin](city)
    - I am in [Paris](city)
    - from [London](city)
    - [Rome](city) please
"""

STORIES = """\
version: "3.1"
stories:
- story: greet and inform
  steps:
  - intent: greet
  - action: utter_greet
  - intent: inform
    entities:
    - city: Berlin
  - slot_was_set:
    - city: Berlin
  - action: utter_ok
  - intent: goodbye
  - action: utter_goodbye
"""

NEW_INTENT = """\
- intent: thank
  examples: |
    - thanks
    - thank you
"""


def write_tiny_project(root: Path) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "config.yml").write_text(CONFIG)
    (root / "domain.yml").write_text(DOMAIN)
    (root / "data" / "nlu.yml").write_text(NLU)
    (root / "data" / "stories.yml").write_text(STORIES)
    return root


def add_intent(root: Path) -> None:
    """Add the intent ``thank`` (domain and examples): a change fine-tuning must refuse."""
    (root / "data" / "nlu.yml").write_text(NLU + NEW_INTENT)
    (root / "domain.yml").write_text(DOMAIN.replace("- inform\n", "- inform\n- thank\n", 1))
