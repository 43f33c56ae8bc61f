from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from annotation.rasa_io.types import (
    ActionDef,
    Domain,
    EntityAnnotation,
    EntityDef,
    Example,
    FormDef,
    IntentBlock,
    IntentDef,
    MappingCondition,
    Origin,
    Problem,
    Project,
    ResponseDef,
    ResponseVariation,
    SlotDef,
    SlotEvent,
    SlotMapping,
    Story,
    StoryStep,
    Synonym,
    TrainingConfig,
)
from annotation.rasa_io.validation import format_problem, summarize, validate_project
from tests.conftest import rasa_project_dirs

DOMAIN = "domain.yml"
NLU = "data/nlu.yml"
STORIES = "data/stories.yml"
RULES = "data/rules.yml"

# ----------------------------------------------------------------------------------- builders


def at(file: str, line: int) -> Origin:
    return Origin(file, line)


def intents(*names: str) -> tuple[IntentDef, ...]:
    return tuple(IntentDef(name, origin=at(DOMAIN, 2 + i)) for i, name in enumerate(names))


def responses(*names: str, text: str = "ok") -> tuple[ResponseDef, ...]:
    return tuple(
        ResponseDef(name, (ResponseVariation(text=text),), origin=at(DOMAIN, 40 + i))
        for i, name in enumerate(names)
    )


def block(intent: str, *texts: str, line: int = 1) -> IntentBlock:
    examples = tuple(Example(t, origin=at(NLU, line + 2 + i)) for i, t in enumerate(texts))
    return IntentBlock(intent, examples, origin=at(NLU, line))


def intent(name: str, line: int, **kw: Any) -> StoryStep:
    return StoryStep("intent", name=name, origin=at(STORIES, line), **kw)


def action(name: str, line: int) -> StoryStep:
    return StoryStep("action", name=name, origin=at(STORIES, line))


def story(name: str, *steps: StoryStep, line: int = 1, **kw: Any) -> Story:
    return Story("story", name, steps, origin=at(STORIES, line), **kw)


def rule(name: str, *steps: StoryStep, line: int = 1, **kw: Any) -> Story:
    in_rules = tuple(replace(step, origin=at(RULES, step.origin.line)) for step in steps)
    return Story("rule", name, in_rules, origin=at(RULES, line), **kw)


def project(
    *,
    domain: Domain | None = None,
    nlu: tuple[Any, ...] | None = None,
    stories: tuple[Story, ...] = (),
    config: TrainingConfig | None = None,
) -> Project:
    """A small, valid project; tests replace the part they are about."""
    if domain is None:
        domain = Domain(
            intents=intents("greet", "goodbye"),
            responses=responses("utter_greet", "utter_goodbye"),
        )
    if nlu is None:
        nlu = (block("greet", "hi", "hello", line=1), block("goodbye", "bye", line=10))
    if config is None:
        config = TrainingConfig(language="en", origin=at("config.yml", 1))
    return Project(config=config, domain=domain, nlu=nlu, stories=stories)


def happy_stories() -> tuple[Story, ...]:
    return (
        story("hello", intent("greet", 3), action("utter_greet", 4), line=2),
        story("bye", intent("goodbye", 7), action("utter_goodbye", 8), line=6),
    )


def with_code(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def only(problems: list[Problem], code: str) -> Problem:
    found = with_code(problems, code)
    assert len(found) == 1, [format_problem(p) for p in problems]
    return found[0]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


# --------------------------------------------------------------------------------- baseline


def test_given_a_consistent_project_when_validated_then_nothing_is_reported() -> None:
    problems = validate_project(project(stories=happy_stories()))

    assert problems == []


# ---------------------------------------------------------------------------------- intents


def test_given_a_story_with_a_misspelled_intent_when_validated_then_error_with_suggestion() -> None:
    stories = (*happy_stories(), story("typo", intent("greed", 12), action("utter_greet", 13)))

    problem = only(validate_project(project(stories=stories)), "intent_not_in_domain")

    assert (problem.severity, problem.file, problem.line) == ("error", STORIES, 12)
    assert problem.suggestion == "greet"
    assert "greed" in problem.message


def test_given_nlu_examples_for_an_undeclared_intent_when_validated_then_error_at_the_block() -> (
    None
):
    nlu = (block("greet", "hi"), block("goodbye", "bye", line=10), block("thanks", "ty", line=20))

    problem = only(
        validate_project(project(nlu=nlu, stories=happy_stories())), "intent_not_in_domain"
    )

    assert (problem.severity, problem.file, problem.line) == ("error", NLU, 20)


def test_given_retrieval_intents_when_validated_then_they_count_as_their_base_intent() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye", "faq"),
        responses=(
            *responses("utter_greet", "utter_goodbye"),
            ResponseDef("utter_faq/ask_name", (ResponseVariation(text="Parley"),), at(NLU, 30)),
        ),
    )
    nlu = (
        block("greet", "hi"),
        block("goodbye", "bye", line=10),
        block("faq/ask_name", "who are you", line=20),
    )
    stories = (*happy_stories(), Story("rule", "faq", (intent("faq", 20), action("utter_faq", 21))))

    problems = validate_project(project(domain=domain, nlu=nlu, stories=stories))

    assert problems == []


