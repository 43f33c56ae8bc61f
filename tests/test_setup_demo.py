"""`manage.py setup_demo`: the admin account made once, and the bundled demo assistant."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from annotation.management.commands.setup_demo import DEMO_DIR
from annotation.models import Assistant

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("setup_demo", *args, stdout=out)
    return out.getvalue()


def test_given_no_admin_when_setting_up_then_admin_created_and_password_printed_once(
    django_user_model: Any,
) -> None:
    first = _run("--no-import")
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    password = first.split("password: ", 1)[1].split()[0]
    assert admin.check_password(password)

    second = _run("--no-import")

    assert "already exists" in second
    assert password not in second
    admin.refresh_from_db()
    assert admin.check_password(password)


def test_given_the_demo_folder_when_setting_up_then_concertbot_is_imported_and_valid() -> None:
    from annotation.models import Assistant, Example, Intent, Story
    from annotation.rasa_io.reader import read_project
    from annotation.rasa_io.validation import validate_project

    assert validate_project(read_project(DEMO_DIR)) == []

    _run()
    _run()  # a second run replaces the assistant instead of failing

    bot = Assistant.objects.get(name="concertbot")
    assert Intent.objects.filter(assistant=bot).count() >= 13
    assert Example.objects.filter(assistant=bot).count() >= 200
    assert Story.objects.filter(assistant=bot).count() >= 20


@pytest.mark.django_db
def test_given_setup_demo_when_run_then_the_demo_assistant_has_a_description() -> None:
    call_command("setup_demo", stdout=StringIO())

    assert Assistant.objects.get(name="concertbot").description.startswith("Parley's demo")
