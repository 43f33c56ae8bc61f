from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.reader import read_files
from annotation.rasa_io.types import (
    ActionDef,
    Asset,
    Comment,
    Domain,
    EntityAnnotation,
    EntityDef,
    Example,
    FormDef,
    IntentBlock,
    IntentDef,
    LookupTable,
    MappingCondition,
    Origin,
    Project,
    ProjectFileInfo,
    RegexPattern,
    ResponseDef,
    ResponseVariation,
    SessionConfig,
    SlotDef,
    SlotEvent,
    SlotMapping,
    Story,
    StoryStep,
    Synonym,
    TrainingConfig,
)
from annotation.rasa_io.writer import render_project, write_project
from tests.annotation.rasa_io.compare import strip_lines


def _text(files: dict[str, bytes], path: str) -> str:
    return files[path].decode("utf-8")


def _load(files: dict[str, bytes], path: str) -> Any:
    return yaml.safe_load(files[path])


# ------------------------------------------------------------------------------ a full project

DOMAIN = "domain.yml"
NLU = "data/nlu.yml"
STORIES = "data/stories.yml"
RULES = "data/rules.yml"
TESTS = "tests/test_stories.yml"


def _full_project() -> Project:
    """Every item kind, with comments, as the reader would produce it for 3.1 files."""
    files = (
        ProjectFileInfo(
            "config.yml",
            "config",
            None,
            ("recipe", "language", "pipeline", "policies", "assistant_id", "importers"),
            (Comment(("policies",), "before", ("# policies",)),),
        ),
        ProjectFileInfo(NLU, "data", "3.1", ("version", "nlu", "responses")),
        ProjectFileInfo(RULES, "data", "3.1", ("version", "rules")),
        ProjectFileInfo(STORIES, "data", "3.1", ("version", "stories")),
        ProjectFileInfo(
            DOMAIN,
            "domain",
            "3.1",
            (
                "version",
                "intents",
                "entities",
                "slots",
                "responses",
                "actions",
                "forms",
                "e2e_actions",
                "session_config",
                "config",
            ),
            (
                Comment((), "before", ("# the domain",)),
                Comment(("slots",), "before", ("# slots below",)),
                Comment(("forms",), "after", ("# after the forms",)),
            ),
        ),
        ProjectFileInfo("endpoints.yml", "asset"),
        ProjectFileInfo(TESTS, "tests", "3.1", ("version", "stories")),
    )
    config = TrainingConfig(
        recipe="default.v1",
        language="en",
        pipeline=({"name": "WhitespaceTokenizer"}, {"name": "DIETClassifier", "epochs": 100}),
        policies=({"name": "RulePolicy", "core_fallback_threshold": 0.3},),
        assistant_id="my-bot",
        extra={"importers": [{"name": "MultiProjectImporter"}]},
        origin=Origin("config.yml", 1),
        comments=(Comment(("pipeline", 1, "epochs"), "inline", ("# more is slower",)),),
    )
    domain = Domain(
        intents=(
            IntentDef(
                "greet", origin=Origin(DOMAIN, 3), comments=(Comment((), "inline", ("# hi",)),)
            ),
            IntentDef(
                "inform",
                use_entities=("city",),
                ignore_entities=("name",),
                origin=Origin(DOMAIN, 4),
            ),
            IntentDef("chitchat", use_entities=(), origin=Origin(DOMAIN, 5)),
            IntentDef("faq", is_retrieval=True, origin=Origin(DOMAIN, 6)),
        ),
        entities=(
            EntityDef("city", roles=("from", "to"), groups=("1",), origin=Origin(DOMAIN, 10)),
            EntityDef("name", influence_conversation=False, origin=Origin(DOMAIN, 11)),
            EntityDef("plain", origin=Origin(DOMAIN, 12)),
        ),
        slots=(
            SlotDef(
                "city",
                "text",
                influence_conversation=True,
                initial_value="Berlin",
                mappings=(
                    SlotMapping(
                        "from_entity",
                        entity="city",
                        role="to",
                        intent=("inform", "greet"),
                        not_intent="chitchat",
                        conditions=(MappingCondition("trip_form", "city"),),
                    ),
                ),
                origin=Origin(DOMAIN, 15),
                comments=(Comment(("mappings", 0, "entity"), "inline", ("# the entity",)),),
            ),
            SlotDef(
                "size",
                "categorical",
                values=("small", "yes", "1.0"),
                mappings=(SlotMapping("from_intent", intent="affirm", value=None, has_value=True),),
                origin=Origin(DOMAIN, 20),
            ),
            SlotDef(
                "score",
                "float",
                min_value=0.0,
                max_value=1.5,
                mappings=(SlotMapping("custom", action="action_score"),),
                origin=Origin(DOMAIN, 25),
            ),
            SlotDef("mood", "any", mappings=(SlotMapping("from_text"),), origin=Origin(DOMAIN, 30)),
        ),
        responses=(
            ResponseDef(
                "utter_faq/ask_name", (ResponseVariation(text="I'm a bot"),), origin=Origin(NLU, 30)
            ),
            ResponseDef(
                "utter_greet",
                (
                    ResponseVariation(
                        text="Hey {name}!",
                        buttons=({"title": "yes", "payload": "/affirm"},),
                        image="https://example.com/a.png",
                        condition=({"type": "slot", "name": "logged_in", "value": True},),
                        channel="slack",
                        extra={"quick_replies": [{"title": "ok"}], "metadata": {"rephrase": True}},
                        comments=(Comment((), "inline", ("# say hi",)),),
                    ),
                    ResponseVariation(text="Line one\nline two\n"),
                    ResponseVariation(custom={"blocks": [{"type": "section"}]}),
                ),
                origin=Origin(DOMAIN, 35),
                comments=(Comment((), "before", ("# greeting",)),),
            ),
            ResponseDef("utter_yes", (ResponseVariation(text="yes"),), origin=Origin(DOMAIN, 45)),
        ),
        actions=(
            ActionDef("action_score", origin=Origin(DOMAIN, 50)),
            ActionDef("action_send", send_domain=True, origin=Origin(DOMAIN, 51)),
        ),
        forms=(
            FormDef(
                "trip_form",
                required_slots=("city", "size"),
                ignored_intents=("chitchat",),
                origin=Origin(DOMAIN, 55),
                comments=(Comment(("required_slots", 1), "before", ("# then the size",)),),
            ),
        ),
        session_config=SessionConfig(60.0, True, origin=Origin(DOMAIN, 60)),
        config={"store_entities_as_slots": False},
        e2e_actions=("Hello there!",),
    )
    nlu = (
        IntentBlock(
            "greet",
            (Example("hi"), Example("hello there"), Example("yes"), Example("#tag: x")),
            origin=Origin(NLU, 3),
            comments=(Comment((), "before", ("# greetings",)),),
        ),
        IntentBlock(
            "inform",
            (
                Example(
                    "fly from Berlin to LA",
                    (
                        EntityAnnotation(9, 15, "city", "Berlin", role="from"),
                        EntityAnnotation(19, 21, "city", "Los Angeles", role="to", group="1"),
                    ),
                ),
                Example("in Köln", (EntityAnnotation(3, 7, "city", "Köln"),)),
            ),
            metadata={"sentiment": "neutral"},
            origin=Origin(NLU, 10),
        ),
        IntentBlock(
            "faq/ask_name",
            (Example("who are you?", metadata={"source": "ui"}), Example("your name")),
            examples_as_list=True,
            origin=Origin(NLU, 20),
        ),
        Synonym("Los Angeles", ("LA", "L.A."), origin=Origin(NLU, 40)),
        RegexPattern("zip", (r"\d{5}", "[0-9]+: x"), origin=Origin(NLU, 44)),
        LookupTable("city", ("Berlin", "Köln"), origin=Origin(NLU, 48)),
    )
    stories = (
        Story(
            "rule",
            "a rule",
            (StoryStep("intent", "greet"), StoryStep("action", "utter_greet")),
            condition=(
                StoryStep("active_loop", "trip_form"),
                StoryStep("slot_was_set", slots=(SlotEvent("city", "Berlin"),)),
            ),
            conversation_start=True,
            wait_for_user_input=False,
            origin=Origin(RULES, 3),
            comments=(Comment(("wait_for_user_input",), "before", ("# do not wait",)),),
        ),
        Story(
            "story",
            "every step",
            (
                StoryStep(
                    "intent",
                    "inform",
                    entities=({"city": "Berlin"}, {"entity": "city", "value": "LA", "role": "to"}),
                ),
                StoryStep(
                    "action",
                    "action_score",
                    comments=(
                        Comment((), "before", ("# then act",)),
                        Comment((), "inline", ("# scored",)),
                    ),
                ),
                StoryStep(
                    "slot_was_set",
                    slots=(
                        SlotEvent("city", "Berlin"),
                        SlotEvent("size", None),
                        SlotEvent("mood", has_value=False),
                    ),
                ),
                StoryStep("active_loop", "trip_form"),
                StoryStep("active_loop", None),
                StoryStep("checkpoint", "check_1"),
                StoryStep(
                    "or", alternatives=(StoryStep("intent", "greet"), StoryStep("intent", "faq"))
                ),
                StoryStep("user", text="I can always go for [sushi](food)"),
                StoryStep("bot", text="Here you go: sushi"),
                StoryStep(
                    "slot_was_set",
                    slots=(SlotEvent("venues", [{"name": "Big Arena", "reviews": 4.5}]),),
                ),
                StoryStep("action", "utter_greet", metadata={"source": "x"}),
            ),
            metadata={"author": "me"},
            origin=Origin(STORIES, 3),
        ),
        Story(
            "story",
            "a test",
            (
                StoryStep("intent", "greet", text="hi\n"),
                StoryStep("action", "utter_greet"),
                StoryStep("intent", "inform", text="to [Berlin](city)"),
            ),
            is_test=True,
            origin=Origin(TESTS, 3),
        ),
    )
    project = Project(
        files=files,
        config=config,
        domain=domain,
        nlu=nlu,
        stories=stories,
        assets=(Asset("endpoints.yml", b"action_endpoint:\n  url: http://x  # keep\n"),),
    )
    return _with_owner_files(project)


