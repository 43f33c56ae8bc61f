from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.reader import read_files, read_project
from annotation.rasa_io.types import (
    Comment,
    EntityAnnotation,
    IntentBlock,
    LookupTable,
    MappingCondition,
    Origin,
    Problem,
    Project,
    RegexPattern,
    SlotEvent,
    SlotMapping,
    Synonym,
)
from tests.conftest import rasa_project_dirs

DOMAIN = b'version: "3.1"\nintents:\n- greet\n'


def _read(files: dict[str, str]) -> Project:
    data = {path: textwrap.dedent(text).lstrip("\n").encode() for path, text in files.items()}
    data.setdefault("domain.yml", DOMAIN)
    return read_files(data)


def _problems(files: dict[str, str]) -> list[Problem]:
    with pytest.raises(ProjectError) as caught:
        _read(files)
    return caught.value.problems


def _expected_counts(project_dir: Path) -> dict[str, object]:
    readme = (project_dir / "README.txt").read_text()
    match = re.search(r"Counts \(parsed from the copied files\): (\{.*\})", readme)
    assert match is not None
    return ast.literal_eval(match.group(1))


# ------------------------------------------------------------------------- real projects


@pytest.mark.parametrize("project_dir", rasa_project_dirs(), ids=lambda p: p.name)
def test_given_shared_project_when_read_then_counts_match_its_readme(project_dir: Path) -> None:
    project = read_project(project_dir)
    counts = _expected_counts(project_dir)
    stories = [s for s in project.stories if not s.is_test]
    domain = project.domain
    blocks = [item for item in project.nlu if isinstance(item, IntentBlock)]
    assert len([s for s in stories if s.kind == "story"]) == counts["stories"]
    assert len([s for s in stories if s.kind == "rule"]) == counts["rules"]
    assert sum(len(b.examples) for b in blocks) == counts["nlu_examples"]
    assert len([s for s in project.stories if s.is_test]) == counts.get("test_stories", 0)
    assert len([i for i in project.nlu if isinstance(i, LookupTable)]) == counts.get("lookups", 0)
    assert len(domain.slots) == counts["slots"]
    assert len(domain.forms) == counts["forms"]
    assert len(domain.intents) == counts["intents"]
    assert len(domain.entities) == counts["entities"]
    responses = {r.name for r in domain.responses if r.origin.file == "domain.yml"}
    names = {a.name for a in domain.actions} | responses
    assert len(names) == counts["actions_and_responses"]
    domain_file = next(f for f in project.files if f.kind == "domain")
    assert domain_file.version == counts["domain_version"]
    assert project.config is not None
    for item in [*project.nlu, *project.stories, *domain.intents, *domain.slots]:
        assert item.origin.file and item.origin.line > 0


def test_given_moodbot_36_when_read_then_config_comments_and_origins(
    rasa_projects_dir: Path,
) -> None:
    project = read_project(rasa_projects_dir / "moodbot-3.6")
    config_file = next(f for f in project.files if f.path == "config.yml")
    assert config_file.sections == ("recipe", "assistant_id", "language", "pipeline", "policies")
    comments = {(c.path, c.where): c.lines for c in config_file.comments}
    assert comments[((), "before")] == (
        "# The config recipe.",
        "# https://rasa.com/docs/rasa/model-configuration/",
    )
    assert comments[(("language",), "before")][0] == "# Configuration for Rasa NLU."
    assert comments[(("pipeline",), "after")][-1] == "#     ambiguity_threshold: 0.1"
    assert comments[(("policies",), "before")][0] == "# Configuration for Rasa Core."
    assert comments[(("policies",), "after")][-1] == "#   - name: RulePolicy"
    assert project.config is not None
    assert project.config.recipe == "default.v1"
    assert project.config.assistant_id == "placeholder_default"
    assert project.config.pipeline is None and project.config.policies is None
    assert {a.path for a in project.assets} == {"README.txt"}
    tests = [s for s in project.stories if s.is_test]
    assert len(tests) == 7
    test_file = next(f for f in project.files if f.path == "tests/test_stories.yml")
    assert test_file.kind == "tests"
    assert test_file.comments[0].path == () and test_file.comments[0].where == "before"
    greet = next(i for i in project.nlu if isinstance(i, IntentBlock) and i.intent == "greet")
    assert greet.origin == Origin("data/nlu.yml", 4)
    assert greet.examples[0].origin == Origin("data/nlu.yml", 6)
    assert project.domain.session_config is not None
    assert project.domain.session_config.session_expiration_time == 60