def test_given_default_intents_and_actions_when_used_then_they_need_no_declaration() -> None:
    stories = (
        *happy_stories(),
        rule("fallback", intent("nlu_fallback", 3), action("action_default_fallback", 4)),
        rule("restart", intent("restart", 6), action("action_restart", 7)),
    )

    assert errors(validate_project(project(stories=stories))) == []


# --------------------------------------------------------------------------------- entities


def entity_domain() -> Domain:
    return Domain(
        intents=intents("greet", "goodbye", "inform"),
        entities=(EntityDef("city", roles=("from", "to"), origin=at(DOMAIN, 20)),),
        responses=responses("utter_greet", "utter_goodbye"),
    )


def test_given_an_nlu_annotation_with_an_unknown_entity_when_validated_then_error_at_example() -> (
    None
):
    example = Example("to berlin", (EntityAnnotation(3, 9, "cty", "berlin"),), origin=at(NLU, 22))
    nlu = (block("greet", "hi"), block("goodbye", "bye", line=10))
    nlu += (IntentBlock("inform", (example,), origin=at(NLU, 20)),)

    problem = only(
        validate_project(project(domain=entity_domain(), nlu=nlu)), "entity_not_in_domain"
    )

    assert (problem.severity, problem.file, problem.line) == ("error", NLU, 22)
    assert problem.suggestion == "city"


def test_given_an_annotation_with_an_undeclared_role_when_validated_then_role_error() -> None:
    annotation = EntityAnnotation(3, 9, "city", "berlin", role="via")
    example = Example("to berlin", (annotation,), origin=at(NLU, 22))
    nlu = (block("greet", "hi"), block("goodbye", "bye", line=10))
    nlu += (IntentBlock("inform", (example,), origin=at(NLU, 20)),)

    problems = validate_project(project(domain=entity_domain(), nlu=nlu))

    problem = only(problems, "entity_role_not_in_domain")
    assert (problem.severity, problem.file, problem.line) == ("error", NLU, 22)


def test_given_story_entities_unknown_or_with_bad_group_when_validated_then_errors() -> None:
    step_unknown = intent("inform", 5, entities=({"town": "Bonn"},))
    step_group = intent("inform", 9, entities=({"entity": "city", "value": "Bonn", "group": "g"},))
    stories = (
        story("a", step_unknown, action("utter_greet", 6), line=4),
        story("b", step_group, action("utter_greet", 10), line=8),
    )

    problems = validate_project(project(domain=entity_domain(), stories=stories))

    assert (
        only(problems, "entity_not_in_domain").line,
        only(problems, "entity_not_in_domain").file,
    ) == (
        5,
        STORIES,
    )
    assert only(problems, "entity_group_not_in_domain").line == 9


def test_given_an_end_to_end_user_text_with_an_unknown_entity_when_validated_then_error() -> None:
    steps = (
        StoryStep("user", text="to [Bonn](town)", origin=at(STORIES, 5)),
        action("utter_greet", 6),
    )

    problems = validate_project(project(domain=entity_domain(), stories=(story("e2e", *steps),)))

    problem = only(problems, "entity_not_in_domain")
    assert (problem.file, problem.line) == (STORIES, 5)


# ---------------------------------------------------------------------------------- actions


