"""What the studio's browser tests share: the demo assistant with recorded conversations, a
user per role, and signing in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route, expect

from annotation.models import Assistant, Membership, Role
from annotation.services.project_import import assistant_import_from_path
from tests.frontend.conversation_data import greeting_conversation, uncertain_conversation

PASSWORD = "correct horse battery"
DEMO = Path(__file__).resolve().parents[2] / "annotation" / "demo" / "concertbot"


def concertbot_with_conversations() -> Assistant:
    """The bundled demo assistant, with a confident and an uncertain conversation recorded."""
    assistant = assistant_import_from_path(name="concertbot", path=DEMO)
    greeting_conversation(assistant, "alice")
    uncertain_conversation(assistant, "bob")
    return assistant


def make_member(django_user_model: Any, assistant: Assistant, username: str, role: Role) -> Any:
    user = django_user_model.objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(assistant=assistant, user=user, role=role)
    return user


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Assistants")).to_be_visible()


def release_held(page: Page, held: list[Route]) -> None:
    """Let requests held by a ``page.route`` handler go on, once the page has sent one."""
    for _ in range(500):  # the request reaches the handler while Playwright waits
        if held:
            break
        page.wait_for_timeout(10)
    assert held
    for route in held:
        route.continue_()
