"""``manage.py import_assistant PATH --name NAME [--replace]``: import a Rasa project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation import models as m
from annotation.management.commands._problems import problem_lines
from annotation.rasa_io.errors import ProjectError
from annotation.services.errors import AnnotationError
from annotation.services.project_import import assistant_import_from_path


class Command(BaseCommand):
    help = "Import a Rasa project (folder, .zip, .tar.gz, .tgz or .tar) as an assistant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="project folder or archive")
        parser.add_argument("--name", required=True, help="the assistant's name")
        parser.add_argument(
            "--replace", action="store_true", help="replace the assistant's data if it exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            assistant = assistant_import_from_path(
                name=options["name"], path=options["path"], replace=options["replace"]
            )
        except ProjectError as exc:
            for line in problem_lines(exc.problems):
                self.stderr.write(line)
            raise CommandError(
                f"import failed with {len(exc.problems)} problem(s); nothing was written"
            ) from exc
        except AnnotationError as exc:
            raise CommandError(exc.message) from exc
        counts = {
            "files": m.ProjectFile.objects.filter(assistant=assistant).count(),
            "intents": m.Intent.objects.filter(assistant=assistant, in_domain=True).count(),
            "entities": m.Entity.objects.filter(assistant=assistant).count(),
            "slots": m.Slot.objects.filter(assistant=assistant).count(),
            "responses": m.Response.objects.filter(assistant=assistant).count(),
            "actions": m.Action.objects.filter(assistant=assistant).count(),
            "forms": m.Form.objects.filter(assistant=assistant).count(),
            "examples": m.Example.objects.filter(assistant=assistant).count(),
            "entity spans": m.EntitySpan.objects.filter(assistant=assistant).count(),
            "stories": m.Story.objects.filter(assistant=assistant, kind="story").count(),
            "rules": m.Story.objects.filter(assistant=assistant, kind="rule").count(),
            "assets": m.Asset.objects.filter(assistant=assistant).count(),
        }
        self.stdout.write(
            self.style.SUCCESS(f"Imported assistant {assistant.name!r} (id {assistant.pk})")
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