def _with_owner_files(project: Project) -> Project:
    """Examples and steps carry their owner's file, as the reader gives them."""

    def step(value: StoryStep, file: str) -> StoryStep:
        alternatives = tuple(step(a, file) for a in value.alternatives)
        return dataclasses.replace(value, origin=Origin(file), alternatives=alternatives)

    nlu = tuple(
        dataclasses.replace(
            item,
            examples=tuple(
                dataclasses.replace(e, origin=Origin(item.origin.file)) for e in item.examples
            ),
        )
        if isinstance(item, IntentBlock)
        else item
        for item in project.nlu
    )
    stories = tuple(
        dataclasses.replace(
            story,
            steps=tuple(step(s, story.origin.file) for s in story.steps),
            condition=tuple(step(s, story.origin.file) for s in story.condition),
        )
        for story in project.stories
    )
    return dataclasses.replace(project, nlu=nlu, stories=stories)


def test_given_full_project_when_rendered_then_files_keep_project_order() -> None:
    files = render_project(_full_project())

    assert list(files) == ["config.yml", NLU, RULES, STORIES, DOMAIN, "endpoints.yml", TESTS]


def test_given_full_project_when_rendered_and_read_again_then_content_is_identical() -> None:
    project = _full_project()

    again = read_files(render_project(project))

    assert strip_lines(again) == strip_lines(project)


