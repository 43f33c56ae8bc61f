"""How the commands print problems: ``file:line: message``, like compilers and linters.

A suggestion the message does not already give is added as ``(did you mean 'x'?)``;
``severity=True`` adds the severity before the message and the code after it.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotation.rasa_io.types import Problem


def problem_line(problem: Problem, *, severity: bool = False) -> str:
    parts = [problem.location()] if problem.location() else []
    if severity:
        parts.append(problem.severity)
    text = problem.message
    if problem.suggestion and f"'{problem.suggestion}'" not in text:
        text += f" (did you mean '{problem.suggestion}'?)"
    if severity:
        text += f" [{problem.code}]"
    parts.append(text)
    return ": ".join(parts)


def problem_lines(problems: Iterable[Problem], *, severity: bool = False) -> list[str]:
    return [problem_line(p, severity=severity) for p in problems]