def test_given_an_undeclared_action_when_validated_then_error_with_suggestion() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye"),
        responses=responses("utter_greet", "utter_goodbye"),
        actions=(ActionDef("action_check_weather", origin=at(DOMAIN, 30)),),
    )
    stories = (
        *happy_stories(),
        story("w", intent("greet", 11), action("action_check_wether", 12), line=10),
    )

    problem = only(
        validate_project(project(domain=domain, stories=stories)), "action_not_in_domain"
    )

    assert (problem.severity, problem.file, problem.line) == ("error", STORIES, 12)
    assert problem.suggestion == "action_check_weather"


def test_given_an_utter_action_without_response_when_validated_then_response_error() -> None:
    stories = (*happy_stories(), story("x", intent("greet", 11), action("utter_welcome", 12)))

    problem = only(validate_project(project(stories=stories)), "response_not_in_domain")

    assert (problem.severity, problem.line) == ("error", 12)


def test_given_an_utter_action_declared_as_custom_action_when_validated_then_no_error() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye"),
        responses=responses("utter_greet", "utter_goodbye"),
        actions=(ActionDef("utter_dynamic", origin=at(DOMAIN, 30)),),
    )
    steps = (intent("greet", 11), action("utter_greet", 12), intent("goodbye", 13))
    stories = (*happy_stories(), story("x", *steps, action("utter_dynamic", 14), line=10))

    assert errors(validate_project(project(domain=domain, stories=stories))) == []


def test_given_an_unknown_active_loop_when_validated_then_form_error() -> None:
    steps = (
        intent("greet", 3),
        action("utter_greet", 4),
        StoryStep("active_loop", name="booking_form", origin=at(STORIES, 5)),
    )

    problem = only(validate_project(project(stories=(story("s", *steps),))), "form_not_in_domain")

    assert (problem.severity, problem.line) == ("error", 5)


# ------------------------------------------------------------------------ slots and forms


def form_domain(**changes: Any) -> Domain:
    base: dict[str, Any] = {
        "intents": intents("greet", "goodbye", "inform"),
        "entities": (EntityDef("city", origin=at(DOMAIN, 20)),),
        "slots": (
            SlotDef(
                "city",
                "text",
                mappings=(SlotMapping("from_entity", entity="city"),),
                origin=at(DOMAIN, 25),
            ),
            SlotDef("size", "categorical", values=("small", "large"), origin=at(DOMAIN, 28)),
        ),
        "responses": responses("utter_greet", "utter_goodbye", "utter_ask_city"),
        "forms": (FormDef("trip_form", ("city",), origin=at(DOMAIN, 50)),),
    }
    base.update(changes)
    return Domain(**base)


def test_given_a_form_requiring_an_unknown_slot_when_validated_then_error_at_the_form() -> None:
    domain = form_domain(forms=(FormDef("trip_form", ("cty",), origin=at(DOMAIN, 50)),))

    problem = only(validate_project(project(domain=domain)), "form_slot_not_in_domain")

    assert (problem.severity, problem.file, problem.line) == ("error", DOMAIN, 50)
    assert problem.suggestion == "city"


def test_given_slot_mappings_with_unknown_names_when_validated_then_one_error_each() -> None:
    mapping = SlotMapping(
        "from_entity",
        entity="town",
        intent=("inform", "infrom"),
        conditions=(MappingCondition("trp_form", "cty"),),
    )
    slot = SlotDef("city", "text", mappings=(mapping,), origin=at(DOMAIN, 25))
    domain = form_domain(slots=(slot,))

    problems = validate_project(project(domain=domain))

    for code, suggestion in (
        ("slot_mapping_entity_not_in_domain", None),
        ("slot_mapping_intent_not_in_domain", "inform"),
        ("slot_mapping_form_not_in_domain", "trip_form"),
        ("slot_mapping_slot_not_in_domain", "city"),
    ):
        problem = only(problems, code)
        assert (problem.severity, problem.line, problem.suggestion) == ("error", 25, suggestion)