def test_given_full_project_when_rendered_twice_then_bytes_are_identical() -> None:
    first = render_project(_full_project())

    assert render_project(read_files(first)) == first
    assert render_project(_full_project()) == first


def test_given_asset_when_rendered_then_bytes_are_unchanged() -> None:
    files = render_project(_full_project())

    assert files["endpoints.yml"] == b"action_endpoint:\n  url: http://x  # keep\n"


def test_given_yaml_files_when_rendered_then_version_31_comes_first() -> None:
    files = render_project(_full_project())

    for path in (NLU, STORIES, RULES, TESTS):
        assert _text(files, path).startswith('version: "3.1"\n')
    assert _text(files, DOMAIN).startswith('# the domain\nversion: "3.1"\n')
    assert "version" not in _load(files, "config.yml")


def test_given_config_when_rendered_then_sections_in_order_with_comments() -> None:
    text = _text(render_project(_full_project()), "config.yml")

    assert text == (
        "recipe: default.v1\n"
        "\n"
        "language: en\n"
        "\n"
        "pipeline:\n"
        "- name: WhitespaceTokenizer\n"
        "- name: DIETClassifier\n"
        "  epochs: 100  # more is slower\n"
        "\n"
        "# policies\n"
        "policies:\n"
        "- name: RulePolicy\n"
        "  core_fallback_threshold: 0.3\n"
        "\n"
        "assistant_id: my-bot\n"
        "\n"
        "importers:\n"
        "- name: MultiProjectImporter\n"
    )


