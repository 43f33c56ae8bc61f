"""`python manage.py setup_demo`: an admin account and the bundled demo assistant (concertbot).

Run by `make demo` after the migrations. The admin user is created once, with a random password
printed once; later runs leave the account (and its password) alone. The demo assistant is
re-imported from annotation/demo/concertbot every time, replacing the previous copy.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo" / "concertbot"
DEMO_NAME = "concertbot"
DEMO_DESCRIPTION = "Parley's demo: finds concerts and venues, and asks what music you like."


class Command(BaseCommand):
    help = "Create the admin account (first run only) and import the bundled demo assistant."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help="admin account name")
        parser.add_argument(
            "--no-import", action="store_true", help="only make sure the admin account exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._ensure_admin(username=options["username"])
        if not options["no_import"]:
            self._import_demo()

    def _ensure_admin(self, *, username: str) -> None:
        user_model = get_user_model()
        with transaction.atomic():
            if user_model.objects.filter(username=username).exists():
                self.stdout.write(
                    f"Admin user {username!r} already exists; its password is unchanged."
                )
                return
            password = secrets.token_urlsafe(12)
            user_model.objects.create_superuser(
                username=username, email=f"{username}@localhost", password=password
            )
        bar = "=" * 64
        self.stdout.write(
            self.style.SUCCESS(
                f"{bar}\nCreated admin user {username!r} with password: {password}\n"
                "It is shown only this once: write it down (or change it with\n"
                f"`python manage.py changepassword {username}`).\n{bar}"
            )
        )

    def _import_demo(self) -> None:
        # Imported here so that the admin account can be made even while the import service
        # is unavailable (e.g. `--no-import`).
        from annotation.rasa_io.errors import ArchiveError, ProjectError
        from annotation.services.project_import import assistant_import_from_path

        try:
            assistant = assistant_import_from_path(name=DEMO_NAME, path=DEMO_DIR, replace=True)
        except (ProjectError, ArchiveError) as exc:
            raise CommandError(f"The demo assistant in {DEMO_DIR} did not import: {exc}") from exc
        assistant.description = DEMO_DESCRIPTION
        assistant.save(update_fields=["description", "updated_at"])
        self.stdout.write(
            self.style.SUCCESS(f"Imported the demo assistant {assistant.name!r} from {DEMO_DIR}.")
        )