def test_given_rules_domain_when_read_then_form_comments_are_kept(
    rasa_projects_dir: Path,
) -> None:
    project = read_project(rasa_projects_dir / "rules")
    form = project.domain.forms[0]
    assert form.required_slots == ("some_slot",)
    assert form.comments[0].path == ("required_slots", 0)
    assert form.comments[0].lines[0] == "# Slot mappings can be defined in the domain."
    domain_file = next(f for f in project.files if f.path == "domain.yml")
    comments = {(c.path, c.where): c.lines for c in domain_file.comments}
    assert comments[(("actions",), "after")][-1] == "#- validate_loop_q_form"
    assert comments[(("forms",), "after")][-1] == '#   value: "my value"'
    slot = next(s for s in project.domain.slots if s.name == "some_slot")
    assert slot.mappings == (SlotMapping(type="from_entity", entity="some_slot"),)
    rule = project.stories[0]
    assert rule.conversation_start is True
    assert project.domain.session_config is not None
    assert project.domain.session_config.comments == (
        Comment(("session_expiration_time",), "inline", ("# value in minutes",)),
    )


def test_given_formbot_20_when_read_then_form_mappings_move_to_slots(
    rasa_projects_dir: Path,
) -> None:
    project = read_project(rasa_projects_dir / "formbot")
    slots = {s.name: s for s in project.domain.slots}
    loop = MappingCondition(active_loop="restaurant_form")
    assert slots["cuisine"].mappings == (
        SlotMapping(type="from_entity", entity="cuisine", conditions=(loop,)),
    )
    seating = slots["outdoor_seating"].mappings
    assert seating[1] == SlotMapping(
        type="from_intent",
        intent="affirm",
        value=True,
        has_value=True,
        conditions=(MappingCondition("restaurant_form", "outdoor_seating"),),
    )
    assert slots["num_people"].mappings[0].intent == ("inform", "request_restaurant")
    assert slots["requested_slot"].mappings == (SlotMapping(type="custom"),)
    form = project.domain.forms[0]
    assert form.required_slots == (
        "cuisine",
        "num_people",
        "outdoor_seating",
        "preferences",
        "feedback",
    )
    assert form.ignored_intents == ("chitchat",)
    intents = {i.name: i for i in project.domain.intents}
    assert intents["request_restaurant"].use_entities == ()
    assert intents["greet"].use_entities is None


# ------------------------------------------------------------------------------ features


def test_given_nlu_with_all_item_kinds_when_read_then_items_and_lines() -> None:
    project = _read(
        {
            "data/nlu.yml": """
            version: "3.1"
            nlu:
            # about greet
            - intent: greet  # inline
              metadata: {sentiment: neutral}
              examples: |
                - hey [Berlin](city) now

                - [NYC](city:New York City)
            - intent: faq/ask_name
              examples:
              - text: what is your name
                metadata: {a: 1}
            - synonym: New York City
              examples: |
                - NYC
            - regex: account_number
              examples: |
                - \\d{10,12}
            - lookup: city
              examples: |
                - Berlin
            """
        }
    )
    greet, faq, synonym, regex, lookup = project.nlu
    assert isinstance(greet, IntentBlock)
    assert greet.metadata == {"sentiment": "neutral"}
    assert greet.comments == (
        Comment((), "before", ("# about greet",)),
        Comment((), "inline", ("# inline",)),
    )
    assert [e.origin.line for e in greet.examples] == [7, 9]
    assert greet.examples[1].entities == (EntityAnnotation(0, 3, "city", "New York City"),)
    assert isinstance(faq, IntentBlock) and faq.examples_as_list
    assert faq.examples[0].metadata == {"a": 1}
    assert faq.examples[0].origin.line == 12
    assert synonym == Synonym("New York City", ("NYC",), Origin("data/nlu.yml", 14))
    assert isinstance(regex, RegexPattern) and regex.patterns == ("\\d{10,12}",)
    assert isinstance(lookup, LookupTable) and lookup.elements == ("Berlin",)


