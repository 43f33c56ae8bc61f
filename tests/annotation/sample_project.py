"""A small Project that uses every part of the dataclasses (for store/load tests)."""

from __future__ import annotations

from annotation.rasa_io import types as t

CONFIG = "config.yml"
DOMAIN = "domain.yml"
NLU = "data/nlu.yml"
STORIES = "data/stories.yml"
TESTS = "tests/test_stories.yml"


def o(file: str, line: int) -> t.Origin:
    return t.Origin(file=file, line=line)


def before(*lines: str, path: tuple[t.PathPart, ...] = ()) -> t.Comment:
    return t.Comment(path=path, where="before", lines=lines)


def sample_project(*, examples_per_intent: int = 2, stories: int = 2) -> t.Project:
    """Grows with ``examples_per_intent`` and ``stories`` (for query-count tests)."""
    files = (
        t.ProjectFileInfo(CONFIG, "config", "3.1", ("version", "language", "pipeline")),
        t.ProjectFileInfo(
            DOMAIN,
            "domain",
            "3.1",
            ("version", "intents", "entities", "slots", "responses", "actions", "forms"),
            comments=(before("# the domain"),),
        ),
        t.ProjectFileInfo(
            NLU,
            "data",
            "3.1",
            ("version", "nlu"),
            comments=(t.Comment(("nlu",), "after", ("# end of nlu",)),),
        ),
        t.ProjectFileInfo(STORIES, "data", "3.1", ("version", "stories", "rules")),
        t.ProjectFileInfo(TESTS, "tests", "3.1", ("version", "stories")),
        t.ProjectFileInfo("endpoints.yml", "asset"),
    )
    config = t.TrainingConfig(
        recipe="default.v1",
        language="en",
        pipeline=({"name": "WhitespaceTokenizer"}, {"name": "DIETClassifier", "epochs": 100}),
        policies=None,
        assistant_id="placid-bot",
        extra={"importers": [{"name": "RasaFileImporter"}]},
        origin=o(CONFIG, 2),
        comments=(before("# the pipeline", path=("pipeline",)),),
    )
    domain = t.Domain(
        intents=(
            t.IntentDef("greet", origin=o(DOMAIN, 3), comments=(before("# hello"),)),
            t.IntentDef("inform", use_entities=("city",), origin=o(DOMAIN, 4)),
            t.IntentDef("chitchat", ignore_entities=(), is_retrieval=True, origin=o(DOMAIN, 6)),
        ),
        entities=(
            t.EntityDef("city", roles=("from", "to"), origin=o(DOMAIN, 9)),
            t.EntityDef("name", influence_conversation=False, origin=o(DOMAIN, 10)),
        ),
        slots=(
            t.SlotDef(
                "city",
                "text",
                mappings=(
                    t.SlotMapping("from_entity", entity="city", role="to"),
                    t.SlotMapping(
                        "from_intent",
                        intent=("affirm", "inform"),
                        value=None,
                        has_value=True,
                        conditions=(t.MappingCondition("travel_form", "city"),),
                    ),
                ),
                origin=o(DOMAIN, 12),
            ),
            t.SlotDef(
                "count",
                "float",
                min_value=0.0,
                max_value=5.0,
                initial_value=1.0,
                mappings=(t.SlotMapping("custom", action="action_count"),),
                origin=o(DOMAIN, 20),
            ),
            t.SlotDef("mood", "categorical", values=("happy", "sad"), origin=o(DOMAIN, 24)),
        ),
        responses=(
            t.ResponseDef(
                "utter_greet",
                (
                    t.ResponseVariation(text="Hi {name}!", comments=(before("# friendly"),)),
                    t.ResponseVariation(
                        text="Hello",
                        buttons=({"title": "yes", "payload": "/affirm"},),
                        channel="slack",
                        condition=({"type": "slot", "name": "mood", "value": "happy"},),
                        extra={"quick_replies": [{"title": "a"}]},
                    ),
                ),
                origin=o(DOMAIN, 28),
            ),
            t.ResponseDef(
                "utter_chitchat/ask_name",
                (t.ResponseVariation(custom={"blocks": [1, 2]}, image="https://x/y.png"),),
                origin=o(DOMAIN, 34),
            ),
        ),
        actions=(t.ActionDef("action_count", send_domain=True, origin=o(DOMAIN, 38)),),
        forms=(
            t.FormDef(
                "travel_form",
                required_slots=("city",),
                ignored_intents=("chitchat",),
                origin=o(DOMAIN, 41),
            ),
        ),
        session_config=t.SessionConfig(60.0, True, origin=o(DOMAIN, 46)),
        config={"store_entities_as_slots": False},
        e2e_actions=("Hi there!",),
    )
    nlu: list[t.NluItem] = [
        t.IntentBlock(
            "greet",
            tuple(
                t.Example(f"hello number {i}", origin=o(NLU, 0)) for i in range(examples_per_intent)
            ),
            origin=o(NLU, 3),
            comments=(before("# greetings"),),
        ),
        t.Synonym("New York City", ("NYC", "nyc"), origin=o(NLU, 8)),
        t.IntentBlock(
            "inform",
            tuple(
                t.Example(
                    f"fly from Köln to Berlin {i}",
                    entities=(
                        t.EntityAnnotation(9, 13, "city", "Köln", role="from"),
                        t.EntityAnnotation(17, 23, "city", "Berlin", role="to", group="1"),
                    ),
                    metadata={"sentiment": "neutral"},
                    origin=o(NLU, 0),
                )
                for i in range(examples_per_intent)
            ),
            metadata={"source": "logs"},
            examples_as_list=True,
            origin=o(NLU, 12),
        ),
        t.RegexPattern("zipcode", (r"\d{5}",), origin=o(NLU, 20)),
        t.IntentBlock(
            "chitchat/ask_name",
            (t.Example("what is your name", origin=o(NLU, 0)),),
            origin=o(NLU, 24),
        ),
        t.LookupTable("city", ("Berlin", "Köln"), origin=o(NLU, 28)),
        # a second block of an intent, and an intent that only NLU data names
        t.IntentBlock("greet", (t.Example("hey", origin=o(NLU, 0)),), origin=o(NLU, 32)),
        t.IntentBlock("affirm", (t.Example("yes", origin=o(NLU, 0)),), origin=o(NLU, 35)),
    ]
    story_items = [
        t.Story(
            "story",
            f"happy path {n}",
            (
                t.StoryStep(
                    "intent", name="inform", entities=({"city": "Berlin"},), origin=o(STORIES, 5)
                ),
                t.StoryStep(
                    "slot_was_set",
                    slots=(t.SlotEvent("city", "Berlin"), t.SlotEvent("mood", has_value=False)),
                    origin=o(STORIES, 7),
                ),
                t.StoryStep("action", name="travel_form", origin=o(STORIES, 9)),
                t.StoryStep("active_loop", name=None, origin=o(STORIES, 10)),
                t.StoryStep(
                    "or",
                    alternatives=(
                        t.StoryStep("intent", name="affirm", origin=o(STORIES, 12)),
                        t.StoryStep(
                            "slot_was_set",
                            slots=(t.SlotEvent("mood", "happy"),),
                            origin=o(STORIES, 13),
                        ),
                    ),
                    origin=o(STORIES, 11),
                    comments=(t.Comment((), "inline", ("# either",)),),
                ),
                t.StoryStep("bot", text="Bye!", metadata={"k": 1}, origin=o(STORIES, 15)),
                t.StoryStep("checkpoint", name="done", origin=o(STORIES, 16)),
            ),
            metadata={"owner": "ada"},
            origin=o(STORIES, 3 + 14 * n),
            comments=(before(f"# story {n}"),),
        )
        for n in range(stories)
    ]
    story_items.append(
        t.Story(
            "rule",
            "greet back",
            (
                t.StoryStep("intent", name="greet", origin=o(STORIES, 50)),
                t.StoryStep("action", name="utter_greet", origin=o(STORIES, 51)),
            ),
            condition=(
                t.StoryStep("active_loop", name="travel_form", origin=o(STORIES, 47)),
                t.StoryStep(
                    "slot_was_set", slots=(t.SlotEvent("city", None),), origin=o(STORIES, 48)
                ),
            ),
            conversation_start=True,
            wait_for_user_input=False,
            origin=o(STORIES, 45),
        )
    )
    story_items.append(
        t.Story(
            "story",
            "test greet",
            (
                t.StoryStep("intent", name="greet", text="hello there", origin=o(TESTS, 4)),
                t.StoryStep("user", text="hi [Berlin](city)", origin=o(TESTS, 6)),
                t.StoryStep("action", name="utter_greet", origin=o(TESTS, 7)),
            ),
            is_test=True,
            origin=o(TESTS, 2),
        )
    )
    return t.Project(
        files=files,
        config=config,
        domain=domain,
        nlu=tuple(nlu),
        stories=tuple(story_items),
        assets=(t.Asset("endpoints.yml", b"action_endpoint:\n  url: http://localhost:5055\n"),),
    )