def test_given_slot_was_set_for_unknown_slot_or_bad_category_when_validated_then_errors() -> None:
    steps = (
        intent("greet", 3),
        action("utter_greet", 4),
        StoryStep("slot_was_set", slots=(SlotEvent("citty", "Bonn"),), origin=at(STORIES, 5)),
        StoryStep("slot_was_set", slots=(SlotEvent("size", "Huge"),), origin=at(STORIES, 6)),
        StoryStep("slot_was_set", slots=(SlotEvent("size", "Large"),), origin=at(STORIES, 7)),
    )

    problems = validate_project(project(domain=form_domain(), stories=(story("s", *steps),)))

    unknown = only(problems, "slot_not_in_domain")
    assert (unknown.severity, unknown.line, unknown.suggestion) == ("error", 5, "city")
    value = only(problems, "slot_value_not_allowed")
    assert (value.severity, value.line) == ("error", 6)


def test_given_a_float_slot_with_min_above_max_when_validated_then_error() -> None:
    slot = SlotDef("temperature", "float", min_value=5, max_value=1, origin=at(DOMAIN, 33))
    domain = form_domain(slots=(*form_domain().slots, slot))

    problem = only(validate_project(project(domain=domain)), "float_slot_min_above_max")

    assert (problem.severity, problem.line) == ("error", 33)


def test_given_a_response_placeholder_that_is_no_slot_when_validated_then_warning() -> None:
    domain = form_domain(
        responses=(
            *responses("utter_greet", "utter_goodbye", "utter_ask_city"),
            ResponseDef("utter_where", (ResponseVariation(text="In {cty}?"),), at(DOMAIN, 60)),
        )
    )

    problem = only(validate_project(project(domain=domain)), "response_unknown_placeholder")

    assert (problem.severity, problem.line, problem.suggestion) == ("warning", 60, "city")


def test_given_a_form_slot_without_question_when_validated_then_warning() -> None:
    domain = form_domain(responses=responses("utter_greet", "utter_goodbye"))

    problem = only(validate_project(project(domain=domain)), "form_slot_without_question")

    assert (problem.severity, problem.line) == ("warning", 50)


# ----------------------------------------------------------------------- nlu data quality


def test_given_the_same_text_under_two_intents_when_validated_then_warning_names_both() -> None:
    nlu = (block("greet", "hi", "see you", line=1), block("goodbye", "bye", "See  you", line=10))

    problem = only(validate_project(project(nlu=nlu)), "example_in_several_intents")

    assert (problem.severity, problem.file, problem.line) == ("warning", NLU, 13)
    assert f"{NLU}:4" in problem.message
    assert "greet" in problem.message and "goodbye" in problem.message


def test_given_a_duplicate_example_in_one_intent_when_validated_then_warning() -> None:
    nlu = (block("greet", "hi", "hello", "hi"), block("goodbye", "bye", line=10))

    problem = only(validate_project(project(nlu=nlu)), "duplicate_example")

    assert (problem.severity, problem.line) == ("warning", 5)


def test_given_a_value_under_two_synonyms_when_validated_then_warning() -> None:
    nlu = (
        *project().nlu,
        Synonym("New York", ("NYC",), origin=at(NLU, 30)),
        Synonym("Nairobi", ("nyc",), origin=at(NLU, 35)),
    )

    problem = only(validate_project(project(nlu=nlu)), "synonym_conflict")

    assert (problem.severity, problem.line) == ("warning", 35)


def test_given_intents_without_examples_when_validated_then_warning_except_external() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye", "ask_time", "EXTERNAL_reminder"),
        responses=responses("utter_greet", "utter_goodbye"),
        actions=(ActionDef("action_remind", origin=at(DOMAIN, 30)),),
    )
    stories = (
        *happy_stories(),
        rule("time", intent("ask_time", 3), action("utter_greet", 4)),
        rule("remind", intent("EXTERNAL_reminder", 6), action("action_remind", 7)),
    )

    problems = validate_project(project(domain=domain, stories=stories))

    problem = only(problems, "intent_without_examples")
    assert (problem.severity, problem.file, problem.line) == ("warning", DOMAIN, 4)


def test_given_unused_domain_items_when_validated_then_warnings() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye", "chitchat"),
        responses=responses("utter_greet", "utter_goodbye", "utter_unused"),
        actions=(ActionDef("action_unused", origin=at(DOMAIN, 30)),),
    )
    nlu = (*project().nlu, block("chitchat", "how are you", line=20))

    problems = validate_project(project(domain=domain, nlu=nlu, stories=happy_stories()))

    assert only(problems, "unused_intent").line == 4
    assert only(problems, "unused_response").line == 42
    assert only(problems, "unused_action").line == 30
    assert errors(problems) == []


