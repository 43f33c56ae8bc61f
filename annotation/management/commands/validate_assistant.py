"""``manage.py validate_assistant NAME``: check an assistant's data, like ``rasa data validate``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation import models as m
from annotation.management.commands._problems import problem_lines
from annotation.selectors.validation import assistant_validate


class Command(BaseCommand):
    help = "Validate an assistant's domain, NLU data and stories; exit 1 on errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the assistant's name")
        parser.add_argument(
            "--max-history", type=int, default=None, help="story conflicts: the window length"
        )
        parser.add_argument(
            "--fail-on-warnings", action="store_true", help="exit 1 on warnings too"
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        assistant = m.Assistant.objects.filter(name=options["name"]).first()
        if assistant is None:
            raise CommandError(f"No assistant named {options['name']!r}")
        problems = assistant_validate(assistant=assistant, max_history=options["max_history"])
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        if options["format"] == "json":
            self.stdout.write(json.dumps([p.as_dict() for p in problems], indent=2))
        else:
            for line in problem_lines(problems, severity=True):
                self.stdout.write(line)
            self.stdout.write(f"{errors} error(s), {warnings} warning(s)")
        if errors or (warnings and options["fail_on_warnings"]):
            raise CommandError(
                f"validation failed: {errors} error(s), {warnings} warning(s)", returncode=1
            )
