"""Smoke test in a real browser: sign in and see the assistant list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from annotation.models import Assistant, Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def _sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_given_a_member_when_signing_in_then_the_assistant_list_shows_their_assistant(
    page: Page, live_server: Any, django_user_model: Any, screenshot_dir: Path
) -> None:
    user = django_user_model.objects.create_user(username="ada", password=PASSWORD)
    concertbot = Assistant.objects.create(name="concertbot", source_format="3.1")
    Assistant.objects.create(name="hidden-bot", source_format="2.0")
    Membership.objects.create(assistant=concertbot, user=user, role=Role.ANNOTATOR)

    page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path=str(screenshot_dir / "login.png"), full_page=True)
    _sign_in(page, live_server.url, "ada", PASSWORD)

    expect(page.get_by_role("heading", name="Assistants")).to_be_visible()
    expect(page.get_by_role("cell", name="concertbot", exact=True)).to_be_visible()
    expect(page.get_by_text("hidden-bot")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir / "assistant_list.png"), full_page=True)


def test_given_a_wrong_password_when_signing_in_then_an_error_is_shown(
    page: Page, live_server: Any, django_user_model: Any
) -> None:
    django_user_model.objects.create_user(username="ada", password=PASSWORD)

    _sign_in(page, live_server.url, "ada", "not the password")

    expect(page.get_by_text("didn't match")).to_be_visible()
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