def test_given_domain_when_rendered_then_every_kind_is_written_in_31_form() -> None:
    domain = _load(render_project(_full_project()), DOMAIN)

    assert list(domain) == [
        "version",
        "intents",
        "entities",
        "slots",
        "responses",
        "actions",
        "forms",
        "e2e_actions",
        "session_config",
        "config",
    ]
    assert domain["intents"] == [
        "greet",
        {"inform": {"use_entities": ["city"], "ignore_entities": ["name"]}},
        {"chitchat": {"use_entities": []}},
        {"faq": {"is_retrieval_intent": True}},
    ]
    assert domain["entities"] == [
        {"city": {"roles": ["from", "to"], "groups": ["1"]}},
        {"name": {"influence_conversation": False}},
        "plain",
    ]
    assert domain["slots"]["city"] == {
        "type": "text",
        "influence_conversation": True,
        "initial_value": "Berlin",
        "mappings": [
            {
                "type": "from_entity",
                "entity": "city",
                "role": "to",
                "intent": ["inform", "greet"],
                "not_intent": "chitchat",
                "conditions": [{"active_loop": "trip_form", "requested_slot": "city"}],
            }
        ],
    }
    assert domain["slots"]["size"]["values"] == ["small", "yes", "1.0"]
    assert domain["slots"]["size"]["mappings"] == [
        {"type": "from_intent", "intent": "affirm", "value": None}
    ]
    assert domain["slots"]["score"] == {
        "type": "float",
        "min_value": 0,
        "max_value": 1.5,
        "mappings": [{"type": "custom", "action": "action_score"}],
    }
    assert domain["responses"]["utter_greet"][0] == {
        "text": "Hey {name}!",
        "image": "https://example.com/a.png",
        "buttons": [{"title": "yes", "payload": "/affirm"}],
        "channel": "slack",
        "condition": [{"type": "slot", "name": "logged_in", "value": True}],
        "quick_replies": [{"title": "ok"}],
        "metadata": {"rephrase": True},
    }
    assert domain["responses"]["utter_greet"][1] == {"text": "Line one\nline two\n"}
    assert "utter_faq/ask_name" not in domain["responses"]
    assert domain["actions"] == ["action_score", {"action_send": {"send_domain": True}}]
    assert domain["forms"] == {
        "trip_form": {"required_slots": ["city", "size"], "ignored_intents": ["chitchat"]}
    }
    assert domain["e2e_actions"] == ["Hello there!"]
    assert domain["session_config"] == {
        "session_expiration_time": 60,
        "carry_over_slots_to_new_session": True,
    }
    assert domain["config"] == {"store_entities_as_slots": False}


def test_given_domain_comments_when_rendered_then_they_sit_where_they_were() -> None:
    text = _text(render_project(_full_project()), DOMAIN)

    assert "- greet  # hi\n" in text
    assert "\n# slots below\nslots:\n" in text
    assert "    entity: city  # the entity\n" in text
    assert "  # greeting\n  utter_greet:\n" in text
    assert "  - text: Hey {name}!  # say hi\n" in text
    assert "    - city\n    # then the size\n    - size\n" in text
    assert "    - chitchat\n# after the forms\n\ne2e_actions:\n" in text