def test_given_stories_with_every_step_kind_when_read_then_steps() -> None:
    project = _read(
        {
            "data/stories.yml": """
            stories:
            - story: happy
              metadata: {x: 1}
              steps:
              - intent: greet
                entities: [{name: Ada}, city, {entity: city, value: Bonn, role: to}]
              - user: "hi [Ada](name)"
              - action: utter_greet
              - bot: Hello!
              # set it
              - slot_was_set: [{name: Ada}, done]
              - active_loop: f
              - active_loop: null
              - checkpoint: check
              - or: [{intent: affirm}, {intent: thanks}]
            rules:
            - rule: r
              conversation_start: true
              condition: [{active_loop: f}, {slot_was_set: [{a: 1}]}]
              steps: [{intent: greet}, {action: utter_greet}]
              wait_for_user_input: false
            """,
            "tests/test_stories.yml": """
            stories:
            - story: t
              steps:
              - user: hello
                intent: greet
            """,
        }
    )
    story, rule, test = project.stories
    kinds = [s.kind for s in story.steps]
    assert kinds == [
        "intent",
        "user",
        "action",
        "bot",
        "slot_was_set",
        "active_loop",
        "active_loop",
        "checkpoint",
        "or",
    ]
    assert story.metadata == {"x": 1}
    assert story.steps[0].entities[1] == "city"
    assert story.steps[4].slots == (SlotEvent("name", "Ada"), SlotEvent("done", None, False))
    assert story.steps[4].comments == (Comment((), "before", ("# set it",)),)
    assert story.steps[4].origin.line == 11
    assert story.steps[6].name is None
    assert [a.name for a in story.steps[8].alternatives] == ["affirm", "thanks"]
    assert [c.kind for c in rule.condition] == ["active_loop", "slot_was_set"]
    assert rule.conversation_start is True and rule.wait_for_user_input is False
    assert test.is_test and test.steps[0].kind == "intent" and test.steps[0].text == "hello"


def test_given_domain_folder_when_read_then_merged_with_files_and_all_keys() -> None:
    project = _read(
        {
            "domain.yml": "",
            "domain/a.yml": """
            version: "3.1"
            intents:
            - greet
            - inform: {use_entities: [city], ignore_entities: [name]}
            - faq: {is_retrieval_intent: true}
            entities:
            - city
            - name: {roles: [from, to], groups: ["1"], influence_conversation: false}
            config:
              store_entities_as_slots: false
            e2e_actions: ["Hello!"]
            """,
            "domain/b.yml": """
            version: "3.1"
            slots:
              city:
                type: categorical
                values: [bonn, "yes"]
                initial_value: bonn
                influence_conversation: true
                mappings:
                - type: from_entity
                  entity: city
                  conditions: [{active_loop: f, requested_slot: city}]
              size:
                {type: float, min_value: 0, max_value: 1.5, mappings: [{type: custom, action: a}]}
            responses:
              utter_greet:
              - text: "Hi {name}"
                buttons: [{title: yes, payload: /affirm}]
                channel: slack
                metadata: {m: 1}
              - custom: {k: v}
                condition: [{type: slot, name: city, value: bonn}]
            actions:
            - action_x
            - action_y: {send_domain: true}
            forms:
              f:
                required_slots: [city]
                ignored_intents: faq
            session_config:
              session_expiration_time: 60
              carry_over_slots_to_new_session: true
            """,
        }
    )
    domain = project.domain
    assert [i.name for i in domain.intents] == ["greet", "inform", "faq"]
    assert domain.intents[1].use_entities == ("city",)
    assert domain.intents[1].ignore_entities == ("name",)
    assert domain.intents[2].is_retrieval
    assert domain.entities[1].roles == ("from", "to") and domain.entities[1].groups == ("1",)
    assert domain.entities[1].influence_conversation is False
    assert domain.config == {"store_entities_as_slots": False}
    assert domain.e2e_actions == ("Hello!",)
    city, size = domain.slots
    assert city.origin == Origin("domain/b.yml", 3)
    assert city.values == ("bonn", "yes") and city.initial_value == "bonn"
    assert city.mappings[0].conditions == (MappingCondition("f", "city"),)
    assert (size.min_value, size.max_value) == (0, 1.5)
    assert size.mappings[0].action == "a"
    first, second = domain.responses[0].variations
    assert first.text == "Hi {name}" and first.channel == "slack"
    assert first.buttons == ({"title": "yes", "payload": "/affirm"},)
    assert first.extra == {"metadata": {"m": 1}}
    assert second.custom == {"k": "v"} and second.condition is not None
    assert [(a.name, a.send_domain) for a in domain.actions] == [
        ("action_x", None),
        ("action_y", True),
    ]
    assert domain.forms[0].ignored_intents == ("faq",)
    assert domain.session_config is not None
    assert domain.session_config.session_expiration_time == 60