# -------------------------------------------------------------------------- story shape


def test_given_empty_stories_and_stories_starting_with_an_action_then_warnings() -> None:
    stories = (
        *happy_stories(),
        story("empty", line=20),
        story("bot first", action("utter_greet", 23), intent("greet", 24), line=22),
    )

    problems = validate_project(project(stories=stories))

    assert only(problems, "empty_story").line == 20
    starts = only(problems, "story_starts_without_user_turn")
    assert (starts.severity, starts.line) == ("warning", 23)


def test_given_a_response_without_variations_when_validated_then_warning() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye"),
        responses=(
            *responses("utter_greet", "utter_goodbye"),
            ResponseDef("utter_x", (), at(DOMAIN, 70)),
        ),
    )

    problem = only(validate_project(project(domain=domain)), "response_without_variations")

    assert (problem.severity, problem.line) == ("warning", 70)


def test_given_a_rule_with_two_user_turns_when_validated_then_error_at_the_second() -> None:
    steps = (
        intent("greet", 3),
        action("utter_greet", 4),
        intent("goodbye", 5),
        action("utter_goodbye", 6),
    )

    problem = only(
        validate_project(project(stories=(rule("long", *steps),))), "rule_with_several_user_turns"
    )

    assert (problem.severity, problem.line) == ("error", 5)


def test_given_rule_policy_with_restrict_rules_false_when_validated_then_long_rules_pass() -> None:
    steps = (
        intent("greet", 3),
        action("utter_greet", 4),
        intent("goodbye", 5),
        action("utter_goodbye", 6),
    )
    config = TrainingConfig(
        language="en", policies=({"name": "RulePolicy", "restrict_rules": False},)
    )

    problems = validate_project(project(stories=(rule("long", *steps),), config=config))

    assert with_code(problems, "rule_with_several_user_turns") == []


def test_given_unmatched_checkpoints_when_validated_then_warnings_like_rasa() -> None:
    checkpoint = StoryStep("checkpoint", name="after_greet", origin=at(STORIES, 5))
    start = StoryStep("checkpoint", name="aftr_greet", origin=at(STORIES, 8))
    stories = (
        story("a", intent("greet", 3), action("utter_greet", 4), checkpoint, line=2),
        story("b", start, intent("goodbye", 9), action("utter_goodbye", 10), line=7),
    )

    problems = validate_project(project(stories=stories))

    assert only(problems, "checkpoint_without_end").line == 8
    without_start = only(problems, "checkpoint_without_start")
    assert (without_start.severity, without_start.line) == ("warning", 5)
    assert without_start.suggestion == "aftr_greet"


def test_given_no_language_in_config_when_validated_then_warning() -> None:
    config = TrainingConfig(origin=at("config.yml", 1))

    problem = only(validate_project(project(config=config)), "config_language_missing")

    assert (problem.severity, problem.file, problem.line) == ("warning", "config.yml", 1)


# ---------------------------------------------------------------------------- conflicts


def conflict_project() -> Project:
    domain = Domain(
        intents=intents("greet", "goodbye", "affirm"),
        responses=responses("utter_greet", "utter_goodbye", "utter_happy", "utter_sad"),
    )
    nlu = (*project().nlu, block("affirm", "yes", line=20))
    stories = (
        story(
            "one",
            intent("greet", 3),
            action("utter_greet", 4),
            intent("affirm", 5),
            action("utter_happy", 6),
            line=2,
        ),
        story(
            "two",
            intent("goodbye", 9),
            action("utter_goodbye", 10),
            intent("affirm", 11),
            action("utter_sad", 12),
            line=8,
        ),
    )
    return project(domain=domain, nlu=nlu, stories=stories)


def test_given_stories_that_differ_two_turns_back_when_max_history_1_then_conflict() -> None:
    problems = validate_project(conflict_project(), max_history=1)

    problem = only(problems, "story_conflict")
    assert (problem.severity, problem.file, problem.line) == ("error", STORIES, 12)
    assert "utter_happy" in problem.message and "utter_sad" in problem.message
    assert "story 'one'" in problem.message and f"{STORIES}:6" in problem.message
    assert "affirm" in problem.message


