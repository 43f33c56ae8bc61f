"""A story or rule as Rasa YAML and back, for the stories editor.

The REST API takes a story's steps as JSON; people prefer to write YAML. The editor asks
``story_from_yaml`` (through ``frontend.views.story_parse``) for the API payload of what they typed,
with the reader's problems on their lines, and then saves that payload through the API, which
validates it again. Both directions reuse ``annotation.rasa_io`` (the importer and exporter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from annotation import models as m
from annotation.rasa_io import types as t
from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.reader import read_files
from annotation.rasa_io.writer import render_project
from annotation.services.project_json import slots_from_json, step_from_json, step_to_json

_DATA_FILE = "data/stories.yml"
_TEST_FILE = "tests/test_stories.yml"
# the reader wants a domain; an empty one says nothing about the story
_EMPTY_DOMAIN = b'version: "3.1"\n'


def _step(row: m.StoryStep) -> t.StoryStep:
    return t.StoryStep(
        kind=cast(t.StepKind, row.kind),
        name=row.name,
        text=row.text,
        entities=tuple(row.entities or ()),
        slots=slots_from_json(row.slots),
        alternatives=tuple(step_from_json(alt, file="") for alt in row.alternatives or ()),
        metadata=row.metadata,
    )


def story_as_dataclass(story: m.Story) -> t.Story:
    """A story row (its steps prefetched or not) as the exporter's dataclass."""
    return t.Story(
        kind=cast(Any, story.kind),
        name=story.name,
        steps=tuple(_step(row) for row in story.steps.all()),
        condition=tuple(step_from_json(s, file="") for s in story.condition or ()),
        conversation_start=story.conversation_start,
        wait_for_user_input=story.wait_for_user_input,
        metadata=story.metadata,
        is_test=story.is_test,
    )


def story_to_yaml(story: m.Story) -> str:
    """The story as a Rasa 3.1 YAML document holding it alone."""
    files = render_project(t.Project(stories=(story_as_dataclass(story),)))
    for content in files.values():
        return content.decode("utf-8")
    return 'version: "3.1"\n'


@dataclass(frozen=True)
class ParsedStory:
    """What the editor gets back: the API payload, or the problems with their lines."""

    story: dict[str, Any] | None
    problems: list[dict[str, Any]] = field(default_factory=list)


def _payload(story: t.Story) -> dict[str, Any]:
    return {
        "name": story.name,
        "kind": story.kind,
        "is_test": story.is_test,
        "condition": [step_to_json(s) for s in story.condition],
        "conversation_start": story.conversation_start,
        "wait_for_user_input": story.wait_for_user_input,
        "metadata": story.metadata,
        "steps": [step_to_json(s) for s in story.steps],
    }


def _problem(line: int, message: str, code: str = "invalid") -> dict[str, Any]:
    return {"severity": "error", "code": code, "message": message, "line": line}


def story_from_yaml(text: str, *, is_test: bool = False) -> ParsedStory:
    """The one story or rule ``text`` holds, as the API's payload; problems say where not."""
    path = _TEST_FILE if is_test else _DATA_FILE
    source = text if text.strip() else "stories: []\n"
    try:
        project = read_files({path: source.encode("utf-8"), "domain.yml": _EMPTY_DOMAIN})
    except ProjectError as exc:
        return ParsedStory(
            story=None,
            problems=[
                _problem(p.line, p.message, p.code)
                for p in exc.problems
                if p.file == path and p.severity == "error"
            ]
            or [_problem(0, str(exc))],
        )
    stories = project.stories
    if len(stories) != 1:
        found = f"found {len(stories)}" if stories else "found none"
        return ParsedStory(
            story=None,
            problems=[_problem(0, f"Write exactly one story or rule here ({found}).", "count")],
        )
    return ParsedStory(story=_payload(stories[0]))