def test_given_nlu_items_when_rendered_then_blocks_use_markup_and_blank_lines() -> None:
    text = _text(render_project(_full_project()), NLU)

    assert text.startswith(
        'version: "3.1"\n'
        "\n"
        "nlu:\n"
        "# greetings\n"
        "- intent: greet\n"
        "  examples: |\n"
        "    - hi\n"
        "    - hello there\n"
        "    - yes\n"
        "    - #tag: x\n"
        "\n"
        "- intent: inform\n"
        "  metadata:\n"
        "    sentiment: neutral\n"
        "  examples: |\n"
        '    - fly from [Berlin]{"entity": "city", "role": "from"} to '
        '[LA]{"entity": "city", "value": "Los Angeles", "role": "to", "group": "1"}\n'
        "    - in [Köln](city)\n"
        "\n"
        "- intent: faq/ask_name\n"
        "  examples:\n"
        "  - text: who are you?\n"
        "    metadata:\n"
        "      source: ui\n"
        "  - text: your name\n"
        "\n"
        "- synonym: Los Angeles\n"
        "  examples: |\n"
        "    - LA\n"
        "    - L.A.\n"
        "\n"
        "- regex: zip\n"
        "  examples: |\n"
        "    - \\d{5}\n"
        "    - [0-9]+: x\n"
        "\n"
        "- lookup: city\n"
        "  examples: |\n"
        "    - Berlin\n"
        "    - Köln\n"
        "\n"
        "responses:\n"
        "  utter_faq/ask_name:\n"
        "  - text: I'm a bot\n"
    )


def test_given_example_with_metadata_or_line_break_when_rendered_then_list_form_is_used() -> None:
    block = IntentBlock(
        "greet",
        (Example("hi"), Example("two\nlines"), Example(" padded ")),
        origin=Origin(NLU, 1),
    )
    project = Project(files=(ProjectFileInfo(NLU, "data", "3.1", ("nlu",)),), nlu=(block,))

    data = _load(render_project(project), NLU)

    assert data["nlu"][0]["examples"] == [
        {"text": "hi"},
        {"text": "two\nlines"},
        {"text": " padded "},
    ]


def test_given_example_that_cannot_be_markup_when_rendered_then_project_error() -> None:
    bad = Example("see [x](y) here")  # plain text that would read back as an entity
    project = Project(nlu=(IntentBlock("greet", (bad,), origin=Origin(NLU, 4)),))

    with pytest.raises(ProjectError) as caught:
        render_project(project)

    assert caught.value.problems[0].code == "unwritable_example"
    assert caught.value.problems[0].file == NLU


def test_given_stories_when_rendered_then_every_step_kind_is_written() -> None:
    files = render_project(_full_project())

    story = _load(files, STORIES)["stories"][0]
    assert story == {
        "story": "every step",
        "metadata": {"author": "me"},
        "steps": [
            {
                "intent": "inform",
                "entities": [{"city": "Berlin"}, {"entity": "city", "value": "LA", "role": "to"}],
            },
            {"action": "action_score"},
            {"slot_was_set": [{"city": "Berlin"}, {"size": None}, "mood"]},
            {"active_loop": "trip_form"},
            {"active_loop": None},
            {"checkpoint": "check_1"},
            {"or": [{"intent": "greet"}, {"intent": "faq"}]},
            {"user": "I can always go for [sushi](food)"},
            {"bot": "Here you go: sushi"},
            {"slot_was_set": [{"venues": [{"name": "Big Arena", "reviews": 4.5}]}]},
            {"action": "utter_greet", "metadata": {"source": "x"}},
        ],
    }
    text = _text(files, STORIES)
    assert "  # then act\n  - action: action_score  # scored\n" in text
    assert "    - venues: [{name: Big Arena, reviews: 4.5}]\n" in text
    assert "  - active_loop: null\n" in text


def test_given_rule_when_rendered_then_condition_and_flags_are_written() -> None:
    files = render_project(_full_project())

    assert _text(files, RULES) == (
        'version: "3.1"\n'
        "\n"
        "rules:\n"
        "- rule: a rule\n"
        "  conversation_start: true\n"
        "  condition:\n"
        "  - active_loop: trip_form\n"
        "  - slot_was_set:\n"
        "    - city: Berlin\n"
        "  steps:\n"
        "  - intent: greet\n"
        "  - action: utter_greet\n"
        "  # do not wait\n"
        "  wait_for_user_input: false\n"
    )