def test_given_stories_that_differ_two_turns_back_when_max_history_3_then_no_conflict() -> None:
    assert with_code(validate_project(conflict_project(), max_history=3), "story_conflict") == []


def test_given_a_bot_action_vs_waiting_for_the_user_when_validated_then_listen_conflict() -> None:
    stories = (
        story(
            "a",
            intent("greet", 3),
            action("utter_greet", 4),
            intent("goodbye", 5),
            action("utter_goodbye", 6),
            line=2,
        ),
        story(
            "b", intent("greet", 9), action("utter_greet", 10), action("utter_goodbye", 11), line=8
        ),
    )

    problem = only(validate_project(project(stories=stories)), "story_conflict")

    assert "action_listen" in problem.message and "utter_goodbye" in problem.message


def test_given_a_story_ending_where_another_goes_on_when_validated_then_listen_conflict() -> None:
    stories = (
        story("short", intent("greet", 3), action("utter_greet", 4), line=2),
        story(
            "long", intent("greet", 7), action("utter_greet", 8), action("utter_goodbye", 9), line=6
        ),
    )

    problem = only(validate_project(project(stories=stories)), "story_conflict")

    assert (problem.file, problem.line) == (STORIES, 9)
    assert "story 'short' (data/stories.yml:4) predicts 'action_listen'" in problem.message
    assert "[greet -> utter_greet]" in problem.message


def test_given_checkpoints_and_or_steps_when_validated_then_expanded_paths_conflict() -> None:
    domain = conflict_project().domain
    nlu = conflict_project().nlu
    end = StoryStep("checkpoint", name="greeted", origin=at(STORIES, 5))
    either = StoryStep(
        "or",
        alternatives=(
            StoryStep("intent", name="affirm", origin=at(STORIES, 9)),
            StoryStep("intent", name="goodbye", origin=at(STORIES, 10)),
        ),
        origin=at(STORIES, 9),
    )
    stories = (
        story("greeting", intent("greet", 3), action("utter_greet", 4), end, line=2),
        story(
            "happy",
            StoryStep("checkpoint", name="greeted", origin=at(STORIES, 8)),
            either,
            action("utter_happy", 11),
            line=7,
        ),
        story(
            "sad",
            StoryStep("checkpoint", name="greeted", origin=at(STORIES, 14)),
            intent("goodbye", 15),
            action("utter_sad", 16),
            line=13,
        ),
    )

    problems = validate_project(project(domain=domain, nlu=nlu, stories=stories))

    problem = only(problems, "story_conflict")
    assert "utter_happy" in problem.message and "utter_sad" in problem.message
    assert "greet -> utter_greet -> goodbye" in problem.message


def test_given_slots_that_differ_when_validated_then_no_conflict() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye"),
        slots=(SlotDef("vip", "bool", origin=at(DOMAIN, 20)),),
        responses=responses("utter_greet", "utter_goodbye", "utter_vip"),
    )
    vip = StoryStep("slot_was_set", slots=(SlotEvent("vip", True),), origin=at(STORIES, 4))
    stories = (
        story("plain", intent("greet", 3), action("utter_greet", 5), line=2),
        story("vip", intent("greet", 8), vip, action("utter_vip", 9), line=7),
    )

    problems = validate_project(project(domain=domain, stories=stories))

    assert with_code(problems, "story_conflict") == []


def test_given_test_stories_and_rules_when_validated_then_they_do_not_conflict_with_stories() -> (
    None
):
    stories = (
        story("a", intent("greet", 3), action("utter_greet", 4), line=2),
        rule("r", intent("greet", 3), action("utter_goodbye", 4)),
        Story("story", "t", (intent("greet", 3), action("utter_goodbye", 4)), is_test=True),
    )

    assert with_code(validate_project(project(stories=stories)), "story_conflict") == []


