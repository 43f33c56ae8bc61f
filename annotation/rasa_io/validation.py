"""Semantic validation of a Rasa project (what ``rasa data validate`` checks, and more).

The reader already reports syntax problems and unknown keys; these checks are about meaning.
Each finding is a :class:`Problem` with a stable ``code``, the file and line to fix, and a
suggestion when a close name exists.

Errors: ``intent_not_in_domain``, ``entity_not_in_domain``, ``entity_role_not_in_domain``,
``entity_group_not_in_domain``, ``intent_entity_not_in_domain``, ``action_not_in_domain``,
``response_not_in_domain``, ``form_not_in_domain``, ``slot_not_in_domain``,
``slot_value_not_allowed``, ``requested_slot_not_a_slot``, ``form_slot_not_in_domain``,
``form_ignored_intent_not_in_domain``, ``unknown_slot_type``, ``unknown_slot_mapping_type``,
``slot_mapping_without_entity``, ``slot_mapping_entity_not_in_domain``,
``slot_mapping_role_not_in_domain``, ``slot_mapping_group_not_in_domain``,
``slot_mapping_intent_not_in_domain``, ``slot_mapping_action_not_in_domain``,
``slot_mapping_form_not_in_domain``, ``slot_mapping_slot_not_in_domain``,
``slot_initial_value_not_allowed``, ``float_slot_min_above_max``,
``response_condition_slot_not_in_domain``, ``button_intent_not_in_domain``,
``button_payload_invalid``, ``rule_with_several_user_turns``, ``story_conflict``,
``rule_conflict``.

Warnings: ``config_missing``, ``config_language_missing``, ``duplicate_domain_item``,
``categorical_slot_without_values``, ``slot_initial_value_out_of_range``,
``form_slot_without_question``, ``form_slot_not_mapped_in_form``,
``response_without_variations``, ``response_unknown_placeholder``, ``duplicate_example``,
``example_in_several_intents``, ``synonym_conflict``, ``empty_story``,
``story_starts_without_user_turn``, ``duplicate_story_name``, ``entity_ignored_by_intent``,
``slot_value_type_mismatch``, ``checkpoint_without_end``, ``checkpoint_without_start``,
``unused_intent``, ``intent_without_examples``, ``unused_response``, ``unused_action``,
``unused_form``.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotation.rasa_io.story_conflicts import DEFAULT_MAX_HISTORY, check_conflicts
from annotation.rasa_io.types import Problem, Project
from annotation.rasa_io.validation_context import Context
from annotation.rasa_io.validation_domain import check_config, check_domain
from annotation.rasa_io.validation_nlu import check_nlu
from annotation.rasa_io.validation_stories import check_stories, check_unused

__all__ = ["DEFAULT_MAX_HISTORY", "format_problem", "summarize", "validate_project"]

_SEVERITY_ORDER = {"error": 0, "warning": 1}


def validate_project(project: Project, *, max_history: int | None = None) -> list[Problem]:
    """Every semantic problem of ``project``, errors first, then by file and line.

    ``max_history`` is the number of dialogue states the story-conflict check compares
    (``DEFAULT_MAX_HISTORY`` when None).
    """
    ctx = Context.build(project)
    check_config(ctx)
    check_domain(ctx)
    check_nlu(ctx)
    usage = check_stories(ctx)
    check_unused(ctx, usage)
    check_conflicts(ctx, max_history)
    return sorted(_unique(ctx.problems), key=_sort_key)


def summarize(problems: Iterable[Problem]) -> dict[str, int]:
    """Counts for a CLI or API answer: ``{"errors": n, "warnings": m, "total": n + m}``."""
    errors = warnings = 0
    for problem in problems:
        if problem.severity == "error":
            errors += 1
        else:
            warnings += 1
    return {"errors": errors, "warnings": warnings, "total": errors + warnings}


def format_problem(problem: Problem) -> str:
    """``file:line: error: message (did you mean 'x'?)``, as compilers and linters print."""
    text = f"{problem.severity}: {problem.message}"
    if problem.suggestion:
        text += f" (did you mean '{problem.suggestion}'?)"
    location = problem.location()
    return f"{location}: {text}" if location else text


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    kept: list[Problem] = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            kept.append(problem)
    return kept


def _sort_key(problem: Problem) -> tuple[int, str, int, str]:
    return (_SEVERITY_ORDER.get(problem.severity, 2), problem.file, problem.line, problem.code)
