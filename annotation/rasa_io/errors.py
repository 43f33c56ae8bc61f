"""Errors raised while reading a Rasa project; each carries its problems, with file and line."""

from __future__ import annotations

from annotation.rasa_io.types import Problem


class ProjectError(Exception):
    """The project cannot be read or imported; ``problems`` says what and where."""

    code = "invalid_project"

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        first = self.problems[0] if self.problems else None
        summary = "invalid project"
        if first is not None:
            where = first.location()
            summary = f"{where}: {first.message}" if where else first.message
            if len(self.problems) > 1:
                summary += f" (and {len(self.problems) - 1} more problem(s))"
        super().__init__(summary)


class ArchiveError(ProjectError):
    """An uploaded archive is unsafe or too large (path traversal, expansion past a limit)."""

    code = "invalid_archive"