def test_given_contradicting_rules_when_validated_then_rule_conflict() -> None:
    stories = (
        rule("greet", intent("greet", 3), action("utter_greet", 4), line=2),
        rule("greet again", intent("greet", 7), action("utter_goodbye", 8), line=6),
        rule(
            "only at start",
            intent("greet", 11),
            action("utter_goodbye", 12),
            line=10,
            conversation_start=True,
        ),
    )

    problem = only(validate_project(project(stories=stories)), "rule_conflict")

    assert (problem.severity, problem.file, problem.line) == ("error", RULES, 8)
    assert "rule 'greet'" in problem.message and "rule 'greet again'" in problem.message


def test_given_rules_that_begin_with_different_prior_actions_then_no_rule_conflict() -> None:
    domain = Domain(
        intents=intents("greet", "goodbye"),
        responses=responses("utter_greet", "utter_goodbye", "utter_more"),
    )
    stories = (
        *happy_stories(),
        rule(
            "after greet", action("utter_greet", 3), intent("goodbye", 4), action("utter_more", 5)
        ),
        rule(
            "after bye", action("utter_goodbye", 8), intent("goodbye", 9), action("utter_more", 10)
        ),
    )

    problems = validate_project(project(domain=domain, stories=stories))

    assert with_code(problems, "rule_conflict") == []


def test_given_5000_generated_stories_when_validated_then_it_completes() -> None:
    count = 5000
    names = [f"intent_{i}" for i in range(50)]
    domain = Domain(
        intents=intents(*names),
        responses=responses(*(f"utter_{i}" for i in range(50))),
    )
    nlu = tuple(block(name, f"example {name}", line=i * 3 + 1) for i, name in enumerate(names))
    stories = tuple(
        story(
            f"story {n}",
            *(
                step
                for turn in range(4)
                for step in (
                    intent(names[(n * 7 + turn * 13) % 50], n * 10 + turn * 2),
                    action(f"utter_{(n * 3 + turn) % 50}", n * 10 + turn * 2 + 1),
                )
            ),
            line=n * 10,
        )
        for n in range(count)
    )

    problems = validate_project(project(domain=domain, nlu=nlu, stories=stories))

    assert isinstance(problems, list)


# ------------------------------------------------------------------ formatting, summary


def test_given_problems_when_summarized_and_formatted_then_counts_and_compiler_style() -> None:
    problem = Problem(
        "error", "intent_not_in_domain", "Unknown intent 'greed'.", STORIES, 12, "greet"
    )
    warning = Problem("warning", "unused_intent", "Unused.", DOMAIN, 0)

    assert summarize([problem, warning, warning]) == {"errors": 1, "warnings": 2, "total": 3}
    assert format_problem(problem) == (
        "data/stories.yml:12: error: Unknown intent 'greed'. (did you mean 'greet'?)"
    )
    assert format_problem(warning) == "domain.yml: warning: Unused."
    assert format_problem(Problem("warning", "x", "No place.")) == "warning: No place."


def test_given_mixed_problems_when_validated_then_errors_come_first() -> None:
    stories = (story("typo", intent("greed", 3), action("utter_greet", 4)),)

    problems = validate_project(project(stories=stories))

    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda s: s != "error")
    assert severities[0] == "error"


# ------------------------------------------------------------------------ real projects


@pytest.mark.parametrize("root", rasa_project_dirs(), ids=lambda p: p.name)
def test_given_a_real_rasa_project_when_validated_then_results_are_sensible(root: Path) -> None:
    reader = pytest.importorskip("annotation.rasa_io.reader")

    problems = validate_project(reader.read_project(root))

    for problem in problems:
        assert problem.severity in ("error", "warning")
        assert problem.code and problem.message
        if problem.severity == "error":
            assert problem.file and problem.line > 0, format_problem(problem)
    found = {(p.code, p.severity) for p in problems}
    if root.name != "rules":  # that example's nlu.yml was copied from formbot (see below)
        assert not [p for p in problems if p.severity == "error"], [
            format_problem(p) for p in problems if p.severity == "error"
        ]
    if root.name == "rules":
        # its NLU file holds formbot's intents, which its domain does not declare
        assert ("intent_not_in_domain", "error") in found
        assert ("rule_conflict", "error") not in found
    if root.name == "reminderbot":
        codes = {(p.code, p.message.split("'")[1]) for p in problems if "'" in p.message}
        assert ("intent_without_examples", "EXTERNAL_reminder") not in codes
        assert ("intent_without_examples", "EXT_reminder") in codes
