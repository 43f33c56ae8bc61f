"""``manage.py rebuild_inbox NAME``: fill the NLU inbox from the conversations recorded so far."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation import models as m
from annotation.services.inbox import inbox_rebuild


class Command(BaseCommand):
    help = (
        "Recount an assistant's NLU inbox from its recorded user messages (for conversations "
        "recorded before the inbox existed). Items keep their status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the assistant's name")

    def handle(self, *args: Any, **options: Any) -> None:
        assistant = m.Assistant.objects.filter(name=options["name"]).first()
        if assistant is None:
            raise CommandError(f"No assistant named {options['name']!r}")
        written = inbox_rebuild(assistant=assistant)
        self.stdout.write(f"{written} inbox item(s) written for {assistant.name}")
