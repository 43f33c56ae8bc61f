"""Check an assistant's stored data the way ``rasa data validate`` would, and better."""

from __future__ import annotations

from annotation import models as m
from annotation.rasa_io.errors import ProjectError
from annotation.rasa_io.reader import read_files
from annotation.rasa_io.types import Problem
from annotation.rasa_io.validation import validate_project
from annotation.selectors.project_export import assistant_export_files


def assistant_validate(*, assistant: m.Assistant, max_history: int | None = None) -> list[Problem]:
    """Problems in the assistant's data, each at the file and line of the exported project.

    The stored project is rendered to files and read back, so that a problem points at the
    line a user sees in an export (rows made in the UI have no line of their own).
    """
    files = assistant_export_files(assistant=assistant)
    try:
        project = read_files(files)
    except ProjectError as exc:  # the stored data does not even read back
        return list(exc.problems)
    return validate_project(project, max_history=max_history)