def test_given_config_with_extra_keys_when_read_then_extra_kept() -> None:
    project = _read(
        {
            "config.yml": """
            language: de
            pipeline:
            - name: WhitespaceTokenizer  # tokens
            policies:
            - name: RulePolicy
            importers:
            - name: MultiProjectImporter
            """
        }
    )
    config = project.config
    assert config is not None
    assert config.language == "de"
    assert config.pipeline == ({"name": "WhitespaceTokenizer"},)
    assert config.extra == {"importers": [{"name": "MultiProjectImporter"}]}
    assert config.comments == (Comment(("pipeline", 0), "inline", ("# tokens",)),)


def test_given_other_files_when_read_then_assets_and_skipped_files() -> None:
    project = read_files(
        {
            "domain.yml": DOMAIN,
            "endpoints.yml": b"action_endpoint: {url: x}\n",
            "actions/actions.py": b"print(1)\n",
            "data/lookup.txt": b"a\n",
            ".git/config": b"x",
            "models/m.tar.gz": b"x",
            "actions/__pycache__/a.pyc": b"x",
            ".rasa/cache": b"x",
        }
    )
    assert {a.path for a in project.assets} == {
        "endpoints.yml",
        "actions/actions.py",
        "data/lookup.txt",
    }
    assert [f.path for f in project.files] == [
        "actions/actions.py",
        "data/lookup.txt",
        "domain.yml",
        "endpoints.yml",
    ]


# ---------------------------------------------------------------------------- bad inputs