def test_given_test_story_when_rendered_then_user_text_comes_with_intent() -> None:
    text = _text(render_project(_full_project()), TESTS)

    assert text == (
        'version: "3.1"\n'
        "\n"
        "stories:\n"
        "- story: a test\n"
        "  steps:\n"
        "  - user: |\n"
        "      hi\n"
        "    intent: greet\n"
        "  - action: utter_greet\n"
        "  - user: to [Berlin](city)\n"
        "    intent: inform\n"
    )


# --------------------------------------------------------------------------- default files


def _ui_project() -> Project:
    """Items made in the UI: no files, no origins."""
    return Project(
        config=TrainingConfig(language="en", pipeline=({"name": "WhitespaceTokenizer"},)),
        domain=Domain(
            intents=(IntentDef("greet"),),
            responses=(ResponseDef("utter_greet", (ResponseVariation(text="Hi"),)),),
            session_config=SessionConfig(60, True),
        ),
        nlu=(IntentBlock("greet", (Example("hi"),)),),
        stories=(
            Story("story", "s", (StoryStep("intent", "greet"), StoryStep("action", "utter_greet"))),
            Story("rule", "r", (StoryStep("intent", "greet"), StoryStep("action", "utter_greet"))),
            Story("story", "t", (StoryStep("intent", "greet", text="hi"),), is_test=True),
        ),
    )


def test_given_items_without_origin_when_rendered_then_default_files_are_created() -> None:
    files = render_project(_ui_project())

    assert list(files) == ["config.yml", DOMAIN, NLU, STORIES, RULES, TESTS]
    assert _text(files, "config.yml") == (
        "language: en\n\npipeline:\n- name: WhitespaceTokenizer\n"
    )
    assert _text(files, DOMAIN) == (
        'version: "3.1"\n'
        "\n"
        "intents:\n"
        "- greet\n"
        "\n"
        "responses:\n"
        "  utter_greet:\n"
        "  - text: Hi\n"
        "\n"
        "session_config:\n"
        "  session_expiration_time: 60\n"
        "  carry_over_slots_to_new_session: true\n"
    )
    assert _load(files, NLU) == {
        "version": "3.1",
        "nlu": [{"intent": "greet", "examples": "- hi\n"}],
    }
    assert _load(files, STORIES)["stories"][0]["story"] == "s"
    assert _load(files, RULES)["rules"][0]["rule"] == "r"
    assert _load(files, TESTS)["stories"][0]["steps"] == [{"user": "hi", "intent": "greet"}]


def test_given_new_item_without_origin_when_rendered_then_it_joins_default_file_in_order() -> None:
    project = _full_project()
    added = IntentBlock("goodbye", (Example("bye"),))
    project = dataclasses.replace(project, nlu=(added, *project.nlu))

    data = _load(render_project(project), NLU)

    assert [item.get("intent") for item in data["nlu"]][:2] == ["goodbye", "greet"]


def test_given_domain_folder_when_item_has_no_origin_then_first_domain_file_gets_it() -> None:
    files = (
        ProjectFileInfo("domain/a.yml", "domain", "3.1", ("version", "intents")),
        ProjectFileInfo("domain/b.yml", "domain", "3.1", ("version", "intents")),
    )
    domain = Domain(
        intents=(
            IntentDef("b_intent", origin=Origin("domain/b.yml", 3)),
            IntentDef("a_intent", origin=Origin("domain/a.yml", 3)),
            IntentDef("new"),
        )
    )

    rendered = render_project(Project(files=files, domain=domain))

    assert list(rendered) == ["domain/a.yml", "domain/b.yml"]
    assert _load(rendered, "domain/a.yml")["intents"] == ["a_intent", "new"]
    assert _load(rendered, "domain/b.yml")["intents"] == ["b_intent"]


