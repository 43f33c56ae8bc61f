"""``manage.py export_assistant NAME OUTDIR``: write an assistant as a Rasa project folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation import models as m
from annotation.selectors.project_export import assistant_export_files


class Command(BaseCommand):
    help = "Write an assistant's data as Rasa project files (format 3.1) into OUTDIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the assistant's name")
        parser.add_argument("outdir", type=Path, help="folder to write into (created if missing)")

    def handle(self, *args: Any, **options: Any) -> None:
        assistant = m.Assistant.objects.filter(name=options["name"]).first()
        if assistant is None:
            raise CommandError(f"No assistant named {options['name']!r}")
        out_dir: Path = options["outdir"].resolve()
        files = assistant_export_files(assistant=assistant)
        for relative, content in files.items():
            target = (out_dir / relative).resolve()
            if not target.is_relative_to(out_dir):
                raise CommandError(f"Refusing to write {relative!r} outside {out_dir}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        self.stdout.write(
            self.style.SUCCESS(f"Exported {assistant.name!r}: {len(files)} file(s) to {out_dir}")
        )