def _one(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert found, problems
    return found[0]


def test_given_wrong_types_when_read_then_problems_with_lines() -> None:
    problems = _problems(
        {
            "domain.yml": 'version: "3.1"\nintents: 5\n',
            "data/nlu.yml": "nlu:\n- intent: greet\n  examples: 3\n",
        }
    )
    located = {(p.file, p.line) for p in problems if p.code == "wrong_type"}
    assert located == {("domain.yml", 2), ("data/nlu.yml", 3)}


def test_given_unknown_keys_when_read_then_suggestions() -> None:
    problems = _problems(
        {
            "domain.yml": 'version: "3.1"\nintens:\n- greet\nslots:\n  a:\n    type: text\n'
            "    mapings: []\n",
            "data/stories.yml": "stories:\n- story: s\n  steps:\n  - acton: x\n",
        }
    )
    intens = next(p for p in problems if "intens" in p.message)
    assert (intens.file, intens.line, intens.suggestion) == ("domain.yml", 2, "intents")
    assert "did you mean 'intents'" in intens.message
    mapings = next(p for p in problems if "mapings" in p.message)
    assert (mapings.line, mapings.suggestion) == (7, "mappings")
    acton = next(p for p in problems if p.file == "data/stories.yml")
    assert (acton.line, acton.suggestion) == (4, "action")


def test_given_unknown_data_section_when_read_then_error() -> None:
    problem = _problems({"data/x.yml": "nlu: []\nstorys: []\n"})[0]
    assert (problem.file, problem.line, problem.suggestion) == ("data/x.yml", 2, "stories")


def test_given_markup_error_when_read_then_line_of_the_example() -> None:
    problems = _problems(
        {"data/nlu.yml": "nlu:\n- intent: greet\n  examples: |\n    - ok\n    - [x](city\n"}
    )
    problem = _one(problems, "entity_markup")
    assert (problem.file, problem.line) == ("data/nlu.yml", 5)


@pytest.mark.parametrize(
    ("domain", "line", "other"),
    [
        ("intents:\n- greet\n- bye\n- greet\n", 4, "line 2"),
        ("entities:\n- a\n- a\n", 3, "line 2"),
        ("forms:\n  f: {required_slots: []}\n  f: {required_slots: []}\n", 3, "line 2"),
        ("actions:\n- a\n- a\n", 3, "line 2"),
    ],
)
def test_given_name_defined_twice_when_read_then_both_lines(
    domain: str, line: int, other: str
) -> None:
    problems = _problems({"domain.yml": domain})
    assert problems[0].line == line
    assert other in problems[0].message


def test_given_response_in_domain_and_data_when_read_then_duplicate_across_files() -> None:
    problems = _problems(
        {
            "domain.yml": "responses:\n  utter_a:\n  - text: a\n",
            "data/nlu.yml": "responses:\n  utter_a:\n  - text: b\n",
        }
    )
    problem = _one(problems, "duplicate_definition")
    assert "domain.yml:2" in problem.message or "data/nlu.yml:2" in problem.message


def test_given_slot_in_two_domain_files_when_read_then_duplicate() -> None:
    problems = _problems(
        {
            "domain.yml": "slots:\n  a: {type: text}\n",
            "domain/more.yml": "slots:\n  b: {type: text}\n  a: {type: text}\n",
        }
    )
    problem = _one(problems, "duplicate_definition")
    assert (problem.line, problem.file) in {(3, "domain/more.yml"), (2, "domain.yml")}


def test_given_several_bad_files_when_read_then_all_problems_reported() -> None:
    problems = _problems(
        {
            "domain.yml": 'version: "3.1"\nintents: [a\n',
            "data/nlu.yml": b"nlu: caf\xe9".decode("latin-1"),
            "data/rules.yml": "rules:\n- rule: r\n  steps:\n  - intent: a\n    bogus: 1\n",
        }
    )
    files = {p.file for p in problems}
    assert files == {"domain.yml", "data/nlu.yml", "data/rules.yml"}


def test_given_non_utf8_file_when_read_then_problem() -> None:
    with pytest.raises(ProjectError) as caught:
        read_files({"domain.yml": DOMAIN, "data/nlu.yml": b"nlu:\n- intent: caf\xe9\n"})
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.code) == ("data/nlu.yml", 2, "not_utf8")


def test_given_alias_bomb_when_read_then_problem() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for n in range(1, 8):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1 if n > 1 else ''}"] * 10) + "]")
    text = "\n".join(lines).replace("*a0", "*a") + "\n"
    with pytest.raises(ProjectError) as caught:
        read_files({"domain.yml": text.encode()})
    assert caught.value.problems[0].code == "yaml_alias_bomb"


def test_given_no_domain_when_read_then_missing_domain() -> None:
    with pytest.raises(ProjectError) as caught:
        read_files({"config.yml": b"language: en\n"})
    assert caught.value.problems[0].code == "missing_domain"


def test_given_unsupported_version_when_read_then_problem() -> None:
    problem = _problems({"domain.yml": 'version: "1.0"\nintents: [a]\n'})[0]
    assert (problem.code, problem.line) == ("format_version", 1)


def test_given_typo_in_config_when_read_then_suggestion() -> None:
    problem = _problems({"config.yml": "language: en\npipline: []\n"})[0]
    assert (problem.file, problem.line, problem.suggestion) == ("config.yml", 2, "pipeline")


def test_given_big_nlu_file_when_read_then_every_example_is_there() -> None:
    # speed is measured by `make bench` (bench/import_bench.py), not asserted here
    lines = ['version: "3.1"', "nlu:"]
    for i in range(1000):
        lines += [f"- intent: intent_{i}", "  examples: |"]
        lines += [f"    - example {j} in [Berlin](city) # {i}" for j in range(100)]
    data = "\n".join(lines).encode()
    project = read_files({"domain.yml": DOMAIN, "data/nlu.yml": data})
    assert sum(len(b.examples) for b in project.nlu if isinstance(b, IntentBlock)) == 100_000