def test_given_section_emptied_when_rendered_then_section_is_kept_empty() -> None:
    files = (ProjectFileInfo(NLU, "data", "3.1", ("version", "nlu", "responses")),)

    data = _load(render_project(Project(files=files)), NLU)

    assert data == {"version": "3.1", "nlu": [], "responses": {}}


# ----------------------------------------------------------------------------- write_project


def test_given_out_dir_when_written_then_files_are_on_disk(tmp_path: Path) -> None:
    project = _full_project()

    written = write_project(project, tmp_path)

    rendered = render_project(project)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(rendered)
    for path in written:
        assert path.read_bytes() == rendered[path.relative_to(tmp_path).as_posix()]


@pytest.mark.parametrize("path", ["../evil.yml", "/etc/x.yml", "data/../../x.yml"])
def test_given_unsafe_path_when_written_then_refused(tmp_path: Path, path: str) -> None:
    project = Project(assets=(Asset(path, b"x"),))

    with pytest.raises(ProjectError):
        write_project(project, tmp_path / "out")

    assert not (tmp_path / "evil.yml").exists()


def test_given_quoting_edge_cases_when_rendered_then_texts_read_back_unchanged() -> None:
    texts = ["yes", "null", "1.0", "#tag", ": x", "  leading", "trailing  ", "ünïcödé 😀", "a\nb"]
    responses = tuple(
        ResponseDef(f"utter_{i}", (ResponseVariation(text=t),), origin=Origin(DOMAIN, i + 1))
        for i, t in enumerate(texts)
    )
    project = Project(
        files=(ProjectFileInfo(DOMAIN, "domain", "3.1", ("version", "responses")),),
        domain=Domain(responses=responses),
    )

    data = _load(render_project(project), DOMAIN)

    assert [data["responses"][f"utter_{i}"][0]["text"] for i in range(len(texts))] == texts


def test_given_item_whose_origin_file_is_of_another_kind_when_rendered_then_default_file() -> None:
    files = (
        ProjectFileInfo(DOMAIN, "domain", "3.1", ("version", "intents")),
        ProjectFileInfo(NLU, "data", "3.1", ("version", "nlu", "responses")),
    )
    domain = Domain(
        intents=(IntentDef("greet", origin=Origin(NLU, 3)),),
        responses=(ResponseDef("utter_x", (ResponseVariation(text="x"),), origin=Origin(NLU, 9)),),
    )
    stories = (Story("story", "s", (), origin=Origin(DOMAIN, 2)),)

    rendered = render_project(Project(files=files, domain=domain, stories=stories))

    assert _load(rendered, DOMAIN) == {"version": "3.1", "intents": ["greet"]}
    assert _load(rendered, NLU)["responses"] == {"utter_x": [{"text": "x"}]}
    assert _load(rendered, STORIES)["stories"] == [{"story": "s", "steps": []}]


def test_given_comment_text_without_hash_when_rendered_then_it_still_is_a_comment() -> None:
    project = Project(
        files=(ProjectFileInfo(DOMAIN, "domain", "3.1", ("version", "intents")),),
        domain=Domain(
            intents=(
                IntentDef(
                    "greet", origin=Origin(DOMAIN, 2), comments=(Comment((), "before", ("x",)),)
                ),
            )
        ),
    )

    text = _text(render_project(project), DOMAIN)

    assert "# x\n- greet\n" in text
    assert yaml.safe_load(text) == {"version": "3.1", "intents": ["greet"]}


@pytest.mark.parametrize("text", ["nbsp\u00a0", "\u2003em space", "tab\t", "bell\x07", "nel\x85x"])
def test_given_example_a_block_line_would_change_when_rendered_then_list_form_keeps_it(
    text: str,
) -> None:
    block = IntentBlock("greet", (Example(text),), origin=Origin(NLU, 1))
    project = Project(
        files=(ProjectFileInfo(NLU, "data", "3.1", ("version", "nlu")),),
        domain=Domain(),
        nlu=(block,),
    )

    rendered = render_project(project)

    assert _load(rendered, NLU)["nlu"][0]["examples"] == [{"text": text}]
    again = read_files({**rendered, DOMAIN: b'version: "3.1"\n'})
    assert again.nlu[0].examples[0].text == text  # type: ignore[union-attr]
